/**
 * nf_ct_invert_tuple() as ctscope derives reply tuples: each case is an original
 * tuple and the reply tuple the kernel prints for it (`conntrack -L`), by the
 * rules of nf_conntrack_core.c and the l4protos' invert_tuple: addresses swap,
 * ports or GRE keys swap, an ICMP query becomes its reply type (same id and
 * code), a type without a reply type cannot be inverted.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TUPLE_WORDS } from '../../../src/tuple/tuple.js';
import { hashConn, invertTuple, tupleEqualsInverse } from '../../../src/tuple/invert.js';

const V4 = 2 << 8;
const V6 = 10 << 8;
const A = [0x0a000001, 0, 0, 0];
const B = [0xc0a80101, 0, 0, 0];
const A6 = [0x20010db8, 0, 0, 1];
const B6 = [0x20010db8, 0, 0, 2];

function tuple(src: number[], dst: number[], l4: number, meta: number): Uint32Array {
  return Uint32Array.from([...src, ...dst, l4 >>> 0, meta]);
}

const cases: { name: string; orig: Uint32Array; reply: Uint32Array | null }[] = [
  { name: 'tcp: ports swap', orig: tuple(A, B, (40000 << 16) | 80, V4 | 6), reply: tuple(B, A, (80 << 16) | 40000, V4 | 6) },
  { name: 'udp over IPv6', orig: tuple(A6, B6, (5353 << 16) | 53, V6 | 17), reply: tuple(B6, A6, (53 << 16) | 5353, V6 | 17) },
  { name: 'sctp', orig: tuple(A, B, (5000 << 16) | 36412, V4 | 132), reply: tuple(B, A, (36412 << 16) | 5000, V4 | 132) },
  { name: 'gre: keys swap', orig: tuple(A, B, (0x1234 << 16) | 0x5678, V4 | 47), reply: tuple(B, A, (0x5678 << 16) | 0x1234, V4 | 47) },
  { name: 'icmp echo request -> echo reply, same id', orig: tuple(A, B, (0x4242 << 16) | (8 << 8), V4 | 1), reply: tuple(B, A, (0x4242 << 16) | (0 << 8), V4 | 1) },
  { name: 'icmp timestamp (13) -> reply (14)', orig: tuple(A, B, (7 << 16) | (13 << 8), V4 | 1), reply: tuple(B, A, (7 << 16) | (14 << 8), V4 | 1) },
  { name: 'icmpv6 echo 128 -> 129', orig: tuple(A6, B6, (9 << 16) | (128 << 8), V6 | 58), reply: tuple(B6, A6, (9 << 16) | (129 << 8), V6 | 58) },
  { name: 'icmp destination unreachable has no inverse', orig: tuple(A, B, 3 << 8, V4 | 1), reply: null },
  { name: 'icmpv6 type 1 has no inverse', orig: tuple(A6, B6, 1 << 8, V6 | 58), reply: null },
  { name: 'generic protocol: only addresses swap', orig: tuple(A, B, 0, V4 | 99), reply: tuple(B, A, 0, V4 | 99) },
  { name: 'zone is kept', orig: tuple(A, B, (1 << 16) | 2, (7 << 16) | V4 | 17), reply: tuple(B, A, (2 << 16) | 1, (7 << 16) | V4 | 17) },
];

for (const c of cases) {
  test(`invert: ${c.name}`, () => {
    const out = new Uint32Array(TUPLE_WORDS);
    const ok = invertTuple(out, 0, c.orig, 0);
    assert.equal(ok, c.reply !== null);
    if (c.reply === null) return;
    assert.deepEqual(Array.from(out), Array.from(c.reply));
    assert.ok(tupleEqualsInverse(c.orig, 0, c.reply, 0), 'the reply matches the inverse in place');
    assert.ok(!tupleEqualsInverse(c.orig, 0, c.orig, 0) || c.orig.join() === c.reply.join(), 'the original is not its own inverse');
    // Inverting twice gives the original back.
    const back = new Uint32Array(TUPLE_WORDS);
    assert.ok(invertTuple(back, 0, out, 0));
    assert.deepEqual(Array.from(back), Array.from(c.orig));
    // One hash slot serves both directions: the connection hash ignores the direction.
    for (const seed of [0, 1, 0x5eed1234, 0xffffffff]) assert.equal(hashConn(out, 0, seed), hashConn(c.orig, 0, seed), `seed ${seed}`);
  });
}

test('connection hash: any changed word or endpoint pairing changes it', () => {
  const seed = 0x5eed1234;
  for (const c of cases) {
    const h = hashConn(c.orig, 0, seed);
    for (let w = 0; w < TUPLE_WORDS; w++) {
      // IPv4 tuples keep words 1-3 of each address at zero; they are not hashed.
      if ((c.orig[9]! & 0xff00) === V4 && (w % 4 !== 0) && w < 8) continue;
      const t = c.orig.slice();
      t[w] = (t[w]! ^ 0x10000) >>> 0;
      assert.notEqual(hashConn(t, 0, seed), h, `${c.name}: word ${w}`);
    }
  }
  // Same addresses and ports, paired the other way (A:1 -> B:2 against A:2 -> B:1): not the same connection.
  assert.notEqual(hashConn(tuple(A, B, (1 << 16) | 2, V4 | 6), 0, seed), hashConn(tuple(A, B, (2 << 16) | 1, V4 | 6), 0, seed));
});

test('connection hash spreads similar tuples evenly', () => {
  // 65536 UDP flows from one subnet to one server: every 1/64 of the hash space gets its share.
  const counts = new Array<number>(64).fill(0);
  for (let i = 0; i < 65536; i++) counts[hashConn(tuple([0x0a000000 + (i >>> 4), 0, 0, 0], B, ((1024 + (i & 15)) << 16) | 53, V4 | 17), 0, 7) >>> 26]!++;
  for (const n of counts) assert.ok(n > 800 && n < 1250, `bucket holds ${n} of an expected 1024`);
});

test('inverse comparison notices any differing word', () => {
  const orig = tuple(A, B, (40000 << 16) | 80, V4 | 6);
  const reply = tuple(B, A, (80 << 16) | 40000, V4 | 6);
  for (let w = 0; w < TUPLE_WORDS; w++) {
    const r = reply.slice();
    r[w] = (r[w]! ^ 1) >>> 0;
    assert.ok(!tupleEqualsInverse(orig, 0, r, 0), `word ${w}`);
  }
});
