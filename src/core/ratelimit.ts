/**
 * net_ratelimit() (net/core/utils.c, lib/ratelimit.c, Linux 6.18) on the
 * capture clock: the limit every net_*_ratelimited() message shares, among
 * them the table-full warning (TABLE_FULL_MESSAGE).
 *
 * net_ratelimit_state allows net.core.message_burst (10) messages per
 * net.core.message_cost (5 s). The first call opens a window; a call more than
 * an interval after the window opened (jiffies after begin + interval) opens a
 * new one, and if calls were refused in the old one the kernel first logs
 * "net_ratelimit: N callbacks suppressed". Times are in jiffies (HZ=250), as
 * the kernel compares them. ctscope has one thread, so the lock contention
 * that can also refuse a call in the kernel never happens.
 */
import { HZ } from './consts.js';

/** net.core.message_cost, seconds. */
export const NET_MSG_COST = 5;
/** net.core.message_burst. */
export const NET_MSG_BURST = 10;

export interface RatelimitState {
  begin: number;
  left: number;
  missed: number;
  initialized: boolean;
}

export class NetRatelimit {
  /** Calls refused since the last window opened. */
  missed = 0;
  /** The suppressed count the last allowed call logged first ("N callbacks suppressed"), or 0. */
  suppressedReport = 0;
  private begin = 0;
  private left = 0;
  private initialized = false;
  private readonly interval: number;
  private readonly burst: number;

  constructor(intervalSec = NET_MSG_COST, burst = NET_MSG_BURST) {
    this.interval = intervalSec * HZ;
    this.burst = burst;
  }

  /** The window state to save with the table (--save-state). */
  save(): RatelimitState {
    return { begin: this.begin, left: this.left, missed: this.missed, initialized: this.initialized };
  }

  restore(s: RatelimitState): void {
    this.begin = s.begin;
    this.left = s.left;
    this.missed = s.missed;
    this.initialized = s.initialized;
  }

  /** ___ratelimit(): true when the message at capture time `nowMs` is printed. */
  allow(nowMs: number): boolean {
    this.suppressedReport = 0;
    if (this.interval <= 0) return true;
    if (this.burst <= 0) {
      this.missed++;
      return false;
    }
    const j = Math.floor((nowMs * HZ) / 1000);
    if (!this.initialized) {
      this.initialized = true;
      this.begin = j;
      this.left = this.burst;
    }
    if (j > this.begin + this.interval) {
      this.left = this.burst;
      this.begin = j;
      this.suppressedReport = this.missed;
      this.missed = 0;
    }
    if (this.left > 0) {
      this.left--;
      return true;
    }
    this.missed++;
    return false;
  }
}
