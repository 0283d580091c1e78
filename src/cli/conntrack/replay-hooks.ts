/**
 * Features of `ctscope replay` that live outside replay.ts, each behind one call
 * (the integration lines are in the README section "conntrack-tools compatibility"
 * and in the report of this work):
 *
 *   const ct = loadStateOr(options, path)             // --load-state FILE (or a fresh tracker)
 *   const flows = openFlows(ct, path)                 // --flows FILE (.csv or JSON lines)
 *   ... replay ...
 *   flows?.finish(); saveStateFile(ct, path, opts)    // --save-state FILE
 */
import { closeSync, openSync, readFileSync, writeFileSync, writeSync } from 'node:fs';
import { Conntrack, type ConntrackOptions } from '../../conntrack.js';
import { attachFlows, flowCsvHeader, flowFormatFor, flowLine } from '../../flow/flows.js';
import { StateError, restoreState, saveState } from '../../state/snapshot.js';
import { UsageError } from '../args.js';

/** --load-state: the saved tracker, or a new one with `options` when path is undefined. */
export function loadStateOr(options: ConntrackOptions, path: string | undefined): Conntrack {
  if (path === undefined) return new Conntrack(options);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new UsageError(`cannot read state file ${path}: ${(e as { code?: string }).code ?? String(e)}`);
  }
  try {
    return restoreState(JSON.parse(text));
  } catch (e) {
    if (e instanceof StateError || e instanceof SyntaxError) throw new UsageError(`${path}: ${e.message}`);
    throw e;
  }
}

/** --save-state: writes the tracker (entries, clock, counters) as versioned JSON. */
export function saveStateFile(ct: Conntrack, path: string, options: ConntrackOptions = {}): void {
  writeFileSync(path, JSON.stringify(saveState(ct, options)) + '\n');
}

export interface OpenFlows {
  /** Writes the records of the entries still in the table and closes the file. */
  finish(): void;
}

/** --flows FILE: one record per ended connection, CSV when FILE ends in .csv, else JSON lines. */
export function openFlows(ct: Conntrack, path: string): OpenFlows {
  const fmt = flowFormatFor(path);
  let fd: number;
  try {
    fd = path === '-' ? 1 : openSync(path, 'w');
  } catch (e) {
    throw new UsageError(`cannot write ${path}: ${(e as { code?: string }).code ?? String(e)}`);
  }
  const write = (s: string): void => {
    writeSync(fd, s + '\n');
  };
  if (fmt === 'csv') write(flowCsvHeader());
  const t = attachFlows(ct, (r) => write(flowLine(r, fmt)));
  return {
    finish(): void {
      t.finish();
      if (fd !== 1) closeSync(fd);
    },
  };
}

// ---- reading comfort and live use -------------------------------------------------------------

import type { PacketResult } from '../../core/packet-result.js';
import { CTSTATE_INVALID, CTSTATE_NAMES } from '../../core/consts.js';
import type { ConnSnapshot } from '../../format/snapshot.js';
import { compileFilter, FilterError, formatPrettyTable, formatSummary, invalidKey, type EntryPredicate, type ReplaySummary } from '../../format/pretty.js';

/** Colors only on a terminal, and never when NO_COLOR is set (https://no-color.org). */
export function useColor(stream: { isTTY?: boolean } = process.stdout, env: NodeJS.ProcessEnv = process.env): boolean {
  return stream.isTTY === true && (env['NO_COLOR'] === undefined || env['NO_COLOR'] === '');
}

/** --filter EXPR: which entries to show (UsageError on a bad expression). */
export function entryFilter(expr: string | undefined): EntryPredicate {
  if (expr === undefined) return () => true;
  try {
    return compileFilter(expr);
  } catch (e) {
    if (e instanceof FilterError) throw new UsageError(`bad --filter: ${e.message}`);
    throw e;
  }
}

/** --pretty: the aligned table lines. */
export function prettyLines(entries: readonly ConnSnapshot[], color = useColor()): string[] {
  return formatPrettyTable(entries, color);
}

/** Collects the end-of-replay summary; call observe() for each packet result. */
export class SummaryCollector {
  private readonly sum: ReplaySummary = { packets: 0, ctstates: {}, invalidReasons: {}, firstTime: 0, lastTime: 0 };
  /** Packets per ctstate (PacketResult.ctstate), and the ctstates in the order first seen. */
  private readonly counts = new Float64Array(CTSTATE_NAMES.length);
  private readonly seen: number[] = [];

  observe(r: Pick<PacketResult, 'ctstate' | 'reasons'>, timeSec: number): void {
    const s = this.sum;
    if (s.packets === 0) s.firstTime = timeSec;
    s.lastTime = timeSec;
    s.packets++;
    const c = r.ctstate;
    const n = this.counts[c]!;
    this.counts[c] = n + 1;
    if (n === 0) this.seen.push(c);
    if (c === CTSTATE_INVALID) {
      const key = invalidKey(r.reasons());
      s.invalidReasons[key] = (s.invalidReasons[key] ?? 0) + 1;
    }
  }

  lines(entries: readonly ConnSnapshot[]): string[] {
    for (const c of this.seen) this.sum.ctstates[CTSTATE_NAMES[c]!] = this.counts[c]!;
    return formatSummary(this.sum, entries);
  }
}

/**
 * Ctrl-C prints the summary (to stderr) before exiting with 130. Returns a
 * function that removes the handler.
 */
export function onInterruptPrint(print: () => void): () => void {
  const handler = (): void => {
    print();
    process.exit(130);
  };
  process.once('SIGINT', handler);
  return () => process.off('SIGINT', handler);
}

/** --follow N: calls `print` whenever the capture clock has moved N seconds since the last print. */
export class FollowTicker {
  private next = -1;
  constructor(private readonly everySec: number, private readonly print: (timeSec: number) => void) {
    if (!(everySec > 0)) throw new UsageError(`bad value for --follow: ${everySec} (want seconds > 0)`);
  }

  tick(timeSec: number): void {
    if (this.next < 0) this.next = timeSec + this.everySec;
    while (timeSec >= this.next) {
      this.print(this.next);
      this.next += this.everySec;
    }
  }
}
