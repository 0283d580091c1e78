/**
 * One --threads worker: its own tracker for the connections the main thread
 * routes to it. Every frame's time reaches every worker, so each clock and each
 * expiry moves exactly as the single tracker's would; what a frame causes is
 * recorded with sort keys (see messages.ts) for the main thread to merge.
 */
import { parentPort, workerData, type MessagePort } from 'node:worker_threads';
import { Conntrack, type EventType } from '../../conntrack.js';
import { EVENT_DESTROY } from '../../core/conntrack.js';
import { CTSTATE_INVALID, CTSTATE_NAMES, IPCT_PROTOINFO } from '../../core/consts.js';
import type { Expectation } from '../../expect/expectations.js';
import { createFrame } from '../../io/frame.js';
import { packetInfo } from '../../cli/packet-line.js';
import { PacketTally } from '../../cli/tally.js';
import { invalidKey } from '../../format/pretty.js';

/** The reasons of a packet that is not invalid (one shared empty list, not one per packet). */
const NO_REASONS: string[] = [];
import {
  PHASE_EXPECT_EXPIRY, PHASE_EXPIRY, PHASE_OWN, type BatchIn, type BatchOut, type EndIn, type EndOut, type ExpectRec,
  type Rec, type SummaryShare, type WorkerOut, type WorkerSetup,
} from './messages.js';

const { setup, port, shard } = workerData as { setup: WorkerSetup; port: MessagePort; shard: number };
// Test hook (test/unit/cli/threads.test.ts): CTSCOPE_TEST_WORKER_CRASH=SHARD:start makes that worker
// throw while loading, SHARD:batch exit with code 3 after its first batch: deaths the main thread
// must notice without a reply.
const [crashShard, crashWhen] = (process.env['CTSCOPE_TEST_WORKER_CRASH'] ?? '').split(':');
const crash = crashShard === String(shard) ? crashWhen : undefined;
if (crash === 'start') throw new Error('crashed at start (CTSCOPE_TEST_WORKER_CRASH)');

const EVENT_TYPES: readonly EventType[] = ['NEW', 'UPDATE', 'DESTROY'];

class ShardWorker {
  private readonly ct: Conntrack;
  private readonly tally = new PacketTally();
  private readonly summary: SummaryShare = { firstSeen: CTSTATE_NAMES.map(() => Infinity), invalid: {} };
  private records: Rec[] = [];
  private allocs: number[] = [];
  private allocated = 0;
  private pos = 0;
  private phase = PHASE_OWN;
  /** Frame number of the frame being tracked (expectation creation keys). */
  private frameIndex = 0;
  private createdInFrame = 0;
  /** Creation key of each live expectation: frame number × 65536 + order within the frame. */
  private readonly created = new Map<Expectation, number>();
  /** Expectations an expiring entry takes along: they share its sort key, which its DESTROY brings. */
  private group: ExpectRec[] = [];
  private pending = 0;

  constructor(private readonly setup: WorkerSetup) {
    this.ct = new Conntrack(setup.ctOpts);
    const e = this.ct.engine;
    if (setup.events) {
      e.onEvent((kind, conn, mask, timeMs) => {
        const entry = this.ct.snapshot(conn, timeMs);
        entry.id = e.table.seq[conn]!;
        const expiry = this.phase === PHASE_EXPIRY;
        const k2 = expiry ? e.table.seq[conn]! : 0;
        const k1 = expiry ? timeMs : 0;
        for (const g of this.group) {
          g.k1 = k1;
          g.k2 = k2;
        }
        this.group = [];
        this.records.push({
          kind: 'event', pos: this.pos, phase: this.phase, k1, k2, type: EVENT_TYPES[kind]!, time: timeMs / 1000, entry,
          protoinfo: kind === EVENT_DESTROY || (mask & IPCT_PROTOINFO) !== 0,
        });
      });
    }
    // Creation keys are kept whenever expectations can exist: the table at the end is ordered by them.
    e.helpers?.expectations.onEvent((type, x, timeMs) => {
      if (type === 'NEW') this.created.set(x, this.frameIndex * 65536 + this.createdInFrame++);
      const created = this.created.get(x) ?? 0;
      if (type === 'DESTROY') this.created.delete(x);
      if (!setup.events) return;
      const rec: ExpectRec = { kind: 'expect', pos: this.pos, phase: this.phase, k1: 0, k2: 0, type, time: timeMs / 1000, x: this.ct.expectSnapshot(x, timeMs) };
      if (this.phase === PHASE_EXPIRY) {
        // Due ones go first (nf_ct_expect gc), oldest deadline first, then newest first;
        // the others go with the entry being destroyed.
        if (x.deadlineMs <= timeMs) {
          rec.phase = PHASE_EXPECT_EXPIRY;
          rec.k1 = x.deadlineMs;
          rec.k2 = -created;
        } else this.group.push(rec);
      }
      this.records.push(rec);
    });
  }

  batch(b: BatchIn): BatchOut {
    const e = this.ct.engine;
    const frame = createFrame();
    frame.buf = b.bytes;
    frame.dv = new DataView(b.bytes.buffer, b.bytes.byteOffset, b.bytes.byteLength);
    const pendingLog: number[] = [];
    const expectTable = e.helpers?.expectations ?? null;
    let peak = e.table.count;
    let expectPeak = expectTable?.count ?? 0;
    let next = 0;
    for (let pos = 0; pos < b.frames; pos++) {
      this.pos = pos;
      const tsSec = b.tsSec[pos]!;
      const tsNsec = b.tsNsec[pos]!;
      this.phase = PHASE_EXPIRY;
      // The same arithmetic as Conntrack.processFrame, so the clocks agree to the bit.
      e.advance(tsSec * 1000 + tsNsec / 1e6);
      if (next < b.owned && b.own[next] === pos) {
        this.phase = PHASE_OWN;
        this.track(b, next, frame, tsSec, tsNsec);
        next++;
        if (e.table.count > peak) peak = e.table.count;
        if (expectTable !== null && expectTable.count > expectPeak) expectPeak = expectTable.count;
        if (this.setup.packets) this.notePending(pos, pendingLog);
      } else if (this.setup.packets && this.pending > 0) this.notePending(pos, pendingLog);
    }
    const out: BatchOut = {
      type: 'batch', batch: b, records: this.records, allocs: Int32Array.from(this.allocs), peak, expectPeak, pending: pendingLog,
    };
    this.records = [];
    this.allocs = [];
    return out;
  }

  private track(b: BatchIn, k: number, frame: ReturnType<typeof createFrame>, tsSec: number, tsNsec: number): void {
    const e = this.ct.engine;
    frame.index = b.index[k]!;
    frame.linkType = b.linkType[k]!;
    frame.tsSec = tsSec;
    frame.tsNsec = tsNsec;
    frame.offset = b.start[k]!;
    frame.caplen = b.caplen[k]!;
    frame.origLen = b.origLen[k]!;
    this.frameIndex = frame.index;
    this.createdInFrame = 0;
    const r = this.ct.processFrame(frame);
    for (const n = e.table.allocated; this.allocated < n; this.allocated++) this.allocs.push(this.pos);
    this.tally.observe(r);
    const c = r.ctstate;
    if (this.summary.firstSeen[c] === Infinity) this.summary.firstSeen[c] = frame.index;
    const reasons = c === CTSTATE_INVALID ? r.reasons() : NO_REASONS;
    if (c === CTSTATE_INVALID) {
      // Keyed as SummaryCollector keys them.
      const key = invalidKey(reasons);
      const had = this.summary.invalid[key];
      if (had === undefined) this.summary.invalid[key] = [1, frame.index];
      else had[0]++;
    }
    if (!this.setup.perPacket) return;
    const ts = tsSec + tsNsec / 1e9;
    this.records.push({
      kind: 'packet', pos: this.pos, phase: PHASE_OWN, k1: 0, k2: 0, ts, ctstate: c, reasons,
      info: this.setup.packets ? packetInfo(e, r, frame.index, ts) : null,
      fragment: r.fragment, datagramFrames: r.datagramFrames,
    });
  }

  /** Datagrams awaiting fragments, logged when they change (the merged --packets holds lines while any waits). */
  private notePending(pos: number, log: number[]): void {
    const p = this.ct.fragmentsPending;
    if (p === this.pending) return;
    log.push(pos, p);
    this.pending = p;
  }

  end(m: EndIn): EndOut {
    this.pos = 0;
    this.phase = PHASE_EXPIRY;
    if (m.atSec !== null) this.ct.advance(m.atSec);
    const e = this.ct.engine;
    const entries = m.entries ? e.table.entries().map((i) => ({ ...this.ct.snapshot(i), id: e.table.seq[i]! })) : [];
    const list = this.setup.expectations ? e.helpers?.expectations.list ?? [] : [];
    return {
      type: 'end', records: this.records, entries, stats: this.ct.stats, count: this.ct.count, tally: this.tally, summary: this.summary,
      expectations: list.map((x) => ({ x: this.ct.expectSnapshot(x, e.nowMs), created: this.created.get(x) ?? 0 })),
    };
  }
}

const signal = new Int32Array(setup.signal);
const worker = new ShardWorker(setup);

function reply(m: WorkerOut, transfer: ArrayBuffer[] = []): void {
  port.postMessage(m, transfer);
  // The main thread may be blocked in Atomics.wait (it reads while it waits for replies).
  Atomics.add(signal, 0, 1);
  Atomics.notify(signal, 0);
}

parentPort!.on('message', (m: BatchIn | EndIn) => {
  try {
    if (m.type === 'end') reply(worker.end(m));
    else {
      const out = worker.batch(m);
      reply(out, [m.tsSec, m.tsNsec, m.own, m.index, m.linkType, m.caplen, m.origLen, m.start, m.bytes].map((a) => a.buffer as ArrayBuffer));
      if (crash === 'batch') process.exit(3);
    }
  } catch (err) {
    // One line for the user (the main thread prints it), no stack.
    reply({ type: 'error', message: err instanceof Error ? err.message : String(err) });
  }
});
