/**
 * `replay --threads N`: the main thread reads the capture, routes each frame to
 * the worker owning its address pair (shard-key.ts), ships batches, and merges
 * the workers' records into the output one tracker would print.
 *
 * - Clock: every worker gets every frame's time and advances on it, so entries
 *   and expectations expire at the same frame, with the same times, as in one tracker.
 * - Order: per frame, expectations expiring (by deadline, newest first), entries
 *   expiring (by deadline, then creation), then what the frame itself caused.
 * - Creation numbers and ids are global in the kernel: workers report which frame
 *   allocated each of their entries, and the main thread renumbers (the ids come
 *   from a scratch table, so the sequence is the tracker's own).
 * - Table limits are global too. Each batch, the workers' peaks are added up; if
 *   the sum could have reached nf_conntrack_max (or the chain-length or
 *   expectation limits), one tracker would have behaved differently and the run
 *   stops with a fallback: the caller replays on one thread and skips the lines
 *   already printed (the same lines, by construction).
 *
 * Replies are pulled with receiveMessageOnPort and waited for with Atomics.waitAsync
 * on a counter the workers bump. The reader turns the event loop at every batch and
 * while it waits, so that a worker's 'error' or 'exit' (it died outside its own error
 * reply) and Ctrl-C reach their listeners: the run then ends instead of waiting forever.
 */
/// <reference lib="es2024.sharedmemory" />
import { MessageChannel, Worker, receiveMessageOnPort, type MessagePort } from 'node:worker_threads';
import { DEFAULT_ID_SEED, connId } from '../../table/conn-table.js';
import { CaptureReader } from '../../io/capture-reader.js';
import { CaptureError } from '../../io/errors.js';
import { createFrame, type CaptureFrame } from '../../io/frame.js';
import { CTSTATE_NAMES } from '../../core/consts.js';
import type { ReplaySummary } from '../../format/pretty.js';
import type { ConntrackOptions } from '../../conntrack.js';
import { createLinkResult, decodeLink, isSupportedLinkType, linkTypeName } from '../../packet/link.js';
import { NOT_SPLIT, QUOTED_UNREADABLE, ShardKey, shardKey, shardOf } from '../../core/shard-key.js';
import type { ConnSnapshot } from '../../format/snapshot.js';
import type { ExpectSnapshot } from '../../format/expect.js';
import { DEFAULT_CHUNK, openCapture, turn, type ReadSummary } from '../capture-source.js';
import type { Output } from '../../cli/output.js';
import type { Progress } from '../../cli/progress.js';
import type { SummaryCollector } from '../../cli/conntrack/replay-hooks.js';
import { PacketOrder } from '../../cli/packet-order.js';
import { packetOutput } from '../../cli/packet-line.js';
import { eventLine, expectEventLine } from '../../cli/event-lines.js';
import { PacketTally } from '../../cli/tally.js';
import {
  PHASE_EXPIRY, type BatchIn, type BatchOut, type EndOut, type Rec, type WorkerOut, type WorkerSetup,
} from './messages.js';

/** Frames per batch: large enough to amortise a message, small enough to keep workers fed. */
const BATCH = 4096;
/** Batches on their way before the reader waits for the oldest. */
const IN_FLIGHT = 4;

export interface ThreadedReplay {
  file: string;
  threads: number;
  ctOpts: ConntrackOptions;
  /** off, text or json, as for replay. */
  packets: string;
  events: string;
  /** --summary: every packet is observed by `sum`. */
  summary: boolean;
  /** The table and the expectation table are needed at the end. */
  entries: boolean;
  expectations: boolean;
  /** --at SECONDS after the first packet. */
  at: number | undefined;
  /** Largest total number of entries / expectations for which no global limit can act. */
  maxEntries: number;
  maxExpectations: number;
  out: Output;
  progress: Progress;
  sum: SummaryCollector;
}

export type ThreadedResult =
  | {
    kind: 'done'; frames: number; read: ReadSummary; entries: ConnSnapshot[]; expectations: ExpectSnapshot[];
    stats: Record<string, number>; count: number; tally: PacketTally;
  }
  /** Ctrl-C: what the workers had been sent is merged and printed; the table and the summary so far. */
  | { kind: 'interrupted'; entries: ConnSnapshot[]; summary: ReplaySummary }
  /** A worker died or threw: `worker thread N failed: ...`. */
  | { kind: 'failed'; message: string }
  | { kind: 'error'; error: unknown; lines: number }
  | { kind: 'fallback'; reason: string; lines: number };

function newBatch(): BatchIn {
  return {
    type: 'batch', frames: 0, owned: 0, tsSec: new Float64Array(BATCH), tsNsec: new Float64Array(BATCH),
    own: new Int32Array(BATCH), index: new Float64Array(BATCH), linkType: new Int32Array(BATCH), caplen: new Int32Array(BATCH),
    origLen: new Int32Array(BATCH), start: new Int32Array(BATCH), bytes: new Uint8Array(1 << 20),
  };
}

/** One worker's share of the batch being built, in arrays that come back from the worker to be reused. */
class Lane {
  private b = newBatch();
  private used = 0;
  private readonly free: BatchIn[] = [];

  add(pos: number, f: CaptureFrame): void {
    const b = this.b;
    if (this.used + f.caplen > b.bytes.length) {
      const grown = new Uint8Array(Math.max(b.bytes.length * 2, this.used + f.caplen));
      grown.set(b.bytes.subarray(0, this.used));
      b.bytes = grown;
    }
    b.bytes.set(f.buf.subarray(f.offset, f.offset + f.caplen), this.used);
    const k = b.owned++;
    b.own[k] = pos;
    b.index[k] = f.index;
    b.linkType[k] = f.linkType;
    b.caplen[k] = f.caplen;
    b.origLen[k] = f.origLen;
    b.start[k] = this.used;
    this.used += f.caplen;
  }

  /** The batch to send (with the frames' times), and the lists it takes along. */
  take(frames: number, tsSec: Float64Array, tsNsec: Float64Array): { msg: BatchIn; transfer: ArrayBuffer[] } {
    const msg = this.b;
    msg.frames = frames;
    msg.tsSec.set(tsSec.subarray(0, frames));
    msg.tsNsec.set(tsNsec.subarray(0, frames));
    this.b = this.free.pop() ?? newBatch();
    this.b.owned = 0;
    this.used = 0;
    const arrays = [msg.tsSec, msg.tsNsec, msg.own, msg.index, msg.linkType, msg.caplen, msg.origLen, msg.start, msg.bytes];
    return { msg, transfer: arrays.map((a) => a.buffer as ArrayBuffer) };
  }

  recycle(b: BatchIn): void {
    this.free.push(b);
  }
}

class Fallback {
  constructor(readonly reason: string) {}
}

/** `worker thread N failed: ...`, one line (a load error may carry more). */
class WorkerFailure {
  readonly message: string;
  constructor(w: number, why: string) {
    this.message = `worker thread ${w} failed: ${why.split('\n')[0]}`;
  }
}

export async function replayThreaded(o: ThreadedReplay): Promise<ThreadedResult> {
  // Opened first: a file that can't be opened throws as on one thread, before any worker exists.
  // Read chunk by chunk here (not with the source's forEach) to turn the event loop once per batch.
  const source = openCapture(o.file);
  let interrupted = false;
  // Ctrl-C: reading stops, the workers finish what they were sent, the caller prints the summary.
  const onInterrupt = (): void => {
    interrupted = true;
  };
  process.once('SIGINT', onInterrupt);
  const n = o.threads;
  const signal = new Int32Array(new SharedArrayBuffer(4));
  const perPacket = o.packets !== 'off' || o.summary;
  const setup: WorkerSetup = {
    ctOpts: o.ctOpts, events: o.events !== 'off', packets: o.packets !== 'off', perPacket,
    expectations: o.expectations, signal: signal.buffer as SharedArrayBuffer,
  };
  let failure = null as WorkerFailure | null; // (set from callbacks: no narrowing to null)
  let closing = false;
  const fail = (w: number, message: string): void => {
    if (failure !== null || closing) return;
    failure = new WorkerFailure(w, message);
    // Wakes the reader if it waits for a reply.
    Atomics.add(signal, 0, 1);
    Atomics.notify(signal, 0);
  };
  const workers: Worker[] = [];
  const ports: MessagePort[] = [];
  for (let w = 0; w < n; w++) {
    const ch = new MessageChannel();
    const worker = new Worker(new URL('./worker.js', import.meta.url), { workerData: { setup, port: ch.port2, shard: w }, transferList: [ch.port2] });
    // A worker only ends when terminated below: failing to load, an uncaught throw or an exit is a failure.
    worker.on('error', (e: unknown) => fail(w, e instanceof Error ? e.message : String(e)));
    worker.on('exit', (code) => fail(w, `exited with code ${code}`));
    workers.push(worker);
    ports.push(ch.port1);
  }
  const merger = new Merger(o, n);
  const reply = async (w: number): Promise<WorkerOut> => {
    for (;;) {
      if (failure !== null) throw failure;
      const seen = Atomics.load(signal, 0);
      const m = receiveMessageOnPort(ports[w]!);
      if (m !== undefined) {
        const out = m.message as WorkerOut;
        if (out.type === 'error') throw (failure = new WorkerFailure(w, out.message));
        return out;
      }
      await Atomics.waitAsync(signal, 0, seen).value;
    }
  };
  let inFlight = 0;
  let fallback = null as Fallback | null; // (set from callbacks: no narrowing to null)
  /** Merges the oldest batch (all workers answered it), unless a fallback was decided. */
  const collect = async (): Promise<void> => {
    const rs: BatchOut[] = [];
    for (let w = 0; w < n; w++) rs.push(await reply(w) as BatchOut);
    rs.forEach((r, w) => lanes[w]!.recycle(r.batch));
    inFlight--;
    if (fallback === null) fallback = merger.batch(rs);
  };
  const lanes = workers.map(() => new Lane());
  const tsSec = new Float64Array(BATCH);
  const tsNsec = new Float64Array(BATCH);
  let pos = 0;
  const dispatch = async (): Promise<void> => {
    if (pos === 0) return;
    for (let w = 0; w < n; w++) {
      const { msg, transfer } = lanes[w]!.take(pos, tsSec, tsNsec);
      workers[w]!.postMessage(msg, transfer);
    }
    pos = 0;
    if (++inFlight > IN_FLIGHT) await collect();
    // A turn of the event loop per batch, also when no reply had to be waited for: Ctrl-C.
    await turn();
  };

  const link = createLinkResult();
  const key = new ShardKey();
  let t0 = -1;
  let lastTs = 0;
  let stopAt = Infinity;
  let frames = 0;
  /** Routes a frame to its worker's lane; false stops reading. */
  const route = (frame: CaptureFrame): boolean => {
    if (fallback !== null || interrupted) return false;
    const ts = frame.tsSec + frame.tsNsec / 1e9;
    if (t0 < 0) {
      t0 = ts;
      merger.t0 = ts;
      if (o.at !== undefined) stopAt = t0 + o.at;
    }
    if (ts > stopAt) return false;
    if (!isSupportedLinkType(frame.linkType)) {
      throw new CaptureError(`unsupported link type ${frame.linkType} (${linkTypeName(frame.linkType)})`, frame.fileOffset);
    }
    if ((++frames & 4095) === 0) o.progress.tick(frames, frame.fileOffset);
    let w = 0;
    if (decodeLink(frame, link)) {
      shardKey(frame.buf, frame.dv, link.l3Off, link.l3Off + link.l3Len, key);
      w = shardOf(key.key, n);
      const q = key.quotedKey;
      if (q !== NOT_SPLIT && (q === QUOTED_UNREADABLE || shardOf(q, n) !== w)) {
        fallback = new Fallback(`frame ${frame.index} is a fragment of an ICMP error about another pair of hosts`);
        return false;
      }
    }
    lastTs = ts;
    tsSec[pos] = frame.tsSec;
    tsNsec[pos] = frame.tsNsec;
    lanes[w]!.add(pos++, frame);
    return true;
  };
  // The capture source's loop, with a turn of the event loop per batch.
  const reader = new CaptureReader();
  const frame = createFrame();
  const chunk = new Uint8Array(DEFAULT_CHUNK);
  let stopped = false;
  let error: unknown = null;
  try {
    reading: for (let last = false; !last;) {
      const got = source.readChunk(chunk);
      last = got <= 0; // (a file: never -1, which only stdin gives)
      // The reader holds no reference to the chunk once next() returned false, so it is reused.
      if (last) reader.end();
      else reader.push(got === chunk.length ? chunk : chunk.subarray(0, got));
      while (reader.next(frame)) {
        if (!route(frame)) {
          stopped = true;
          break reading;
        }
        if (pos === BATCH) await dispatch();
      }
    }
  } catch (e) {
    error = e;
  } finally {
    source.close();
  }
  try {
    if (failure !== null) throw failure;
    if (fallback === null) await dispatch();
    while (inFlight > 0) await collect();
    if (fallback !== null) return { kind: 'fallback', reason: fallback.reason, lines: merger.lines };
    if (error !== null) return { kind: 'error', error, lines: merger.lines };
    // Decided here: a later Ctrl-C comes after the last packet.
    const stop = interrupted;
    // As on one thread, Ctrl-C leaves the packet lines held for fragments unprinted.
    if (!stop) merger.order.flush();
    for (const w of workers) {
      w.postMessage({
        type: 'end', atSec: !stop && o.at !== undefined && t0 >= 0 ? t0 + o.at : null, entries: stop || o.entries || o.summary,
      });
    }
    const ends: EndOut[] = [];
    for (let w = 0; w < n; w++) ends.push(await reply(w) as EndOut);
    if (stop) return { kind: 'interrupted', entries: merger.entries(ends), summary: summaryOf(ends, t0, lastTs) };
    const read: ReadSummary = {
      frames: reader.frames, bytes: reader.bytes, truncatedAt: reader.truncatedAt, format: reader.format, warnings: reader.warnings, stopped,
    };
    return { kind: 'done', frames, read, ...merger.end(ends) };
  } catch (e) {
    if (e instanceof WorkerFailure) return { kind: 'failed', message: e.message };
    throw e;
  } finally {
    process.off('SIGINT', onInterrupt);
    closing = true;
    await Promise.all(workers.map((w) => w.terminate()));
    for (const p of ports) p.close();
  }
}

/** The summary Ctrl-C prints, as replay's SummaryCollector counts it, from the workers' shares. */
function summaryOf(ends: EndOut[], firstTime: number, lastTime: number): ReplaySummary {
  const counts = CTSTATE_NAMES.map((_, c) => ends.reduce((sum, e) => sum + e.tally.counts[c]!, 0));
  const first = (c: number): number => Math.min(...ends.map((e) => e.summary.firstSeen[c]!));
  // ctstates and reasons in the order first seen, as one collector lists them.
  const seen = counts.flatMap((k, c) => (k > 0 ? [c] : [])).sort((a, b) => first(a) - first(b));
  const reasons = new Map<string, [number, number]>();
  for (const e of ends) {
    for (const [k, [count, at]] of Object.entries(e.summary.invalid)) {
      const r = reasons.get(k);
      if (r === undefined) reasons.set(k, [count, at]);
      else reasons.set(k, [r[0] + count, Math.min(r[1], at)]);
    }
  }
  return {
    packets: counts.reduce((a, b) => a + b, 0),
    ctstates: Object.fromEntries(seen.map((c) => [CTSTATE_NAMES[c]!, counts[c]!])),
    invalidReasons: Object.fromEntries([...reasons].sort((a, b) => a[1][1] - b[1][1]).map(([k, [count]]) => [k, count])),
    firstTime,
    lastTime,
  };
}

/** Puts the workers' records in one tracker's order and prints them. */
class Merger {
  t0 = 0;
  /** Lines printed so far (a fallback skips as many). */
  lines = 0;
  readonly order: PacketOrder;
  /** Global creation number of each worker's entries, by the worker's creation number. */
  private readonly global: number[][];
  private created = 0;
  private readonly pending: number[];
  private pendingTotal = 0;

  constructor(private readonly o: ThreadedReplay, n: number) {
    this.global = Array.from({ length: n }, () => []);
    this.pending = new Array<number>(n).fill(0);
    const json = o.packets === 'json';
    this.order = new PacketOrder((info) => this.emit(packetOutput(info, json, this.t0)));
  }

  private emit(line: string): void {
    this.lines++;
    this.o.out.line(line);
  }

  private idOf(g: number): number {
    return connId(g, DEFAULT_ID_SEED); // (the tracker's ids: its table's default key)
  }

  /** One batch from every worker: limits checked, entries renumbered, records printed. Returns a fallback or null. */
  batch(rs: BatchOut[]): Fallback | null {
    let peak = 0;
    let expectPeak = 0;
    for (const r of rs) {
      peak += r.peak;
      expectPeak += r.expectPeak;
    }
    if (peak > this.o.maxEntries) return new Fallback(`the table may have reached a global limit (${peak} entries across workers)`);
    if (expectPeak > this.o.maxExpectations) return new Fallback(`the expectation table may have reached nf_conntrack_expect_max (${expectPeak} across workers)`);
    this.number(rs.map((r) => r.allocs));
    const recs = this.gather(rs.map((r) => r.records));
    // Datagrams awaiting fragments, across workers, as each packet line is pushed.
    const changes: number[][] = [];
    rs.forEach((r, w) => {
      for (let i = 0; i < r.pending.length; i += 2) changes.push([r.pending[i]!, w, r.pending[i + 1]!]);
    });
    changes.sort((a, b) => a[0]! - b[0]!);
    let c = 0;
    const apply = (upTo: number): void => {
      for (; c < changes.length && changes[c]![0]! <= upTo; c++) {
        const [, w, p] = changes[c]!;
        this.pendingTotal += p! - this.pending[w!]!;
        this.pending[w!] = p!;
      }
    };
    for (const r of recs) {
      if (r.kind !== 'packet') {
        this.print(r);
        continue;
      }
      apply(r.pos);
      if (r.info !== null) this.order.push(r.info, r, this.pendingTotal);
      if (this.o.summary) this.o.sum.observe({ ctstate: r.ctstate, reasons: () => r.reasons }, r.ts);
    }
    apply(Infinity);
    return null;
  }

  /** Global creation numbers, in frame order (a frame belongs to one worker, which allocates in order). */
  private number(allocs: Int32Array[]): void {
    const at = allocs.map(() => 0);
    for (;;) {
      let best = -1;
      for (let w = 0; w < allocs.length; w++) {
        if (at[w]! < allocs[w]!.length && (best < 0 || allocs[w]![at[w]!]! < allocs[best]![at[best]!]!)) best = w;
      }
      if (best < 0) return;
      at[best]!++;
      this.global[best]!.push(this.created++);
    }
  }

  /** All workers' records with global numbers, sorted stably by frame, phase and keys. */
  private gather(records: Rec[][]): Rec[] {
    const all: Rec[] = [];
    records.forEach((list, w) => {
      const g = this.global[w]!;
      for (const r of list) {
        if (r.phase === PHASE_EXPIRY && r.kind !== 'packet') r.k2 = g[r.k2]!;
        if (r.kind === 'event') r.entry.id = this.idOf(g[r.entry.id]!);
        all.push(r);
      }
    });
    return all.sort((a, b) => a.pos - b.pos || a.phase - b.phase || a.k1 - b.k1 || a.k2 - b.k2);
  }

  private print(r: Rec): void {
    const json = this.o.events === 'json';
    if (r.kind === 'event') this.emit(eventLine(r, json));
    else if (r.kind === 'expect') this.emit(expectEventLine(r.type, r.x, r.time, json));
  }

  /** The workers' tables as one: in creation order, with the tracker's ids. */
  entries(ends: EndOut[]): ConnSnapshot[] {
    const entries: { g: number; s: ConnSnapshot }[] = [];
    ends.forEach((e, w) => {
      for (const s of e.entries) {
        const g = this.global[w]![s.id]!;
        entries.push({ g, s: { ...s, id: this.idOf(g) } });
      }
    });
    return entries.sort((a, b) => a.g - b.g).map((e) => e.s);
  }

  end(ends: EndOut[]): Omit<Extract<ThreadedResult, { kind: 'done' }>, 'kind' | 'frames' | 'read'> {
    for (const r of this.gather(ends.map((e) => e.records))) this.print(r);
    const stats: Record<string, number> = {};
    const tally = new PacketTally();
    let count = 0;
    for (const e of ends) {
      for (const [k, v] of Object.entries(e.stats)) stats[k] = (stats[k] ?? 0) + v;
      tally.add(e.tally);
      count += e.count;
    }
    const expectations = ends.flatMap((e) => e.expectations).sort((a, b) => b.created - a.created).map((e) => e.x);
    return { entries: this.entries(ends), expectations, stats, count, tally };
  }
}
