/**
 * What a full table did over a replay, for the "table full" summary: when new
 * entries first and last found nf_conntrack_max reached, how many packets were
 * dropped for it, and which entries were evicted to make room (early drop on
 * the packet path, or the gc worker in its early-drop mode). Fed by the engine
 * on those rare paths only; nothing here runs for a table below its limit.
 */

/** Who evicted an entry. */
export type EvictedBy = 'early_drop' | 'gc_worker';

export interface Eviction<S> {
  /** Capture time, seconds. */
  time: number;
  /** Frame being processed (for the gc worker: the first frame at or after its run). */
  frame: number;
  by: EvictedBy;
  /** The entry as it was when evicted. */
  entry: S;
}

export interface TableFullReport<S> {
  /** Capture time (seconds) and frame of the first packet that found the table full. */
  firstTime: number;
  firstFrame: number;
  /** ... and of the last one. */
  lastTime: number;
  lastFrame: number;
  /** Packets dropped because nothing could be evicted (part of stat drop). */
  dropped: number;
  /** Packets whose message the kernel would print (net_ratelimit let it through). */
  logged: number;
  /** Entries evicted: by early drop on the packet path plus by the gc worker. */
  evicted: number;
  evictedByGc: number;
  /** The evicted entries, oldest first; at most `keep` of them (evicted - evictions.length were not kept). */
  evictions: Array<Eviction<S>>;
}

/**
 * Evictions kept in full by default (each is a whole entry snapshot, about
 * 2 KiB), so memory stays bounded under a flood of any length.
 */
export const KEEP_EVICTIONS = 1000;

export class TableFullLog<S> {
  /** The frame being processed; set by whoever feeds frames (the library's processFrame). */
  frame = 0;
  private hits = 0;
  private firstMs = 0;
  private firstFrame = 0;
  private lastMs = 0;
  private lastFrame = 0;
  private dropped = 0;
  private logged = 0;
  private evicted = 0;
  private evictedByGc = 0;
  private readonly list: Array<Eviction<S>> = [];

  /**
   * `describe` turns an entry into what the report keeps (called while the entry
   * can still be read); null keeps counts only.
   */
  constructor(public describe: ((conn: number, timeMs: number) => S) | null = null, public keep = KEEP_EVICTIONS) {}

  /** A new entry found the table at nf_conntrack_max (it will evict or be dropped). */
  hit(timeMs: number): void {
    if (this.hits++ === 0) {
      this.firstMs = timeMs;
      this.firstFrame = this.frame;
    }
    this.lastMs = timeMs;
    this.lastFrame = this.frame;
  }

  drop(logged: boolean): void {
    this.dropped++;
    if (logged) this.logged++;
  }

  evict(conn: number, timeMs: number, by: EvictedBy): void {
    this.evicted++;
    if (by === 'gc_worker') this.evictedByGc++;
    if (this.describe !== null && this.list.length < this.keep) {
      this.list.push({ time: timeMs / 1000, frame: this.frame, by, entry: this.describe(conn, timeMs) });
    }
  }

  /** The report, or null when the table never reached its limit and nothing was evicted. */
  report(): TableFullReport<S> | null {
    if (this.hits === 0 && this.evicted === 0) return null;
    return {
      firstTime: this.firstMs / 1000, firstFrame: this.firstFrame, lastTime: this.lastMs / 1000, lastFrame: this.lastFrame,
      dropped: this.dropped, logged: this.logged, evicted: this.evicted, evictedByGc: this.evictedByGc,
      evictions: this.list.slice(),
    };
  }
}
