/**
 * The engine, in a Web Worker: runs a capture through ctscope's Conntrack and
 * sends the page one columnar result; answers "the table at time T" requests
 * with the same semantics as `ctscope replay FILE --at T`.
 */
import { Conntrack } from '../../src/conntrack.js';
import { CaptureReader } from '../../src/io/capture-reader.js';
import { CaptureError } from '../../src/io/errors.js';
import { createFrame, type CaptureFrame } from '../../src/io/frame.js';
import { EVENT_DESTROY } from '../../src/core/conntrack.js';
import { TCP_CONNTRACK_NAMES } from '../../src/proto/tcp-states.js';
import { formatProc } from '../../src/format/proc.js';
import { ntop6 } from '../../src/format/addr.js';
import { packetInfo } from '../../src/cli/packet-line.js';
import type { ConnInfo, FromWorker, RunResult, RunSettings, ToWorker } from './protocol.js';

interface WorkerScope {
  postMessage(m: FromWorker, transfer?: Transferable[]): void;
  onmessage: ((e: MessageEvent<ToWorker>) => void) | null;
}
const scope = self as unknown as WorkerScope;

let bytes: Uint8Array | null = null;
let name = '';
let settings: RunSettings = { sysctl: {} };

function makeConntrack(s: RunSettings): Conntrack {
  return new Conntrack({ sysctl: s.sysctl, ...(s.profile ? { profile: s.profile } : {}) });
}

function frameTs(f: CaptureFrame): number {
  return f.tsSec + f.tsNsec / 1e9;
}

class Grow<T extends Float64Array | Uint32Array | Uint8Array | Int8Array | Int32Array | Int16Array> {
  constructor(public a: T, private readonly make: (n: number) => T) {}
  n = 0;
  push(v: number): void {
    if (this.n === this.a.length) {
      const b = this.make(this.a.length * 2);
      b.set(this.a as never);
      this.a = b;
    }
    this.a[this.n++] = v;
  }
  done(): T {
    return this.a.slice(0, this.n) as T;
  }
}

function flowKey(proto: string | undefined, src: string | undefined, sport: number | undefined, dst: string | undefined, dport: number | undefined): string {
  const a = `${src}|${sport ?? ''}`;
  const b = `${dst}|${dport ?? ''}`;
  return a < b ? `${proto} ${a} ${b}` : `${proto} ${b} ${a}`;
}

function run(runId: number): void {
  if (bytes === null) return;
  const started = performance.now();
  const ct = makeConntrack(settings);
  const cap = Math.max(1024, Math.min(1 << 22, bytes.length >> 6));
  const frameNo = new Grow(new Uint32Array(cap), (n) => new Uint32Array(n));
  const ts = new Grow(new Float64Array(cap), (n) => new Float64Array(n));
  const ctstate = new Grow(new Uint8Array(cap), (n) => new Uint8Array(n));
  const dir = new Grow(new Int8Array(cap), (n) => new Int8Array(n));
  const state = new Grow(new Int8Array(cap), (n) => new Int8Array(n));
  const lane = new Grow(new Int32Array(cap), (n) => new Int32Array(n));
  const trans = new Grow(new Int16Array(cap), (n) => new Int16Array(n));
  const flow = new Grow(new Uint32Array(cap), (n) => new Uint32Array(n));
  const reason = new Grow(new Int32Array(cap), (n) => new Int32Array(n));
  const flows: string[] = [];
  const flowIdx = new Map<string, number>();
  const reasons: string[] = [];
  const reasonIdx = new Map<string, number>();
  const conns: ConnInfo[] = [];
  const laneById = new Map<number, number>();
  const laneByFlow = new Map<string, number>();
  const lastState: number[] = [];
  const engine = ct.engine;
  let destroyMs = -1;
  let destroyedId = 0;
  let destroyedState = -1;
  let t0 = -1;
  engine.onEvent((kind, conn, _mask, timeMs) => {
    if (kind !== EVENT_DESTROY) return;
    destroyedId = engine.table.idOf(conn);
    destroyMs = timeMs;
    destroyedState = engine.table.stateOf(conn);
    const l = laneById.get(destroyedId);
    if (l !== undefined) {
      const c = conns[l - 1]!;
      c.end = timeMs / 1000 - t0;
      c.alive = false;
      if (c.proto === 'tcp') c.finalState = TCP_CONNTRACK_NAMES[destroyedState] ?? null;
      laneById.delete(destroyedId);
    }
  });
  void destroyMs;
  const reader = new CaptureReader();
  reader.push(bytes);
  reader.end();
  const f = createFrame();
  let lastPost = performance.now();
  let tLast = 0;
  while (reader.next(f)) {
    const tAbs = frameTs(f);
    if (t0 < 0) t0 = tAbs;
    const r = ct.processFrame(f);
    const info = packetInfo(engine, r, f.index, tAbs);
    const rel = tAbs - t0;
    tLast = Math.max(tLast, rel);
    frameNo.push(f.index);
    ts.push(rel);
    ctstate.push(r.ctstate);
    dir.push(r.dir);
    state.push(r.dir >= 0 ? r.state : -1);
    let flowText: string;
    if (info.skipped !== undefined) flowText = `skipped: ${info.skipped}`;
    else {
      const v6 = (info.src ?? '').includes(':');
      const ep = (a: string | undefined, p: number | undefined): string => (p === undefined ? `${a}` : v6 ? `[${a}]:${p}` : `${a}:${p}`);
      flowText = `${info.proto} ${ep(info.src, info.sport)} > ${ep(info.dst, info.dport)}`;
      if (info.icmpType !== undefined) flowText += ` type=${info.icmpType} code=${info.icmpCode}`;
    }
    let fi = flowIdx.get(flowText);
    if (fi === undefined) {
      fi = flows.length;
      flows.push(flowText);
      flowIdx.set(flowText, fi);
    }
    flow.push(fi);
    const why = info.reason ?? info.skipped;
    if (why !== undefined) {
      let ri = reasonIdx.get(why);
      if (ri === undefined) {
        ri = reasons.length;
        reasons.push(why);
        reasonIdx.set(why, ri);
      }
      reason.push(ri);
    } else reason.push(-1);
    // Lane: the entry the packet belongs to; packets without one go to the
    // lane of the connection with the same addresses and ports, if any.
    const key = info.skipped === undefined ? flowKey(info.proto, info.src, info.sport, info.dst, info.dport) : '';
    let l = 0;
    let tr = -1;
    if (r.dir >= 0 && r.connId !== 0) {
      let known = laneById.get(r.connId);
      if (known === undefined) {
        const s = ct.snapshot(r.conn);
        const proto = info.proto ?? String(s.protonum);
        const o = s.orig;
        const src = ep2(o.src, o.sport, s.protonum);
        const dst = ep2(o.dst, o.dport, s.protonum);
        conns.push({ id: r.connId, label: `${proto} ${src} > ${dst}`, proto, start: rel, end: rel, alive: true, finalState: null });
        known = conns.length;
        laneById.set(r.connId, known);
        lastState[known] = 0;
      }
      l = known;
      if (key !== '') laneByFlow.set(key, l);
      if (r.state >= 0) {
        const prev = lastState[l]!;
        tr = prev * 16 + r.state;
        lastState[l] = r.state;
      }
    } else if (key !== '') {
      l = laneByFlow.get(key) ?? 0;
    }
    lane.push(l);
    trans.push(tr);
    if ((frameNo.n & 1023) === 0) {
      const now = performance.now();
      if (now - lastPost > 60) {
        lastPost = now;
        scope.postMessage({ type: 'progress', run: runId, frac: f.fileOffset / bytes.length, frames: frameNo.n });
      }
    }
  }
  // Entries still in the table: when they would expire, their last state.
  for (const s of ct.entries()) {
    const l = laneById.get(s.id);
    if (l === undefined) continue;
    const c = conns[l - 1]!;
    c.end = tLast + s.timeoutMs / 1000;
    c.alive = true;
    c.finalState = s.state;
  }
  for (const c of conns) if (c.proto === 'tcp' && c.finalState === null) c.finalState = 'CLOSE';
  const result: RunResult = {
    type: 'result', run: runId, name, format: reader.format ?? 'unknown', t0: Math.max(0, t0), tEnd: tLast, n: frameNo.n,
    frame: frameNo.done(), ts: ts.done(), ctstate: ctstate.done(), dir: dir.done(), state: state.done(), lane: lane.done(),
    trans: trans.done(), flow: flow.done(), reason: reason.done(), flows, reasons, conns, stats: ct.stats,
    warnings: [...reader.warnings], truncatedAt: reader.truncatedAt, sysctl: { ...ct.sysctl } as unknown as Record<string, number>,
    elapsedMs: performance.now() - started,
  };
  scope.postMessage(result, [result.frame.buffer, result.ts.buffer, result.ctstate.buffer, result.dir.buffer, result.state.buffer,
    result.lane.buffer, result.trans.buffer, result.flow.buffer, result.reason.buffer] as Transferable[]);
}

function ep2(addr: Uint8Array, port: number, protonum: number): string {
  const ports = protonum === 6 || protonum === 17 || protonum === 136 || protonum === 132;
  if (addr.length === 4) return ports ? `${addr.join('.')}:${port}` : addr.join('.');
  const a = ntop6(addr);
  return ports ? `[${a}]:${port}` : a;
}

// ---- the table at a time: `replay --at` semantics, incremental going forward ----

interface Cursor {
  ct: Conntrack;
  reader: CaptureReader;
  frame: CaptureFrame;
  /** The frame read but not processed yet (its time is past the last request). */
  pending: boolean;
  t0: number;
  /** The last `at` served; a smaller one restarts from the first frame. */
  at: number;
  done: boolean;
}

let cursor: Cursor | null = null;

function newCursor(): Cursor | null {
  if (bytes === null) return null;
  const reader = new CaptureReader();
  reader.push(bytes);
  reader.end();
  return { ct: makeConntrack(settings), reader, frame: createFrame(), pending: false, t0: -1, at: -1, done: false };
}

function tableAt(at: number): { lines: string[]; ids: number[]; total: number } {
  if (cursor === null || at < cursor.at) cursor = newCursor();
  const c = cursor;
  if (c === null) return { lines: [], ids: [], total: 0 };
  let stopAt = c.t0 < 0 ? Infinity : c.t0 + at;
  // As replay does: frames in capture order while their time is <= t0 + at;
  // the first later frame stops the reading.
  for (;;) {
    if (!c.pending) {
      if (c.done || !c.reader.next(c.frame)) {
        c.done = true;
        break;
      }
      c.pending = true;
    }
    const t = frameTs(c.frame);
    if (c.t0 < 0) {
      c.t0 = t;
      stopAt = c.t0 + at;
    }
    if (t > stopAt) break;
    c.ct.processFrame(c.frame);
    c.pending = false;
  }
  c.at = at;
  if (c.t0 >= 0) c.ct.advance(c.t0 + at);
  // Snapshots are made (and formatted) only for the rows the page shows.
  const slots = c.ct.engine.table.entries();
  const lines: string[] = [];
  const ids: number[] = [];
  for (let k = 0; k < slots.length && k < MAX_ROWS; k++) {
    const s = c.ct.snapshot(slots[k]!);
    lines.push(formatProc(s));
    ids.push(s.id);
  }
  return { lines, ids, total: slots.length };
}

/** Table rows sent to the page at most (the count says how many there are). */
const MAX_ROWS = 500;

let pendingTable: { at: number; seq: number } | null = null;
let tableScheduled = false;

function serveTable(): void {
  tableScheduled = false;
  const req = pendingTable;
  pendingTable = null;
  if (req === null) return;
  const t = performance.now();
  const { lines, ids, total } = tableAt(req.at);
  scope.postMessage({ type: 'table', seq: req.seq, at: req.at, lines, ids, total, ms: performance.now() - t });
}

scope.onmessage = (e: MessageEvent<ToWorker>): void => {
  const m = e.data;
  try {
    switch (m.type) {
      case 'load':
        bytes = new Uint8Array(m.bytes);
        name = m.name;
        settings = m.settings;
        cursor = null;
        run(m.run);
        break;
      case 'rerun':
        settings = m.settings;
        cursor = null;
        run(m.run);
        break;
      case 'table':
        // Only the latest request matters while the user drags the scrubber.
        pendingTable = { at: m.at, seq: m.seq };
        if (!tableScheduled) {
          tableScheduled = true;
          setTimeout(serveTable, 0);
        }
        break;
    }
  } catch (err) {
    // Capture messages leave the offset to the caller, as the CLI's `FILE at offset N:` does.
    const message = err instanceof CaptureError ? `at offset ${err.offset}: ${err.message}` : err instanceof Error ? err.message : String(err);
    scope.postMessage({ type: 'error', run: 'run' in m ? m.run : -1, message });
  }
};
