/**
 * `--save-state FILE` / `--load-state FILE`: the whole tracker as versioned JSON
 * (every entry with its tuples, TCP window state, deadline, counters, id; the
 * clock; the statistics; the settings), so a capture split into pieces replays
 * piece by piece exactly as in one go.
 *
 *   const ct = restoreState(JSON.parse(readFileSync('a.state', 'utf8')));
 *   ... replay the next piece with ct ...
 *   writeFileSync('b.state', JSON.stringify(saveState(ct, options)));
 */
import { Conntrack, type ConntrackOptions } from '../conntrack.js';
import type { GcState } from '../core/gc-worker.js';
import type { RatelimitState } from '../core/ratelimit.js';
import { liveEntries, readClock, readEntry, readStats, writeClock, writeEntry, writeStats, type EngineClock, type RawEntry } from './engine-access.js';

export const STATE_FORMAT = 'ctscope-state';
export const STATE_VERSION = 2;

export interface SavedState {
  format: typeof STATE_FORMAT;
  version: number;
  /** The options the tracker was made with (sysctl overrides, profile, zone). */
  options: ConntrackOptions;
  clock: EngineClock;
  stats: Record<string, number>;
  entries: RawEntry[];
  /** The gc worker's schedule and pass, and net_ratelimit's window (absent in older files: both start afresh). */
  gc?: GcState;
  netRatelimit?: RatelimitState;
}

export class StateError extends Error {
  override readonly name = 'StateError';
}

export function saveState(ct: Conntrack, options: ConntrackOptions = {}): SavedState {
  return {
    format: STATE_FORMAT,
    version: STATE_VERSION,
    options,
    clock: readClock(ct),
    stats: readStats(ct),
    entries: liveEntries(ct).map((i) => readEntry(ct, i)),
    gc: ct.engine.gc.save(),
    netRatelimit: ct.engine.netRatelimit.save(),
  };
}

/** A tracker in exactly the saved state. Throws StateError for anything else. */
export function restoreState(data: unknown): Conntrack {
  const s = data as Partial<SavedState> | null;
  if (s === null || typeof s !== 'object' || s.format !== STATE_FORMAT) throw new StateError('not a ctscope state file');
  if (s.version !== STATE_VERSION) throw new StateError(`state file version ${String(s.version)} is not supported (this ctscope reads version ${STATE_VERSION})`);
  if (!Array.isArray(s.entries) || s.clock === undefined || s.stats === undefined) throw new StateError('state file is incomplete');
  const ct = new Conntrack(s.options ?? {});
  for (const e of s.entries) writeEntry(ct, e);
  writeClock(ct, s.clock);
  writeStats(ct, s.stats);
  if (s.gc !== undefined) ct.engine.gc.restore(s.gc);
  if (s.netRatelimit !== undefined) ct.engine.netRatelimit.restore(s.netRatelimit);
  return ct;
}
