/**
 * Full tables and hostile traffic: nf_conntrack_max, early drop over the
 * kernel's chained buckets, the table-full drop, chaintoolong, and floods/scans
 * from tools/floods replayed against a small table, checked against the
 * kernel's rules:
 *   - the table never holds more than nf_conntrack_max entries;
 *   - an ASSURED entry is never evicted (early drop only takes the others);
 *   - every early_drop is one DESTROY at the packet that caused it, of an entry
 *     that had not expired, all in one bucket, the first of the 8 from the new
 *     tuple's that held any non-ASSURED entry;
 *   - a packet that finds nothing to evict is dropped (stat drop, outcome
 *     dropped) and gets no entry; the kernel's "table full" message comes
 *     with at most 10 of them per 5 s (net_ratelimit);
 *   - the gc worker, in early-drop mode, only kills entries gc_worker_can_early_drop()
 *     allows (not ASSURED, or ASSURED and closing);
 *   - events stay consistent: NEW and DESTROY alternate per entry, the table
 *     equals NEW minus DESTROY.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Conntrack, type ConntrackEvent } from '../../../src/conntrack.js';
import { readCapture } from '../../../src/io/capture-reader.js';
import { IPS_ASSURED } from '../../../src/core/consts.js';
import { floodBytes, LEGIT_PORT, type FloodSpec } from '../../../tools/floods/gen.js';
import { TABLE_FULL_MESSAGE, gcCanEarlyDrop, max95 } from '../../../src/core/early-drop.js';
import { roundBuckets } from '../../../src/table/conn-table.js';
import { TUPLE_WORDS } from '../../../src/tuple/tuple.js';
import { StatsTicker, statsLine } from '../../../src/cli/stats-every.js';

interface Run {
  ct: Conntrack;
  packets: number;
  dropped: number;
  /** Dropped packets that carry the kernel's message (net_ratelimit let it through). */
  logged: number;
  maxCount: number;
  destroyed: ConntrackEvent[];
  outcomes: Map<string, number>;
}

function replay(spec: FloodSpec, sysctl: Record<string, number>, check?: (ct: Conntrack, ev: ConntrackEvent[]) => void): Run {
  const ct = new Conntrack({ sysctl, hashSeed: 0x1234567 });
  const max = ct.sysctl.nf_conntrack_max;
  const live = new Map<number, boolean>(); // id -> ASSURED when NEW/last seen
  const destroyed: ConntrackEvent[] = [];
  let pending: ConntrackEvent[] = [];
  ct.on('event', (e) => {
    pending.push(e);
    const id = e.entry.id;
    if (e.type === 'NEW') {
      assert.ok(!live.has(id), `NEW for entry ${id} that is already there`);
      live.set(id, true);
    } else if (e.type === 'DESTROY') {
      assert.ok(live.delete(id), `DESTROY for entry ${id} that is not there`);
      destroyed.push(e);
    } else {
      assert.ok(live.has(id), `UPDATE for entry ${id} that is not there`);
    }
  });
  const run: Run = { ct, packets: 0, dropped: 0, logged: 0, maxCount: 0, destroyed, outcomes: new Map() };
  readCapture(floodBytes(spec), (f) => {
    pending = [];
    const before = { ...ct.stats };
    const gcBefore = ct.engine.gc.kills;
    const r = ct.processFrame(f);
    run.packets++;
    run.outcomes.set(r.outcome, (run.outcomes.get(r.outcome) ?? 0) + 1);
    if (ct.count > run.maxCount) run.maxCount = ct.count;
    if (max > 0) assert.ok(ct.count <= max, `count ${ct.count} > max ${max} after frame ${f.index}`);
    const evicted = ct.stats['early_drop']! - before['early_drop']!;
    // gc kills come from the runs due before this packet; the kernel counts them in no statistic.
    const gcKilled = ct.engine.gc.kills - gcBefore;
    // Evicted: destroyed before its time, and not the packet's own entry (a RST kills that one).
    const evictions = pending.filter((e) => e.type === 'DESTROY' && e.entry.timeoutMs > 0 && e.entry.id !== r.connId);
    assert.equal(evictions.length, evicted + gcKilled, `frame ${f.index}: ${evicted} early drops + ${gcKilled} gc kills, ${evictions.length} DESTROY events`);
    for (const e of evictions) {
      // Early drop never takes an ASSURED entry; the gc worker takes one only in a closing state.
      const closing = e.entry.protonum === 6 && ['FIN_WAIT', 'CLOSE_WAIT', 'LAST_ACK', 'TIME_WAIT', 'CLOSE'].includes(e.entry.state ?? '');
      assert.ok(!(e.entry.status & IPS_ASSURED) || (gcKilled > 0 && closing), `frame ${f.index}: an ASSURED entry (id ${e.entry.id}) was evicted`);
    }
    if (ct.stats['drop']! - before['drop']! === 1) {
      // A table-full drop (chaintoolong drops count in insert_failed, not drop).
      run.dropped++;
      assert.equal(r.outcome, 'dropped');
      assert.equal(r.conn, -1);
      assert.equal(evicted, 0, 'a packet that evicted something was still dropped');
      assert.equal(ct.count, max, 'table-full drop below nf_conntrack_max');
      if (r.reasons().includes(TABLE_FULL_MESSAGE)) run.logged++;
    } else {
      assert.ok(!r.reasons().includes(TABLE_FULL_MESSAGE), `frame ${f.index}: the table-full message on a packet that was not dropped for it`);
    }
    check?.(ct, pending);
  });
  assert.equal(ct.count, live.size, 'table size != NEW - DESTROY');
  return run;
}

function legitAlive(ct: Conntrack, _n: number): number {
  return ct.entries().filter((e) => e.orig.dport === LEGIT_PORT && (e.status & IPS_ASSURED) !== 0).length;
}

test('nf_conntrack_max: a SYN flood fills the table, early drop evicts, the rest is dropped; ASSURED entries stay', () => {
  const r = replay({ kind: 'syn', packets: 30_000, legit: 40, seed: 7 }, { nf_conntrack_max: 1000 });
  assert.equal(r.maxCount, 1000);
  assert.equal(r.ct.count, 1000);
  const s = r.ct.stats;
  assert.ok(s['early_drop']! > 0, 'some early drops');
  assert.ok(s['drop']! > 0, 'some table-full drops');
  assert.equal(s['drop'], r.dropped);
  assert.equal(r.outcomes.get('dropped'), r.dropped);
  assert.equal(legitAlive(r.ct, 40), 40, 'every legit connection is still in the table');
  // 0.3 s of capture: one net_ratelimit window, so the first 10 drops carry the message.
  assert.equal(r.logged, 10);
});

test('with few buckets every eviction succeeds: chains are long enough to hold a victim', () => {
  const r = replay({ kind: 'syn', packets: 20_000, legit: 10, seed: 3 }, { nf_conntrack_max: 2000, nf_conntrack_buckets: 512 });
  assert.equal(r.dropped, 0);
  assert.ok(r.ct.stats['early_drop']! >= 20_000 - 2000 - 10, `early_drop ${r.ct.stats['early_drop']}`);
  assert.equal(legitAlive(r.ct, 10), 10);
});

test('a table of ASSURED entries only cannot evict anything: every new flow is dropped', () => {
  // 30 legit connections fill a table of 30; then the flood finds nothing to evict.
  const r = replay({ kind: 'udp', packets: 2000, legit: 30, seed: 5 }, { nf_conntrack_max: 30, nf_conntrack_buckets: 512 });
  assert.equal(r.ct.stats['early_drop'], 0);
  assert.equal(r.dropped, 2000);
  assert.equal(r.logged, 10);
  assert.equal(legitAlive(r.ct, 30), 30);
});

test('early drop kills every non-ASSURED entry of the first bucket that has one, in one go', () => {
  const ct = new Conntrack({ sysctl: { nf_conntrack_max: 3000, nf_conntrack_buckets: 512 }, hashSeed: 99 });
  const t = ct.engine.table;
  let victims: Array<[number, number]> = [];
  ct.engine.onEvent((kind, conn) => {
    if (kind !== 2 || t.deadlineOf(conn) <= ct.engine.nowMs) return; // expiry, not eviction
    const pair = t.pairOf(conn);
    victims.push([t.bucketOf(pair, 0), t.bucketOf(pair, TUPLE_WORDS)]);
  });
  let multi = 0;
  let checked = 0;
  readCapture(floodBytes({ kind: 'udp', packets: 20_000, seed: 11, legit: 20 }), (f) => {
    victims = [];
    const r = ct.processFrame(f);
    if (victims.length === 0 || r.conn < 0) return;
    checked++;
    if (victims.length > 1) multi++;
    // One bucket holds them all ...
    const common = [victims[0]![0], victims[0]![1]].filter((b) => victims.every((v) => v[0] === b || v[1] === b));
    assert.ok(common.length > 0, `frame ${f.index}: victims in different buckets ${JSON.stringify(victims)}`);
    // ... within 8 buckets of the new tuple's, and the buckets before it held nothing evictable.
    const home = t.bucketOf(t.rec, t.origBase(r.conn));
    const dist = common.map((b) => (b - home + t.kernelBuckets) % t.kernelBuckets).sort((x, y) => x - y)[0]!;
    assert.ok(dist < 8, `frame ${f.index}: bucket ${dist} away`);
    const nodes = new Int32Array(4096);
    for (let d = 0; d <= dist; d++) {
      const n = t.chainNodes((home + d) % t.kernelBuckets, nodes);
      for (let k = 0; k < n; k++) {
        const idx = nodes[k]! >> 1;
        if (idx === r.conn) continue;
        assert.ok(t.statusOf(idx) & IPS_ASSURED, `frame ${f.index}: a non-ASSURED entry left in bucket +${d}`);
      }
    }
  });
  assert.ok(checked > 1000, `checked ${checked}`);
  assert.ok(multi > 0, 'some early drops took more than one entry');
});

test('nf_conntrack_max=0 means no limit', () => {
  const r = replay({ kind: 'syn', packets: 5000, seed: 2 }, { nf_conntrack_max: 0 });
  assert.equal(r.ct.count, 5000);
  assert.equal(r.ct.stats['early_drop'], 0);
  assert.equal(r.ct.stats['drop'], 0);
});

test('chaintoolong: far more entries than buckets fill the chains; inserts past the limit fail', () => {
  // 512 buckets, no entry limit: 2 nodes per entry, chains near 50-80 nodes refuse new entries.
  const r = replay({ kind: 'udp', packets: 40_000, seed: 9 }, { nf_conntrack_max: 0, nf_conntrack_buckets: 100 });
  const s = r.ct.stats;
  assert.ok(s['chaintoolong']! > 0, 'chaintoolong counted');
  assert.equal(s['insert_failed'], s['chaintoolong']);
  assert.equal(s['drop'], 0, 'chaintoolong is not a conntrack -S drop');
  assert.equal(r.ct.count + s['chaintoolong']!, 40_000);
  const t = r.ct.engine.table;
  assert.equal(t.kernelBuckets, 512);
  let longest = 0;
  for (let b = 0; b < t.kernelBuckets; b++) longest = Math.max(longest, t.chainLength(b));
  assert.ok(longest <= 81, `longest chain ${longest}`);
  assert.equal(r.outcomes.get('dropped'), s['chaintoolong']);
});

test('scans: FIN, NULL and Xmas probes are invalid and create nothing; a SYN scan fills and evicts', () => {
  for (const kind of ['scan-fin', 'scan-null', 'scan-xmas'] as const) {
    const r = replay({ kind, packets: 3000, seed: 1 }, { nf_conntrack_max: 100 });
    assert.equal(r.ct.count, 0, kind);
    assert.equal(r.ct.stats['invalid'], 3000, kind);
  }
  const r = replay({ kind: 'scan-syn', packets: 6000, seed: 1, legit: 5 }, { nf_conntrack_max: 200, nf_conntrack_buckets: 512 });
  assert.ok(r.ct.count <= 200);
  assert.ok(r.ct.stats['early_drop']! > 0);
  assert.equal(legitAlive(r.ct, 5), 5);
});

test('ICMP flood with errors: echo entries evicted, errors for unknown flows counted, related errors found', () => {
  const r = replay({ kind: 'icmp', packets: 10_000, seed: 4, legit: 5 }, { nf_conntrack_max: 300, nf_conntrack_buckets: 512 });
  assert.ok(r.ct.stats['error']! > 1000, `error ${r.ct.stats['error']}`);
  assert.ok(r.ct.stats['early_drop']! > 0);
  assert.ok(r.ct.count <= 300);
  assert.equal(legitAlive(r.ct, 5), 5);
});

test('gc early-drop rule and the 95 % mark', () => {
  assert.equal(max95(1000), 950);
  assert.equal(max95(262144), 248995);
  assert.equal(max95(99), 0);
  assert.equal(gcCanEarlyDrop(0, 17, 0), true);
  assert.equal(gcCanEarlyDrop(IPS_ASSURED, 17, 0), false);
  assert.equal(gcCanEarlyDrop(IPS_ASSURED, 6, 3), false); // ESTABLISHED
  assert.equal(gcCanEarlyDrop(IPS_ASSURED, 6, 7), true); // TIME_WAIT
  assert.equal(roundBuckets(1), 512);
  assert.equal(roundBuckets(262144), 262144);
  assert.equal(roundBuckets(1000), 1024);
});

test('--stats-every: counters and table size at each boundary of capture time', () => {
  const ct = new Conntrack({ sysctl: { nf_conntrack_max: 500 }, hashSeed: 1 });
  const lines: string[] = [];
  const ticker = new StatsTicker(ct, 0.05, false, (l) => lines.push(l));
  const json: string[] = [];
  const tj = new StatsTicker(ct, 0.1, true, (l) => json.push(l));
  readCapture(floodBytes({ kind: 'syn', packets: 20_000, seed: 1, pps: 100_000 }), (f) => {
    const ts = f.tsSec + f.tsNsec / 1e9;
    ticker.before(ts);
    tj.before(ts);
    ct.processFrame(f);
  });
  // 0.2 s of capture: boundaries at 0.05, 0.10, 0.15 (0.20 is after the last packet).
  assert.equal(lines.length, 3);
  assert.match(lines[0]!, /^\[1767225600\.050000\]\tcount=500 max=500 cpu=0\s+found=0 invalid=0 insert=0 insert_failed=0 drop=\d+ early_drop=\d+ /);
  assert.equal(json.length, 1);
  const j = JSON.parse(json[0]!) as { ts: number; count: number; stats: Record<string, number> };
  assert.equal(j.count, 500);
  assert.ok(j.stats['drop']! > 0);
  assert.match(statsLine(ct, 1767225600.5, false), /^\[1767225600\.500000\]\tcount=500 /);
});

test('an entry whose two tuples are equal: later packets match its reply direction, as the kernel\'s chain order gives', () => {
  const ct = new Conntrack({ hashSeed: 5 });
  const pkt = floodBytes({ kind: 'udp', packets: 0 }); // just a pcap header
  void pkt;
  const ip = new Uint8Array([0x45, 0, 0, 32, 0, 0, 0x40, 0, 64, 17, 0, 0, 10, 0, 0, 1, 10, 0, 0, 1, 0x13, 0x88, 0x13, 0x88, 0, 12, 0, 0, 1, 2, 3, 4]);
  let s = 0;
  for (let i = 0; i < 20; i += 2) s += (ip[i]! << 8) | ip[i + 1]!;
  while (s > 0xffff) s = (s & 0xffff) + (s >>> 16);
  ip[10] = (~s >> 8) & 0xff;
  ip[11] = ~s & 0xff;
  const r1 = ct.processPacket(ip, 100, 101);
  assert.equal(r1.ctstateName, 'new');
  const r2 = ct.processPacket(ip, 101, 101);
  assert.equal(r2.ctstateName, 'established');
  assert.equal(r2.dirName, 'reply');
  assert.equal(ct.engine.table.verify(ct.engine.nowMs), null);
});
