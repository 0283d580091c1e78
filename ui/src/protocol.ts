/** Messages between the page (main.ts) and the engine worker (worker.ts). */

export interface RunSettings {
  /** Kernel sysctl names (with or without net.netfilter.) → value. */
  sysctl: Record<string, number>;
  profile?: string;
}

export interface ConnInfo {
  id: number;
  /** `tcp 192.168.1.5:1031 > 192.168.1.35:23` (original direction). */
  label: string;
  proto: string;
  /** Relative seconds of its first packet. */
  start: number;
  /** Relative seconds it left the table (DESTROY), or when it would expire after the last packet. */
  end: number;
  /** True when the entry is still in the table after the last packet. */
  alive: boolean;
  /** TCP state name at the end (or when destroyed), null for other protocols. */
  finalState: string | null;
}

/** One whole run of the capture through the tracker, columnar (one slot per frame). */
export interface RunResult {
  type: 'result';
  run: number;
  name: string;
  format: string;
  /** Absolute capture time of the first frame, seconds. */
  t0: number;
  /** Relative time of the last frame. */
  tEnd: number;
  n: number;
  /** Frame number (1-based), relative time, ctstate (CTSTATE_*), dir (-1/0/1), TCP state after (-1 none). */
  frame: Uint32Array;
  ts: Float64Array;
  ctstate: Uint8Array;
  dir: Int8Array;
  state: Int8Array;
  /** Lane: 0 = no entry, k = conns[k - 1]. */
  lane: Int32Array;
  /** TCP transition of the packet's entry: from * 16 + to, or -1. */
  trans: Int16Array;
  /** Index into flows / reasons (-1: none). */
  flow: Uint32Array;
  reason: Int32Array;
  flows: string[];
  reasons: string[];
  conns: ConnInfo[];
  stats: Record<string, number>;
  warnings: string[];
  truncatedAt: number | null;
  sysctl: Record<string, number>;
  elapsedMs: number;
}

export interface TableResult {
  type: 'table';
  seq: number;
  at: number;
  /** The first rows of the table (at most 500), oldest entry first. */
  lines: string[];
  ids: number[];
  /** Entries in the table. */
  total: number;
  /** Time the worker took. */
  ms: number;
}

export type ToWorker =
  | { type: 'load'; bytes: ArrayBuffer; name: string; settings: RunSettings; run: number }
  | { type: 'rerun'; settings: RunSettings; run: number }
  | { type: 'table'; at: number; seq: number };

export type FromWorker =
  | RunResult
  | TableResult
  | { type: 'progress'; run: number; frac: number; frames: number }
  | { type: 'error'; run: number; message: string };
