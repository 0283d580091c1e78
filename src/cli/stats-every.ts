/**
 * `--stats-every SECONDS`: the conntrack -S counters and the table size
 * (nf_conntrack_count, as conntrack -C prints it) every SECONDS of capture
 * time, measured from the first packet. Each line is the state at its instant:
 * before the first packet past a boundary is tracked, the clock is advanced to
 * the boundary (entries whose timeout ran out by then are gone), so the line
 * does not include that packet. Boundaries no packet crosses print nothing
 * (a quiet minute prints one line when traffic resumes, for each boundary it
 * passed, each with the table as it was then).
 *
 * Text: `[sec.usec]\tcount=N max=M cpu=0 found=… early_drop=… chaintoolong=…`
 * JSON: `{"ts":…, "count":N, "max":M, "stats":{…}}`
 */
import type { Conntrack } from '../conntrack.js';
import { formatStats } from '../format/conntrack.js';

/** `sec.usec`, as conntrack -o timestamp prints it. */
export function stamp(timeSec: number): string {
  const usecTotal = Math.round(timeSec * 1e6);
  const sec = Math.floor(usecTotal / 1e6);
  return `${sec}.${String(usecTotal - sec * 1e6).padStart(6, '0')}`;
}

/** One --stats-every line for the tracker as it stands at `timeSec`. */
export function statsLine(ct: Conntrack, timeSec: number, json: boolean): string {
  const max = ct.sysctl.nf_conntrack_max;
  if (json) return JSON.stringify({ ts: timeSec, count: ct.count, max, stats: ct.stats });
  return `[${stamp(timeSec)}]\tcount=${ct.count} max=${max} ${formatStats(ct.stats).trim().replace(/\s+/g, ' ')}`;
}

export class StatsTicker {
  private first = NaN;
  private k = 1;

  /** `interval` seconds of capture time; `emit` gets each line. */
  constructor(
    private readonly ct: Conntrack,
    private readonly interval: number,
    private readonly json: boolean,
    private readonly emit: (line: string) => void,
  ) {
    if (!(interval > 0) || !Number.isFinite(interval)) throw new RangeError(`bad interval ${interval}`);
  }

  /**
   * Call with each packet's time (seconds) before the packet is tracked: prints
   * a line for every boundary up to and including `ts`.
   */
  before(ts: number): void {
    if (Number.isNaN(this.first)) {
      this.first = ts;
      return;
    }
    for (;;) {
      // Boundaries from the first packet, to the microsecond (no drift from repeated adds).
      const at = Math.round((this.first + this.k * this.interval) * 1e6) / 1e6;
      if (ts < at) return;
      this.ct.advance(at);
      this.emit(statsLine(this.ct, at, this.json));
      this.k++;
    }
  }
}
