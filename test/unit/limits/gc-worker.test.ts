/**
 * The gc worker's early-drop mode, net_ratelimit on the table-full warning, and
 * the table-full report, against values worked out by hand from the kernel's
 * rules (nf_conntrack_core.c gc_worker / __nf_conntrack_alloc, lib/ratelimit.c,
 * Linux 6.18, HZ=250):
 *   - the worker's first run is HZ after start; a run that scans the whole table
 *     sets the next one clamp(mean, 1 s, 60 s) - max(run time, 1 jiffy) later, the
 *     mean starting from 100 pretend entries at 60 s and folding in each
 *     tuplehash node's remaining time clamped to [1 s, 300 s], in integer steps;
 *   - in early-drop mode (a table-full drop happened since the last run) a run
 *     kills entries that are not ASSURED, or ASSURED in a closing TCP state, as
 *     long as nf_conntrack_count >= nf_conntrack_max / 100 * 95; the kill is a
 *     DESTROY at the run's time and counts in no statistic; the mode ends with
 *     the run;
 *   - a run stops after 257 kills (GC_SCAN_EXPIRED_MAX = 64000 / HZ = 256, checked
 *     before each node) and resumes one jiffy later;
 *   - net_ratelimit lets 10 messages through per window of 5 s (1250 jiffies)
 *     opened by the first; the first message of a later window is preceded by
 *     "net_ratelimit: N callbacks suppressed".
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Conntrack, type ConntrackEvent } from '../../../src/conntrack.js';
import { IPS_ASSURED } from '../../../src/core/consts.js';
import { TABLE_FULL_MESSAGE } from '../../../src/core/early-drop.js';
import { GC_SCAN_EXPIRED_MAX, JIFFY_MS } from '../../../src/core/gc-worker.js';
import { NetRatelimit } from '../../../src/core/ratelimit.js';
import type { CaptureFrame } from '../../../src/io/frame.js';
import { readCapture } from '../../../src/io/capture-reader.js';
import { floodBytes } from '../../../tools/floods/gen.js';
import { TcpConversation, udp } from '../../../tools/lib/packet-builder.js';

const T0 = 1_700_000_000; // capture clock, seconds; T0 * 1000 / 4 is a whole jiffy
const CLOSING = ['FIN_WAIT', 'CLOSE_WAIT', 'LAST_ACK', 'TIME_WAIT', 'CLOSE'];

function conv(i: number): TcpConversation {
  return new TcpConversation(
    { addr: `10.1.${i >> 8}.${i & 255}`, port: 40000 + i, isn: 1000 + i, mss: 1460, sackPerm: true, wscale: 7 },
    { addr: '192.0.2.1', port: 80, isn: 900000 + i, mss: 1460, sackPerm: true, wscale: 7 },
  );
}

/** Feeds packets one millisecond apart from `start`, with frame numbers; returns the next free time. */
class Feeder {
  frame = 0;
  constructor(readonly ct: Conntrack, public t: number) {}

  send(bytes: Uint8Array, at = this.t): ReturnType<Conntrack['processFrame']> {
    const sec = Math.floor(at);
    const f: CaptureFrame = {
      index: ++this.frame, linkType: 101, tsSec: sec, tsNsec: Math.round((at - sec) * 1e9), buf: bytes,
      dv: new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength), offset: 0, caplen: bytes.length,
      origLen: bytes.length, ifIndex: 0, fileOffset: 0,
    };
    this.t = at + 0.001;
    return this.ct.processFrame(f);
  }
}

function states(ct: Conntrack): Record<string, number> {
  const out: Record<string, number> = {};
  for (const e of ct.entries()) {
    const k = `${e.state}${e.status & IPS_ASSURED ? '+A' : ''}`;
    out[k] = (out[k] ?? 0) + 1;
  }
  return out;
}

/**
 * nf_conntrack_max=100 (95 % mark: 95): 93 ESTABLISHED ASSURED connections,
 * one ASSURED connection each in FIN_WAIT, CLOSE_WAIT, LAST_ACK, TIME_WAIT and
 * CLOSE, and two unanswered SYNs; 7 entries the gc may kill.
 */
function fullTable(): { ct: Conntrack; feed: Feeder; destroyed: ConntrackEvent[] } {
  const ct = new Conntrack({ sysctl: { nf_conntrack_max: 100 }, hashSeed: 7 });
  const destroyed: ConntrackEvent[] = [];
  ct.on('event', (e) => {
    if (e.type === 'DESTROY') destroyed.push(e);
  });
  const feed = new Feeder(ct, T0);
  for (let i = 0; i < 93; i++) for (const p of conv(i).handshake()) feed.send(p);
  const closing: Array<(c: TcpConversation) => Uint8Array[]> = [
    (c) => [c.fin('c')], // FIN_WAIT
    (c) => [c.fin('c'), c.ack('s')], // CLOSE_WAIT
    (c) => [c.fin('c'), c.ack('s'), c.fin('s')], // LAST_ACK
    (c) => [c.fin('c'), c.ack('s'), c.fin('s'), c.ack('c')], // TIME_WAIT
    (c) => [c.rst('c')], // CLOSE
  ];
  closing.forEach((steps, k) => {
    const c = conv(93 + k);
    for (const p of [...c.handshake(), ...steps(c)]) feed.send(p);
  });
  feed.send(conv(98).syn());
  feed.send(conv(99).syn());
  return { ct, feed, destroyed };
}

test('gc worker, early-drop mode: after a table-full drop its next run kills non-ASSURED and closing entries down to the 95 % mark', () => {
  const { ct, feed, destroyed } = fullTable();
  assert.deepEqual(states(ct), {
    'ESTABLISHED+A': 93, 'FIN_WAIT+A': 1, 'CLOSE_WAIT+A': 1, 'LAST_ACK+A': 1, 'TIME_WAIT+A': 1, 'CLOSE+A': 1, SYN_SENT: 2,
  });
  assert.ok(feed.t < T0 + 0.5);
  // The 101st entry: early drop finds nothing in its 8 buckets (262144 of them), so the packet is dropped.
  const r = feed.send(conv(100).syn(), T0 + 0.5);
  assert.equal(r.outcome, 'dropped');
  assert.deepEqual(r.reasons(), [TABLE_FULL_MESSAGE]);
  assert.equal(ct.stats['drop'], 1);
  assert.equal(ct.stats['early_drop'], 0);
  assert.equal(destroyed.length, 0);

  // The first run is HZ after the first packet (T0). Count 100 >= 95: kills at 100, 99, 98, 97, 96, 95;
  // the seventh candidate finds 94 < 95 and stays.
  ct.advance(T0 + 1.5);
  assert.equal(destroyed.length, 6);
  for (const e of destroyed) {
    assert.equal(e.time, T0 + 1, 'DESTROY at the run, not at the next packet');
    assert.ok(!(e.entry.status & IPS_ASSURED) || CLOSING.includes(e.entry.state ?? ''), `killed ${e.entry.state}`);
  }
  assert.equal(ct.count, 94);
  assert.equal(states(ct)['ESTABLISHED+A'], 93);
  assert.equal(ct.stats['early_drop'], 0, 'the gc worker counts its kills in no statistic');
  assert.equal(ct.engine.gc.earlyDrop, false, 'the run ended early-drop mode');
  const report = ct.tableFullReport()!;
  assert.equal(report.evicted, 6);
  assert.equal(report.evictedByGc, 6);
  assert.deepEqual(report.evictions.map((e) => [e.by, e.time]), Array(6).fill(['gc_worker', T0 + 1]));
  // 186 nodes at 300 s (ESTABLISHED, clamped) pull the mean past 60 s: next run 15000 - 1 jiffies later.
  assert.equal(ct.engine.gc.nextRunMs, (T0 + 1) * 1000 + 14999 * JIFFY_MS);
});

test('gc worker: without a table-full drop since the last run, a run kills nothing however full the table', () => {
  const { ct, feed, destroyed } = fullTable();
  feed.send(conv(100).syn(), T0 + 0.5); // dropped: early-drop mode for the run at T0 + 1
  ct.advance(T0 + 2);
  assert.equal(destroyed.length, 6);
  // Runs come every 59.996 s: T0 + 60.996, T0 + 120.992, T0 + 180.988, T0 + 240.984. By T0 + 125 every
  // entry but the 93 ESTABLISHED has expired (timeouts of 120 s at most, all started before T0 + 0.5).
  ct.advance(T0 + 125);
  assert.equal(ct.count, 93);
  feed.t = T0 + 125;
  for (let i = 0; i < 7; i++) feed.send(conv(200 + i).syn());
  assert.equal(ct.count, 100);
  const before = destroyed.length;
  ct.advance(T0 + 181); // the run at T0 + 180.988: count 100, but no drop since the last run
  assert.equal(destroyed.length, before);
  assert.equal(ct.count, 100);
  // A drop now arms the run at T0 + 240.984: the 7 SYN_SENT entries (expiring at T0 + 245) are candidates.
  assert.equal(feed.send(conv(300).syn(), T0 + 182).outcome, 'dropped');
  ct.advance(T0 + 240.9);
  assert.equal(destroyed.length, before);
  ct.advance(T0 + 241);
  const killed = destroyed.slice(before);
  assert.equal(killed.length, 6);
  for (const e of killed) {
    assert.equal(e.time, T0 + 240.984);
    assert.equal(e.entry.state, 'SYN_SENT');
  }
  assert.equal(ct.count, 94);
});

test('gc worker: below nf_conntrack_max 100 the 95 % mark is 0 and the early-drop mode never kills', () => {
  // 99 / 100 * 95 = 0 in the kernel's integer arithmetic, which reads as "not in early-drop mode".
  const ct = new Conntrack({ sysctl: { nf_conntrack_max: 99 }, hashSeed: 7 });
  const feed = new Feeder(ct, T0);
  for (let i = 0; i < 99; i++) feed.send(conv(i).syn());
  assert.equal(feed.send(conv(99).syn(), T0 + 0.5).outcome, 'dropped');
  ct.advance(T0 + 70);
  assert.equal(ct.count, 99);
  assert.equal(ct.engine.gc.kills, 0);
  assert.ok(ct.engine.gc.runs >= 2);
});

test('gc worker: the next run follows the mean of the remaining timeouts', () => {
  // Two unreplied UDP flows at T0 (30 s): at the first run (T0 + 1) 4 nodes with 29 s = 7250 jiffies left.
  // mean: 15000 → 15000 + trunc(-7750/101) = 14924 → + trunc(-7674/102) = 14849 → + trunc(-7599/103) = 14776
  //       → + trunc(-7526/104) = 14704; next run 14704 - 1 jiffies after the run.
  const ct = new Conntrack({ hashSeed: 3 });
  ct.processPacket(udp({ src: '10.0.0.1', dst: '10.0.0.2' }, { sport: 1000, dport: 53 }), T0);
  ct.processPacket(udp({ src: '10.0.0.1', dst: '10.0.0.2' }, { sport: 1001, dport: 53 }), T0);
  ct.advance(T0 + 0.999);
  assert.equal(ct.engine.gc.runs, 0);
  assert.equal(ct.engine.gc.nextRunMs, (T0 + 1) * 1000);
  ct.advance(T0 + 1);
  assert.equal(ct.engine.gc.runs, 1);
  assert.equal(ct.engine.gc.nextRunMs, (T0 + 1) * 1000 + 14703 * JIFFY_MS);
  // An empty table: the mean stays at 60 s.
  const empty = new Conntrack();
  empty.advance(T0);
  empty.advance(T0 + 1);
  assert.equal(empty.engine.gc.nextRunMs, (T0 + 1) * 1000 + 14999 * JIFFY_MS);
});

test('gc worker under a SYN flood: each run stops after 257 kills and resumes a jiffy later, re-armed by new drops', () => {
  // nf_conntrack_max 10000 (mark 9500), 100 000 SYN/s: full from 0.1 s on, every new SYN dropped or evicting.
  // Run at T0 + 1 s: 257 kills (count 10000 → 9743, still >= 9500), then stop; 257 slots refill in 2.57 ms,
  // the next SYN is dropped (mode on again), and the run 4 ms later kills 257 more.
  const ct = new Conntrack({ sysctl: { nf_conntrack_max: 10_000 }, hashSeed: 11 });
  const gc = ct.engine.gc;
  const start = 1_767_225_600;
  const runs: Array<[number, number]> = []; // [run time, kills]; packets are 10 µs apart, runs >= 4 ms
  readCapture(floodBytes({ kind: 'syn', packets: 101_000, seed: 5, start }), (f) => {
    const at = gc.nextRunMs;
    const kills = gc.kills;
    const n = gc.runs;
    ct.processFrame(f);
    if (gc.runs > n) runs.push([at / 1000, gc.kills - kills]);
  });
  assert.equal(GC_SCAN_EXPIRED_MAX + 1, 257);
  // The capture ends at start + 1.01 s: runs at 1.000, 1.004 and 1.008.
  assert.deepEqual(runs, [[start + 1, 257], [start + 1.004, 257], [start + 1.008, 257]]);
  assert.equal(ct.tableFullReport()!.evictedByGc, 3 * 257);
  assert.equal(ct.stats['early_drop'], ct.tableFullReport()!.evicted - 3 * 257, 'early_drop counts the packet path only');
});

test('net_ratelimit: 10 messages per 5 s window, then "N callbacks suppressed" opens the next', () => {
  const rl = new NetRatelimit();
  const ms = T0 * 1000;
  const got: boolean[] = [];
  for (let i = 0; i < 12; i++) got.push(rl.allow(ms + i));
  assert.deepEqual(got, [...Array(10).fill(true), false, false]);
  assert.equal(rl.allow(ms + 5000), false, 'begin + 1250 jiffies is still the same window');
  assert.equal(rl.allow(ms + 5004), true, 'one jiffy later a new window opens');
  assert.equal(rl.suppressedReport, 3);
  assert.equal(rl.allow(ms + 5005), true);
  assert.equal(rl.suppressedReport, 0);
});

test('the table-full message follows net_ratelimit; every such packet is dropped; the report says when and how many', () => {
  // nf_conntrack_max=1 holding an ASSURED connection: no new flow can evict it.
  const ct = new Conntrack({ sysctl: { nf_conntrack_max: 1 }, hashSeed: 1 });
  const feed = new Feeder(ct, T0 - 1);
  for (const p of conv(0).handshake()) feed.send(p);
  const flow = (i: number): Uint8Array => udp({ src: '10.9.0.1', dst: '10.9.0.2' }, { sport: 2000 + i, dport: 53 });
  const times = [...Array.from({ length: 12 }, (_, i) => T0 + i / 1000), T0 + 5, T0 + 5.004, T0 + 5.005];
  const reasons = times.map((t, i) => {
    const r = feed.send(flow(i), t);
    assert.equal(r.outcome, 'dropped');
    return r.reasons();
  });
  for (let i = 0; i < 10; i++) assert.deepEqual(reasons[i], [TABLE_FULL_MESSAGE], `drop ${i}`);
  assert.deepEqual(reasons.slice(10, 13), [[], [], []]);
  assert.deepEqual(reasons[13], ['net_ratelimit: 3 callbacks suppressed', TABLE_FULL_MESSAGE]);
  assert.deepEqual(reasons[14], [TABLE_FULL_MESSAGE]);
  assert.equal(ct.stats['drop'], 15);
  const rep = ct.tableFullReport()!;
  assert.equal(rep.dropped, 15);
  assert.equal(rep.logged, 12);
  assert.equal(rep.evicted, 0);
  assert.equal(rep.firstTime, T0);
  assert.equal(rep.firstFrame, 4); // after the 3 handshake packets
  assert.equal(rep.lastTime, T0 + 5.005);
  assert.equal(rep.lastFrame, 18);
  assert.equal(new Conntrack().tableFullReport(), null);
});

test('the table-full report keeps the first keepEvictions entries in full and counts the rest', () => {
  // nf_conntrack_buckets=512: with 300 entries nearly every new SYN finds a victim within 8 buckets.
  const ct = new Conntrack({ sysctl: { nf_conntrack_max: 300, nf_conntrack_buckets: 512 }, hashSeed: 2, keepEvictions: 5 });
  const ids: number[] = [];
  ct.on('event', (e) => {
    if (e.type === 'DESTROY') ids.push(e.entry.id);
  });
  readCapture(floodBytes({ kind: 'syn', packets: 2000, seed: 8 }), (f) => {
    ct.processFrame(f);
  });
  const rep = ct.tableFullReport()!;
  assert.equal(rep.evicted, ct.stats['early_drop']);
  assert.ok(rep.evicted > 1000);
  assert.equal(rep.evictions.length, 5);
  // The first five evicted, in order, each as it was when it went (SYN_SENT, not yet expired).
  assert.deepEqual(rep.evictions.map((e) => e.entry.id), ids.slice(0, 5));
  for (const e of rep.evictions) {
    assert.equal(e.by, 'early_drop');
    assert.equal(e.entry.state, 'SYN_SENT');
    assert.ok(e.entry.timeoutMs > 0);
  }
});
