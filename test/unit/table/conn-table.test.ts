/**
 * ConnTable: insert/lookup/remove, growth, expiry order, and the lazy timer heap
 * checked against a naive reference on random operations.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConnTable, DEFAULT_ID_SEED, PROTO_WORDS, connId } from '../../../src/table/conn-table.js';
import { TUPLE_WORDS, hashTuple } from '../../../src/tuple/tuple.js';
import { hashConn, invertTuple } from '../../../src/tuple/invert.js';

/** A deterministic xorshift generator. */
function rng(seed: number): () => number {
  let s = seed | 0 || 1;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return s >>> 0;
  };
}

/** Fills entry idx with a UDP-like original tuple derived from key k (the table derives the reply). */
function setTuples(t: ConnTable, idx: number, k: number): void {
  const o = t.origBase(idx);
  t.rec.fill(0, o, o + TUPLE_WORDS);
  t.rec[o] = (0x0a000000 + k) >>> 0;
  t.rec[o + 4] = 0xc0a80001;
  t.rec[o + 8] = ((1024 + (k & 0x7fff)) << 16 | 53) >>> 0;
  t.rec[o + 9] = (2 << 8) | 17;
}

function probe(k: number, dir: number): Uint32Array {
  const p = new Uint32Array(TUPLE_WORDS);
  const a = (0x0a000000 + k) >>> 0;
  const b = 0xc0a80001;
  p[0] = dir === 0 ? a : b;
  p[4] = dir === 0 ? b : a;
  p[8] = dir === 0 ? ((1024 + (k & 0x7fff)) << 16 | 53) >>> 0 : ((53 << 16) | (1024 + (k & 0x7fff))) >>> 0;
  p[9] = (2 << 8) | 17;
  return p;
}

function insert(t: ConnTable, k: number, deadline: number): number {
  const idx = t.alloc();
  setTuples(t, idx, k);
  t.setDeadline(idx, deadline);
  t.confirm(idx);
  return idx;
}

test('insert, lookup both directions, remove, grow past the initial capacity', () => {
  const t = new ConnTable(16, 12345);
  const idx: number[] = [];
  for (let k = 0; k < 5000; k++) idx.push(insert(t, k, 1000 + k));
  assert.equal(t.count, 5000);
  assert.ok(t.capacity >= 5000);
  for (let k = 0; k < 5000; k++) {
    assert.equal(t.lookup(probe(k, 0), 0), idx[k]! << 1);
    assert.equal(t.lookup(probe(k, 1), 0), (idx[k]! << 1) | 1);
  }
  assert.equal(t.lookup(probe(99999, 0), 0), -1);
  for (let k = 0; k < 5000; k += 2) t.remove(idx[k]!);
  assert.equal(t.count, 2500);
  for (let k = 0; k < 5000; k++) {
    const e = t.lookup(probe(k, 1), 0);
    assert.equal(e, k % 2 === 0 ? -1 : (idx[k]! << 1) | 1, `key ${k}`);
  }
  // Freed entries are reused.
  const again = insert(t, 777777, 5);
  assert.ok(again < 5000);
  assert.equal(t.lookup(probe(777777, 0), 0), again << 1);
});

test('entries() lists confirmed entries in creation order, also after reuse', () => {
  const t = new ConnTable(16, 1);
  const a = insert(t, 1, 10);
  const b = insert(t, 2, 10);
  const c = insert(t, 3, 10);
  t.remove(a);
  const d = insert(t, 4, 10); // reuses a's slot but is newer
  assert.equal(d, a);
  t.alloc(); // unconfirmed: not listed
  assert.deepEqual(t.entries(), [b, c, d]);
});

test('hash seed changes bucket placement but not results; ids do not depend on it', () => {
  const a = new ConnTable(16, 1);
  const b = new ConnTable(16, 0xdeadbeef);
  for (let k = 0; k < 100; k++) {
    insert(a, k, 1);
    insert(b, k, 1);
  }
  for (let i = 0; i < 100; i++) assert.equal(a.idOf(i), b.idOf(i));
  const p = probe(42, 1);
  assert.notEqual(hashTuple(p, 0, 1), hashTuple(p, 0, 0xdeadbeef));
  assert.notEqual(hashConn(p, 0, 1), hashConn(p, 0, 0xdeadbeef));
  assert.equal(a.lookup(p, 0), b.lookup(p, 0));
});

/** Pops everything due at `now` from the table, in expiry order. */
function expireTable(t: ConnTable, now: number): number[] {
  const out: number[] = [];
  for (;;) {
    const e = t.earliest();
    if (e < 0 || t.deadlineOf(e) > now) break;
    out.push(e);
    t.remove(e);
  }
  return out;
}

test('expiry order: by deadline, ties by creation order', () => {
  const t = new ConnTable(16, 7);
  const x = insert(t, 1, 300);
  const y = insert(t, 2, 100);
  const z = insert(t, 3, 200);
  const w = insert(t, 4, 100);
  t.setDeadline(x, 100); // moved earlier: ties with y and w, but x is the oldest
  assert.deepEqual(expireTable(t, 150), [x, y, w]);
  t.setDeadline(z, 1000); // refreshed later: lazily
  assert.deepEqual(expireTable(t, 999), []);
  assert.deepEqual(expireTable(t, 1000), [z]);
  assert.equal(t.count, 0);
});

test('lazy timers agree with a naive reference on random operations', () => {
  for (const seed of [1, 2, 3, 4, 5]) {
    const r = rng(seed);
    const t = new ConnTable(16, seed * 977);
    // Reference: key -> {idx, deadline, order}
    const ref = new Map<number, { idx: number; deadline: number; order: number }>();
    let order = 0;
    let now = 0;
    let nextKey = 0;
    for (let step = 0; step < 20000; step++) {
      const op = r() % 100;
      if (op < 35 || ref.size === 0) {
        const k = nextKey++;
        const d = now + 1 + (r() % 500);
        ref.set(k, { idx: insert(t, k, d), deadline: d, order: order++ });
      } else if (op < 75) {
        // refresh (mostly later, sometimes earlier)
        const keys = [...ref.keys()];
        const k = keys[r() % keys.length]!;
        const e = ref.get(k)!;
        const d = r() % 4 === 0 ? now + (r() % 50) : now + 1 + (r() % 800);
        e.deadline = d;
        t.setDeadline(e.idx, d);
        assert.equal(t.lookup(probe(k, r() & 1), 0) >> 1, e.idx);
      } else if (op < 85) {
        const keys = [...ref.keys()];
        const k = keys[r() % keys.length]!;
        t.remove(ref.get(k)!.idx);
        ref.delete(k);
        assert.equal(t.lookup(probe(k, 0), 0), -1);
      } else {
        now += r() % 60;
        const want = [...ref.entries()].filter(([, e]) => e.deadline <= now)
          .sort((a, b) => a[1].deadline - b[1].deadline || a[1].order - b[1].order);
        const got = expireTable(t, now);
        assert.deepEqual(got, want.map(([, e]) => e.idx), `seed ${seed} step ${step}`);
        for (const [k] of want) ref.delete(k);
      }
      assert.equal(t.count, ref.size);
    }
  }
});

test('protocol words: only entries given them have them; a freed entry returns them zeroed for the next', () => {
  const t = new ConnTable(16, 1);
  const a = insert(t, 1, 100);
  const b = insert(t, 2, 100);
  assert.ok(!t.hasPrivate(a));
  t.attachPrivate(b);
  assert.ok(t.hasPrivate(b));
  t.pw[t.pwBase(b) + 3] = 0xdeadbeef;
  t.setState(b, 5);
  assert.equal(t.stateOf(b), 5, 'the state shares its word with the slot reference');
  assert.equal(t.pw[t.pwBase(b) + 3], 0xdeadbeef);
  t.remove(b);
  const c = insert(t, 3, 100);
  assert.ok(!t.hasPrivate(c), 'a reused entry starts without protocol words');
  t.attachPrivate(c);
  for (let i = 0; i < PROTO_WORDS; i++) assert.equal(t.pw[t.pwBase(c) + i], 0, `word ${i}`);
  // Many entries with protocol words: the pool grows and keeps what was written.
  const many: number[] = [];
  for (let k = 10; k < 3000; k++) {
    const i = insert(t, k, 100);
    t.attachPrivate(i);
    t.pw[t.pwBase(i)] = k;
    many.push(i);
  }
  many.forEach((i, n) => assert.equal(t.pw[t.pwBase(i)], n + 10));
  assert.equal(t.verify(0), null);
});

test('counters are kept only once enabled (the acct extension), from zero', () => {
  const t = new ConnTable(16, 1);
  const a = insert(t, 1, 100);
  t.account(a, 0, 60);
  assert.equal(t.packetsOf(a, 0), 0);
  assert.ok(!t.counting);
  t.enableCounters();
  t.account(a, 0, 60);
  t.account(a, 1, 40);
  t.account(a, 1, 40);
  assert.deepEqual([t.packetsOf(a, 0), t.bytesOf(a, 0), t.packetsOf(a, 1), t.bytesOf(a, 1)], [1, 60, 2, 80]);
  for (let k = 2; k < 2000; k++) insert(t, k, 100); // growth keeps them
  assert.deepEqual([t.packetsOf(a, 0), t.bytesOf(a, 0), t.packetsOf(a, 1), t.bytesOf(a, 1)], [1, 60, 2, 80]);
  t.remove(a);
  const b = insert(t, 99999, 100);
  assert.equal(b, a, 'the freed entry is reused');
  assert.equal(t.packetsOf(b, 1), 0, 'and its counters start at zero');
});

test('a deadline moved earlier than the timer key re-sorts the heap; a later one does not need to', () => {
  const t = new ConnTable(16, 1);
  const a = insert(t, 1, 500);
  const b = insert(t, 2, 300);
  assert.equal(t.earliest(), b);
  t.setDeadline(a, 900); // refresh: later
  t.setDeadline(b, 1000); // refresh: later, a now first
  assert.equal(t.earliest(), a);
  t.setDeadline(b, 200); // earlier than its key
  assert.equal(t.earliest(), b);
  assert.equal(t.verify(0), null);
});

test('conntrack ids: derived from the creation number, all distinct, the same on every run', () => {
  const seen = new Set<number>();
  for (let seq = 0; seq < 200_000; seq++) seen.add(connId(seq, DEFAULT_ID_SEED));
  assert.equal(seen.size, 200_000);
  const t = new ConnTable(16, 99);
  const a = insert(t, 1, 10);
  const b = insert(t, 2, 10);
  assert.equal(t.idOf(a), connId(0, DEFAULT_ID_SEED));
  assert.equal(t.idOf(b), connId(1, DEFAULT_ID_SEED));
  // A slot used again gets the next creation number, so a new id.
  t.remove(a);
  const c = insert(t, 3, 10);
  assert.equal(c, a);
  assert.equal(t.idOf(c), connId(2, DEFAULT_ID_SEED));
});

test('marks: 0 until set, kept through growth, cleared when a slot is reused', () => {
  const t = new ConnTable(16, 5);
  const a = insert(t, 1, 10);
  assert.equal(t.markOf(a), 0);
  t.setMark(a, 0); // a zero mark keeps nothing
  t.setMark(a, 0x2a);
  for (let k = 2; k < 200; k++) insert(t, k, 10); // grows the table
  assert.ok(t.capacity > 16);
  assert.equal(t.markOf(a), 0x2a);
  t.remove(a);
  const b = insert(t, 500, 10);
  assert.equal(b, a);
  assert.equal(t.markOf(b), 0);
  assert.equal(t.verify(0), null);
});

/** Original tuple of kind k % 4: TCP, ICMP echo, IPv6 UDP, or a host talking to itself on one port. */
function mixedTuple(k: number): Uint32Array {
  const p = new Uint32Array(TUPLE_WORDS);
  const a = (0x0a000000 + (k >>> 2)) >>> 0;
  switch (k & 3) {
    case 0: p[0] = a; p[4] = 0xc0a80001; p[8] = ((1024 + (k & 0xfff)) << 16 | 443) >>> 0; p[9] = (2 << 8) | 6; break;
    case 1: p[0] = a; p[4] = 0xc0a80002; p[8] = ((k & 0xffff) << 16 | 8 << 8) >>> 0; p[9] = (2 << 8) | 1; break;
    case 2: p.set([0x20010db8, 0, k >>> 2, 1, 0x20010db8, 0, 0, 2], 0); p[8] = (5353 << 16 | 53) >>> 0; p[9] = (10 << 8) | 17; break;
    default: p[0] = a; p[4] = a; p[8] = (7000 << 16 | 7000) >>> 0; p[9] = (2 << 8) | 17;
  }
  return p;
}

test('one slot per connection: both directions of every kind found under churn, slots consistent', () => {
  const r = rng(42);
  const t = new ConnTable(16, 0xabcdef);
  const live = new Map<number, number>(); // key -> idx
  const inv = new Uint32Array(TUPLE_WORDS);
  for (let step = 0; step < 6000; step++) {
    if (r() % 3 !== 0 || live.size === 0) {
      const k = step;
      const idx = t.alloc();
      t.rec.set(mixedTuple(k), t.origBase(idx));
      t.setDeadline(idx, 1000);
      t.confirm(idx);
      live.set(k, idx);
    } else {
      const keys = [...live.keys()];
      const k = keys[r() % keys.length]!;
      t.remove(live.get(k)!);
      live.delete(k);
      assert.equal(t.lookup(mixedTuple(k), 0), -1, `key ${k} still found after removal`);
    }
    if (step % 500 === 499) {
      assert.equal(t.verify(0), null);
      for (const [k, idx] of live) {
        const o = mixedTuple(k);
        assert.ok(invertTuple(inv, 0, o, 0));
        // A tuple equal to its own inverse (kind 3) matches the reply, as in the kernel.
        assert.equal(t.lookup(o, 0), (k & 3) === 3 ? (idx << 1) | 1 : idx << 1, `key ${k} original`);
        assert.equal(t.lookup(inv, 0), (idx << 1) | 1, `key ${k} reply`);
      }
    }
  }
});
