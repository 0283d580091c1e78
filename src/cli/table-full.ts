/**
 * The "table full" block of `replay --stats` and `--summary`: when new entries
 * first and last found nf_conntrack_max reached, how many packets were dropped
 * for it (and how many of those the kernel logged past net_ratelimit), and the
 * entries evicted to make room, as conntrack -L lines. Text shows the first
 * TEXT_EVICTIONS; --json gives every eviction the library kept.
 */
import type { TableFullReport } from '../core/table-full.js';
import type { ConnSnapshot } from '../format/snapshot.js';
import { formatConntrack } from '../format/conntrack.js';
import { toJson } from '../format/json.js';
import { stamp } from './stats-every.js';

/** Evicted entries listed in the text block. */
export const TEXT_EVICTIONS = 20;

export function tableFullText(r: TableFullReport<ConnSnapshot>): string[] {
  const lines = [
    `table full: first at ${stamp(r.firstTime)} (frame ${r.firstFrame}), last at ${stamp(r.lastTime)} (frame ${r.lastFrame}); ` +
      `${r.dropped} packets dropped (${r.logged} logged), ` +
      `${r.evicted} connections evicted by early drop (${r.evictedByGc} by the gc worker)`,
  ];
  const shown = r.evictions.slice(0, TEXT_EVICTIONS);
  for (const e of shown) lines.push(`  [${stamp(e.time)}] ${e.by === 'gc_worker' ? 'gc_worker ' : 'early_drop'} ${formatConntrack(e.entry)}`);
  const more = r.evicted - shown.length;
  if (more > 0) lines.push(`  … and ${more} more`);
  return lines;
}

/** One JSON object: the report with every kept eviction (`notKept`: evictions beyond the library's list). */
export function tableFullJson(r: TableFullReport<ConnSnapshot>): string {
  return JSON.stringify({
    tableFull: {
      firstTime: r.firstTime, firstFrame: r.firstFrame, lastTime: r.lastTime, lastFrame: r.lastFrame,
      dropped: r.dropped, logged: r.logged, evicted: r.evicted, evictedByGc: r.evictedByGc,
      evictions: r.evictions.map((e) => ({ ts: e.time, frame: e.frame, by: e.by, entry: toJson(e.entry) })),
      notKept: r.evicted - r.evictions.length,
    },
  });
}
