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
