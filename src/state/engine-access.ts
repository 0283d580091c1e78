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
import { TUPLE_WORDS } from '../tuple/tuple.js';

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

interface TablePrivates { nextSeq: number; nextId: number }
interface EnginePrivates { started: boolean }

export function readEntry(ct: Conntrack, idx: number): RawEntry {
  const t = ct.engine.table;
  const tb = idx * 2 * TUPLE_WORDS;
  return {
    tuples: Array.from(t.tuples.subarray(tb, tb + 2 * TUPLE_WORDS)),
    status: t.status[idx]!,
    deadlineMs: t.deadline[idx]!,
    state: t.state[idx]!,
    mark: t.mark[idx]!,
    id: t.id[idx]!,
    seq: t.seq[idx]!,
    startMs: t.startMs[idx]!,
    counters: Array.from(t.counters.subarray(idx * 4, idx * 4 + 4)),
    pw: Array.from(t.pw.subarray(idx * PROTO_WORDS, (idx + 1) * PROTO_WORDS)),
    aux: t.aux[idx]!,
  };
}

/** Inserts a confirmed entry with exactly these contents (no event). */
export function writeEntry(ct: Conntrack, e: RawEntry): number {
  const t = ct.engine.table;
  const idx = t.alloc();
  t.tuples.set(e.tuples, idx * 2 * TUPLE_WORDS);
  t.status[idx] = e.status;
  t.deadline[idx] = e.deadlineMs;
  t.state[idx] = e.state;
  t.mark[idx] = e.mark;
  t.id[idx] = e.id;
  t.seq[idx] = e.seq;
  t.startMs[idx] = e.startMs;
  t.counters.set(e.counters, idx * 4);
  t.pw.set(e.pw, idx * PROTO_WORDS);
  t.aux[idx] = e.aux;
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
  nextId: number;
}

export function readClock(ct: Conntrack): EngineClock {
  const t = ct.engine.table as unknown as TablePrivates;
  return { nowMs: ct.engine.nowMs, started: (ct.engine as unknown as EnginePrivates).started, nextSeq: t.nextSeq, nextId: t.nextId };
}

export function writeClock(ct: Conntrack, c: EngineClock): void {
  ct.engine.nowMs = c.nowMs;
  (ct.engine as unknown as EnginePrivates).started = c.started;
  const t = ct.engine.table as unknown as TablePrivates;
  t.nextSeq = c.nextSeq;
  t.nextId = c.nextId;
}

export function readStats(ct: Conntrack): Record<string, number> {
  return ct.engine.stats.toRecord();
}

export function writeStats(ct: Conntrack, stats: Readonly<Record<string, number>>): void {
  const s = ct.engine.stats as unknown as Record<string, number>;
  for (const [k, v] of Object.entries(stats)) if (typeof s[k] === 'number') s[k] = v;
}

/** Per-direction packets/bytes of an entry (kept whether or not nf_conntrack_acct is on). */
export function counters(ct: Conntrack, idx: number): [number, number, number, number] {
  const c = ct.engine.table.counters;
  return [c[idx * 4]!, c[idx * 4 + 1]!, c[idx * 4 + 2]!, c[idx * 4 + 3]!];
}

export function startMs(ct: Conntrack, idx: number): number {
  return ct.engine.table.startMs[idx]!;
}

export function deadlineMs(ct: Conntrack, idx: number): number {
  return ct.engine.table.deadline[idx]!;
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
  for (const i of t.entries()) if (t.id[i] === id) return i;
  return -1;
}
