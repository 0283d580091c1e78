/**
 * What `replay --threads N` can shard and what runs on one thread instead
 * (src/node/threads/pool.ts does the sharding).
 */
import type { Conntrack } from '../conntrack.js';
import { CHAINS_LOAD } from '../core/early-drop.js';
import type { Sysctls } from '../core/sysctl.js';
import { HELPERS, helperRules } from '../helpers/registry.js';
import { roundBuckets } from '../table/conn-table.js';
import { formatSummary } from '../format/pretty.js';
import type { ThreadedResult } from '../node/threads/pool.js';
import { Output } from './output.js';
import { UsageError } from './args.js';

export function threadCount(arg: string | undefined): number {
  if (arg === undefined) return 1;
  const n = Number(arg);
  if (!Number.isInteger(n) || n < 1 || n > 64) throw new UsageError(`bad value for --threads: ${arg} (want 1 to 64)`);
  return n;
}

/** Options that read or change the whole table as packets go (or read the input twice). */
const ONE_THREAD_OPTIONS = ['invalid', 'stats-every', 'follow', 'flows', 'ipfix', 'save-state', 'load-state'];

/** Why this replay runs on one thread, or null when it can shard. */
export function threadsUnsupported(options: ReadonlyMap<string, readonly string[]>, file: string, ct: Conntrack): string | null {
  for (const o of ONE_THREAD_OPTIONS) if (options.has(o)) return `--${o} needs the whole table in one tracker`;
  // A table limit met half-way means starting again on one thread, which a stream can't.
  if (file === '-') return 'stdin can only be read once';
  const rules = helperRules(options.get('helper') ?? [], ct.sysctl.nf_conntrack_helper !== 0);
  // Their expectations may join other hosts than the master's pair (shard-key.ts).
  if (rules.some((r) => r.helper === HELPERS['irc'])) return "the irc helper expects connections from any host";
  if (rules.some((r) => r.helper === HELPERS['ftp-loose'])) return 'ftp-loose expects connections to other hosts';
  return null;
}

/**
 * The most entries (and expectations) all workers may hold together before one
 * tracker could have acted differently: early drop past nf_conntrack_max, and the
 * chain-length check, which ctscope only runs from CHAINS_LOAD nodes per bucket.
 */
export function threadLimits(s: Readonly<Sysctls>): { maxEntries: number; maxExpectations: number } {
  const chains = (CHAINS_LOAD * roundBuckets(s.nf_conntrack_buckets)) / 2 - 2;
  return {
    maxEntries: s.nf_conntrack_max === 0 ? chains : Math.min(chains, s.nf_conntrack_max - 1),
    maxExpectations: s.nf_conntrack_expect_max - 1,
  };
}

/** Drops the first `skip` stdout lines: a run restarted on one thread after --threads printed them. */
export class SkipLines extends Output {
  constructor(private readonly inner: Output, private skip: number) {
    super();
  }

  override line(s: string): void {
    if (this.skip > 0) this.skip--;
    else this.inner.line(s);
  }

  override stdout(s: string): void {
    this.inner.stdout(s);
  }

  override stderr(s: string): void {
    this.inner.stderr(s);
  }

  override flush(): void {
    this.inner.flush();
  }
}

/**
 * A run that ended early: Ctrl-C prints what was processed and the summary so far,
 * exit 130, as on one thread; a dead worker, one line and exit 1, as other internal errors.
 */
export function threadsStopped(r: Extract<ThreadedResult, { kind: 'interrupted' | 'failed' }>, out: Output): number {
  out.flush();
  if (r.kind === 'failed') {
    out.stderr(`ctscope: ${r.message}\n`);
    return 1;
  }
  out.stderr(formatSummary(r.summary, r.entries).join('\n') + '\n');
  return 130;
}
