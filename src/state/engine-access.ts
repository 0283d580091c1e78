/**
 * The one place outside the engine that reads and writes its insides (the
 * connection table's typed arrays and a few private counters), for snapshots
 * (save/restore) and flow records. Everything here depends on the current shape
 * of src/table/conn-table.ts and src/core/conntrack.ts; if that changes, only
 * this file needs updating. The engine API that would replace it is described
 * in the report of this work (export/import of an entry, a kill-reason hook).
 */
import type { Conntrack } from '../conntrack.js';
import { PROTO_WORDS } from '../table/conn-table.js';
import { TUPLE_WORDS, T_META } from '../tuple/tuple.js';
import { keepsPrivate } from '../proto/l4proto.js';

/** Everything that makes up one entry, as plain data. */
export interface RawEntry {
  tuples: number[];
  status: number;
  deadlineMs: number;
  state: number;
  mark: number;
  id: number;
  seq: number;
  startMs: number;
  counters: number[];
  pw: number[];
  aux: number;
}

interface TablePrivates { nextSeq: number }
interface EnginePrivates { started: boolean }

export function readEntry(ct: Conntrack, idx: number): RawEntry {
  const t = ct.engine.table;
  return {
    tuples: Array.from(t.pairOf(idx)),
    status: t.statusOf(idx),
    deadlineMs: t.deadlineOf(idx),
    state: t.stateOf(idx),
    mark: t.markOf(idx),
    id: t.idOf(idx),
    seq: t.seq[idx]!,
    startMs: t.startOf(idx),
    counters: counters(ct, idx),
    pw: t.hasPrivate(idx) ? Array.from(t.pw.subarray(t.pwBase(idx), t.pwBase(idx) + PROTO_WORDS)) : [],
    aux: t.auxOf(idx),
  };
}

/** Inserts a confirmed entry with exactly these contents (no event). */
export function writeEntry(ct: Conntrack, e: RawEntry): number {
  const t = ct.engine.table;
  const idx = t.alloc();
  // The reply tuple is the inverse of the original (no NAT): only the original is kept.
  t.rec.set(e.tuples.slice(0, TUPLE_WORDS), t.origBase(idx));
  t.setStatus(idx, e.status);
  t.setDeadline(idx, e.deadlineMs);
  t.setState(idx, e.state);
  t.setMark(idx, e.mark);
  t.seq[idx] = e.seq; // (the id follows from it)
  // Saved from a table that kept counters: keep them (flow records may want them later).
  if (e.startMs !== 0 || e.counters.some((c) => c !== 0)) t.enableCounters();
  t.setStart(idx, e.startMs);
  t.setCounters(idx, 0, e.counters[0]!, e.counters[1]!);
  t.setCounters(idx, 1, e.counters[2]!, e.counters[3]!);
  if (keepsPrivate(e.tuples[T_META]! & 0xff)) {
    t.attachPrivate(idx);
    t.pw.set(e.pw, t.pwBase(idx));
  }
  t.setAux(idx, e.aux);
  t.confirm(idx);
  return idx;
}

/** Confirmed entries, oldest first. */
export function liveEntries(ct: Conntrack): number[] {
  return ct.engine.table.entries();
}

export interface EngineClock {
  nowMs: number;
  started: boolean;
  nextSeq: number;
}

export function readClock(ct: Conntrack): EngineClock {
  const t = ct.engine.table as unknown as TablePrivates;
  return { nowMs: ct.engine.nowMs, started: (ct.engine as unknown as EnginePrivates).started, nextSeq: t.nextSeq };
}

export function writeClock(ct: Conntrack, c: EngineClock): void {
  ct.engine.nowMs = c.nowMs;
  (ct.engine as unknown as EnginePrivates).started = c.started;
  const t = ct.engine.table as unknown as TablePrivates;
  t.nextSeq = c.nextSeq;
}

export function readStats(ct: Conntrack): Record<string, number> {
  return ct.engine.stats.toRecord();
}

export function writeStats(ct: Conntrack, stats: Readonly<Record<string, number>>): void {
  const s = ct.engine.stats as unknown as Record<string, number>;
  for (const [k, v] of Object.entries(stats)) if (typeof s[k] === 'number') s[k] = v;
}

/** Starts keeping packets, bytes and the start time per entry: flow records need them whether or not nf_conntrack_acct is on. */
export function keepCounters(ct: Conntrack): void {
  ct.engine.table.enableCounters();
}

/** Per-direction packets/bytes of an entry (counted since keepCounters() or with nf_conntrack_acct on). */
export function counters(ct: Conntrack, idx: number): [number, number, number, number] {
  const t = ct.engine.table;
  return [t.packetsOf(idx, 0), t.bytesOf(idx, 0), t.packetsOf(idx, 1), t.bytesOf(idx, 1)];
}

export function startMs(ct: Conntrack, idx: number): number {
  return ct.engine.table.startOf(idx);
}

export function deadlineMs(ct: Conntrack, idx: number): number {
  return ct.engine.table.deadlineOf(idx);
}

/** TCP flags of the packet being tracked (0 when it is not TCP or has no header). */
export function currentTcpFlags(ct: Conntrack): number {
  const m = ct.engine.meta as unknown as { protonum: number; l4Off: number; end: number; buf: Uint8Array };
  if (m.protonum !== 6 || m.l4Off < 0 || m.l4Off + 14 > m.end) return 0;
  return m.buf[m.l4Off + 13] ?? 0;
}

/** Looks up the table index of an entry by its conntrack id (cold path). */
export function indexOfId(ct: Conntrack, id: number): number {
  const t = ct.engine.table;
  for (const i of t.entries()) if (t.idOf(i) === id) return i;
  return -1;
}
