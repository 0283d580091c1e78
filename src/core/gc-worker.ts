/**
 * gc_worker() of nf_conntrack_core.c (Linux 6.18) on the capture clock.
 *
 * The kernel's garbage collector is a delayed work item: each run walks the
 * hash buckets from where the last run stopped, reaps expired entries, keeps a
 * running mean of the remaining timeouts it sees (to choose when to run next),
 * and, in early-drop mode, kills entries that gc_worker_can_early_drop() allows
 * while nf_conntrack_count is at least 95 % of nf_conntrack_max. Early-drop mode
 * is switched on by a table-full drop (__nf_conntrack_alloc) and off again by
 * the first run that reschedules itself with a non-zero delay.
 *
 * The model, and where it departs from the kernel:
 * - Runs happen at capture times: the first one HZ after the first packet (the
 *   kernel queues it HZ after module load; its phase relative to a capture is
 *   unknowable, so ctscope starts it with the capture), then after the delay
 *   each run chooses, in jiffies of 4 ms (HZ=250).
 * - A run is instantaneous and never exceeds GC_SCAN_MAX_DURATION (10 ms): the
 *   budget is taken as enough for the whole table. A run still stops, as the
 *   kernel's does, after GC_SCAN_EXPIRED_MAX + 1 kills and reschedules itself one
 *   jiffy later (which ends early-drop mode unless a new table-full drop comes).
 * - ctscope expires entries at their exact deadline, before a run at the same
 *   instant, so a run never meets an expired entry: only its kills count toward
 *   GC_SCAN_EXPIRED_MAX.
 * - Buckets are the kernel chains ConnTable keeps (newest node first); both
 *   tuplehash nodes of an entry are visited, as the kernel visits them. Before
 *   the chains exist (the table was never full, so early-drop mode is off) a
 *   run only needs the mean and folds the entries in slot order.
 * - A kill is nf_ct_kill(): DESTROY at the run's time. The kernel counts it in
 *   no statistic (early_drop is only the packet path's).
 */
import { HZ, IPS_DYING } from './consts.js';
import { gcCanEarlyDrop, max95 } from './early-drop.js';
import { T_META } from '../tuple/tuple.js';
import type { ConnTable } from '../table/conn-table.js';

/** Milliseconds per jiffy. */
export const JIFFY_MS = 1000 / HZ;
export const GC_SCAN_INTERVAL_MAX = 60 * HZ;
export const GC_SCAN_INTERVAL_MIN = 1 * HZ;
/** Remaining timeouts are clamped to this before they enter the mean (TCP unacked). */
export const GC_SCAN_INTERVAL_CLAMP = 300 * HZ;
/** Each pass starts its mean as if it had seen this many entries at GC_SCAN_INTERVAL_INIT. */
export const GC_SCAN_INITIAL_COUNT = 100;
export const GC_SCAN_INTERVAL_INIT = GC_SCAN_INTERVAL_MAX;
/** A run stops once it has reaped or killed more than this many entries. */
export const GC_SCAN_EXPIRED_MAX = Math.floor(64000 / HZ);
/** The first run comes HZ after start (nf_conntrack_init_start). */
export const GC_FIRST_RUN = HZ;

/** What a run needs from the engine. */
export interface GcHost {
  readonly table: ConnTable;
  readonly nowMs: number;
  readonly sysctl: { readonly nf_conntrack_max: number };
}

/** Called for each entry a run kills, with the run's time. */
export type GcKill = (idx: number, timeMs: number) => void;

/** The schedule and the state a pass carries from run to run (struct conntrack_gc_work). */
export interface GcState {
  nextRunMs: number;
  earlyDrop: boolean;
  nextBucket: number;
  avgTimeout: number;
  count: number;
  startTime: number;
}

export class GcWorker {
  /**
   * Capture time of the next run. -Infinity until the first packet starts the
   * worker, so the engine's single "anything due?" comparison also starts it.
   */
  nextRunMs = -Infinity;
  /** conntrack_gc_work.early_drop: set by a table-full drop. */
  earlyDrop = false;
  /** Runs so far, and entries they killed (tests, the table-full report). */
  runs = 0;
  kills = 0;
  private nextBucket = 0;
  private avgTimeout = GC_SCAN_INTERVAL_INIT;
  private count = GC_SCAN_INITIAL_COUNT;
  /** Jiffies at the start of the current pass. */
  private startTime = 0;
  private scratch = new Int32Array(64);

  constructor(private readonly kill: GcKill) {}

  /** One gc_worker() invocation at capture time `atMs` (the first call only starts the worker). */
  run(host: GcHost, atMs: number): void {
    if (host.sysctl.nf_conntrack_max === 0) {
      // No limit, no table-full drop: no run could ever kill anything (expiry is exact here).
      this.nextRunMs = Infinity;
      return;
    }
    if (this.nextRunMs === -Infinity) {
      this.nextRunMs = host.nowMs + GC_FIRST_RUN * JIFFY_MS;
      return;
    }
    this.runs++;
    const t = host.table;
    const now = jiffies(atMs);
    const limit95 = this.earlyDrop ? max95(host.sysctl.nf_conntrack_max) : 0;
    let i = this.nextBucket;
    if (i === 0) {
      this.avgTimeout = GC_SCAN_INTERVAL_INIT;
      this.count = GC_SCAN_INITIAL_COUNT;
      this.startTime = now;
    }
    const scan: Scan = { nextRun: this.avgTimeout, count: this.count, expired: 0 };
    let nextRun: number;
    let stoppedAt = -1;
    if (!t.chainsOn) {
      // No kernel chains yet, so no table-full drop yet: nothing to kill, only the mean.
      foldSlots(t, atMs, scan);
    } else {
      const hsize = t.kernelBuckets;
      for (; i < hsize; i++) {
        if (t.chainLength(i) === 0) continue;
        if (!this.scanBucket(t, i, atMs, limit95, scan)) {
          stoppedAt = i;
          break;
        }
      }
    }
    if (stoppedAt >= 0) {
      // Too many kills this run: resume at this bucket a jiffy later, or at once
      // when the pass has already taken longer than GC_SCAN_INTERVAL_MAX.
      this.nextBucket = stoppedAt;
      this.avgTimeout = scan.nextRun;
      this.count = scan.count;
      nextRun = now - this.startTime < GC_SCAN_INTERVAL_MAX ? 1 : 0;
    } else {
      this.nextBucket = 0;
      nextRun = clamp(scan.nextRun, GC_SCAN_INTERVAL_MIN, GC_SCAN_INTERVAL_MAX);
      const delta = Math.max(now - this.startTime, 1);
      nextRun = nextRun > delta ? nextRun - delta : 1;
    }
    if (nextRun !== 0) this.earlyDrop = false;
    this.nextRunMs = atMs + nextRun * JIFFY_MS;
  }

  /** The state to save with the table (--save-state). */
  save(): GcState {
    return {
      nextRunMs: this.nextRunMs, earlyDrop: this.earlyDrop, nextBucket: this.nextBucket,
      avgTimeout: this.avgTimeout, count: this.count, startTime: this.startTime,
    };
  }

  restore(s: GcState): void {
    // -Infinity (not started yet) comes back from JSON as null.
    this.nextRunMs = Number.isFinite(s.nextRunMs) ? s.nextRunMs : -Infinity;
    this.earlyDrop = s.earlyDrop;
    this.nextBucket = s.nextBucket;
    this.avgTimeout = s.avgTimeout;
    this.count = s.count;
    this.startTime = s.startTime;
  }

  /** One bucket of a run. False when the run must stop before the rest of it (GC_SCAN_EXPIRED_MAX). */
  private scanBucket(t: ConnTable, bucket: number, atMs: number, limit95: number, scan: Scan): boolean {
    const len = t.chainLength(bucket);
    if (len > this.scratch.length) this.scratch = new Int32Array(len * 2);
    const nodes = this.scratch;
    const n = t.chainNodes(bucket, nodes);
    for (let k = 0; k < n; k++) {
      const idx = nodes[k]! >> 1;
      // The other node of an entry killed earlier in this chain is gone with it.
      if (!t.isConfirmed(idx)) continue;
      if (scan.expired > GC_SCAN_EXPIRED_MAX) return false;
      fold(scan, t.deadlineOf(idx) - atMs);
      if (limit95 === 0 || t.statusOf(idx) & IPS_DYING) continue;
      if (t.count < limit95) continue;
      const protonum = t.rec[t.origBase(idx) + T_META]! & 0xff;
      if (gcCanEarlyDrop(t.statusOf(idx), protonum, t.stateOf(idx))) {
        this.kill(idx, atMs);
        this.kills++;
        scan.expired++;
      }
    }
    return true;
  }
}

/** The running values of one run. */
interface Scan {
  /** Mean remaining timeout so far, jiffies. */
  nextRun: number;
  count: number;
  /** Entries reaped or killed by this run. */
  expired: number;
}

/** Adds one tuplehash node's remaining time to the running mean (integer steps, truncated as C does). */
function fold(scan: Scan, remainingMs: number): void {
  const expires = clamp(Math.floor(remainingMs / JIFFY_MS), GC_SCAN_INTERVAL_MIN, GC_SCAN_INTERVAL_CLAMP);
  scan.nextRun += Math.trunc((expires - scan.nextRun) / ++scan.count);
}

/** The mean without chains: every confirmed entry, both of its nodes, in slot order. */
function foldSlots(t: ConnTable, atMs: number, scan: Scan): void {
  const n = t.capacity;
  for (let i = 0; i < n; i++) {
    if (!t.isConfirmed(i)) continue;
    const rem = t.deadlineOf(i) - atMs;
    fold(scan, rem);
    fold(scan, rem);
  }
}

function jiffies(ms: number): number {
  return Math.floor(ms / JIFFY_MS);
}

function clamp(v: number, lo: number, hi: number): number {
  return v < lo ? lo : v > hi ? hi : v;
}
