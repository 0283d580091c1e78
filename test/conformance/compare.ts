/**
 * Compares ctscope with a golden file recorded from the live kernel
 * (tools/conformance/record.py): per-packet ctstate, direction and log message,
 * the events each packet caused, the final /proc/net/nf_conntrack table and the
 * conntrack -S counters. Timeouts may differ by the kernel's clock rounding
 * (it reads the table a little after the last packet): ±1 s.
 */
import { readFileSync } from 'node:fs';
import { Conntrack, type ConntrackEvent } from '../../src/conntrack.js';
import { formatConntrack } from '../../src/format/conntrack.js';
import { formatExpectConntrack, formatExpectProc } from '../../src/format/expect.js';
import { formatProc } from '../../src/format/proc.js';
import { readCapture } from '../../src/io/capture-reader.js';

export interface GoldenPacket {
  frame: number;
  ctstate: string;
  dir: string | null;
  log: string[];
  events: string[];
  /** `conntrack -E expect` lines this packet caused (recorded since helpers were added) */
  expectEvents?: string[];
  /** it got a ct state but never left (a helper's NF_DROP); recorded since helpers were added */
  dropped?: boolean;
}

export interface Golden {
  scenario: string;
  sysctls: Record<string, number>;
  packets: GoldenPacket[];
  table: string[];
  stats: Record<string, number>;
  /** /proc/net/nf_conntrack_expect after the last packet (sorted), when recorded */
  expectTable?: string[];
  /** the helpers the recorder attached */
  helpers?: string[];
}

export interface ScenarioInfo {
  name: string;
  description: string;
  sysctls: Record<string, number>;
  needsWindowTracking?: boolean;
  needsDefrag?: boolean;
  needsProtocol?: string;
  /** kernel helpers attached for this scenario (ftp, ftp:2121, tftp) */
  helpers?: string[];
  /** ctscope is known to disagree with the kernel on this scenario (one line why) until src/ is fixed */
  knownDifference?: string;
}

/** Replays a capture and collects what the golden file records. */
export function replayForGolden(
  pcap: Uint8Array,
  sysctls: Record<string, number>,
  helpers: readonly string[] = [],
): Omit<Golden, 'scenario' | 'sysctls'> & { packets: Array<GoldenPacket & { expectEvents: string[]; dropped: boolean }>; expectTable: string[] } {
  const ct = new Conntrack({ sysctl: sysctls, helpers });
  const packets: Array<GoldenPacket & { expectEvents: string[]; dropped: boolean }> = [];
  let current: string[] = [];
  let currentExp: string[] = [];
  ct.on('event', (e: ConntrackEvent) => {
    current.push(formatConntrack(e.entry, { event: e.type, ...(e.protoinfo ? {} : { noProtoinfo: true }) }));
  });
  ct.onExpect((type, x) => {
    currentExp.push(formatExpectConntrack(x, type));
  });
  readCapture(pcap, (f) => {
    current = [];
    currentExp = [];
    const r = ct.processFrame(f);
    packets.push({
      frame: f.index,
      ctstate: r.skip !== null ? 'none' : r.ctstateName,
      dir: r.ctstateName === 'invalid' || r.ctstateName === 'untracked' || r.skip !== null ? null : r.dirName,
      log: r.reasons(),
      events: current,
      expectEvents: currentExp,
      dropped: r.outcome === 'dropped',
    });
  });
  return {
    packets,
    table: ct.entries().map((s) => formatProc(s)),
    stats: ct.stats,
    expectTable: ct.expectations().map((x) => formatExpectProc(x)),
  };
}

/** A line with its numeric timeout column replaced, and the timeout. */
function splitTimeout(line: string, column: number): { text: string; timeout: number } {
  const body = line.trimStart();
  const parts = body.split(/( +)/);
  // parts alternate word, spaces, word...; column counts words.
  const wi = column * 2;
  const n = Number(parts[wi]);
  if (!Number.isInteger(n)) return { text: line, timeout: NaN };
  parts[wi] = '<t>';
  return { text: line.slice(0, line.length - body.length) + parts.join(''), timeout: n };
}

export function sameWithin1s(a: string, b: string, column: number): boolean {
  if (a === b) return true;
  const x = splitTimeout(a, column);
  const y = splitTimeout(b, column);
  return x.text === y.text && Math.abs(x.timeout - y.timeout) <= 1;
}

/** Event lines: `%9s ` tag, l4 name, number, timeout. */
export function eventTimeoutColumn(line: string): number {
  return line.trimStart().startsWith('[') ? 3 : 2; // [TAG] l4name l4num timeout
}

/** Differences as "frame N: kernel said X, ctscope said Y" lines (empty = agreement). */
export function compareWithGolden(golden: Golden, pcap: Uint8Array, helpers: readonly string[] = golden.helpers ?? []): string[] {
  const ours = replayForGolden(pcap, golden.sysctls, helpers);
  const diffs: string[] = [];
  if (ours.packets.length !== golden.packets.length) {
    diffs.push(`packet count: kernel saw ${golden.packets.length}, ctscope ${ours.packets.length}`);
  }
  const n = Math.min(ours.packets.length, golden.packets.length);
  for (let i = 0; i < n; i++) {
    const k = golden.packets[i]!;
    const o = ours.packets[i]!;
    const f = `frame ${k.frame}`;
    if (k.ctstate !== o.ctstate || (k.dir ?? null) !== (o.dir ?? null)) {
      diffs.push(`${f}: kernel said ${k.ctstate}${k.dir ? ' ' + k.dir : ''}, ctscope said ${o.ctstate}${o.dir ? ' ' + o.dir : ''}`);
    }
    // /dev/kmsg escapes control characters: SCTP's do_basic_checks format ends in "\n", which the
    // recorder reads as a trailing "\x0a"; ctscope's messages are single lines without it.
    const klog = k.log.map((l) => l.replace(/\\x0a$/, ''));
    if (JSON.stringify(klog) !== JSON.stringify(o.log)) {
      diffs.push(`${f}: kernel logged ${JSON.stringify(klog)}, ctscope ${JSON.stringify(o.log)}`);
    }
    const ke = k.events.map((l) => l.replace(/ \[USERSPACE\].*$/, ''));
    if (ke.length !== o.events.length || ke.some((l, j) => !sameWithin1s(l, o.events[j]!, eventTimeoutColumn(l)))) {
      diffs.push(`${f}: kernel events ${JSON.stringify(ke)}, ctscope events ${JSON.stringify(o.events)}`);
    }
    if (k.expectEvents !== undefined) {
      // `[NEW] 300 proto=…`: the timeout is the second word
      const kx = k.expectEvents;
      if (kx.length !== o.expectEvents.length || kx.some((l, j) => !sameWithin1s(l, o.expectEvents[j]!, 1))) {
        diffs.push(`${f}: kernel expect events ${JSON.stringify(kx)}, ctscope expect events ${JSON.stringify(o.expectEvents)}`);
      }
    }
    // Only where helpers are attached: without them the kernel's only post-conntrack drops are
    // routing ones (TTL 1, multicast) that ctscope does not model.
    if (k.dropped !== undefined && helpers.length > 0 && k.dropped !== o.dropped) {
      diffs.push(`${f}: kernel ${k.dropped ? 'dropped' : 'passed'} it after conntrack, ctscope ${o.dropped ? 'dropped' : 'passed'} it`);
    }
  }
  const byEntry = (a: string, b: string): number => (splitTimeout(a, 4).text < splitTimeout(b, 4).text ? -1 : 1);
  const kt = [...golden.table].sort(byEntry);
  const ot = [...ours.table].sort(byEntry);
  if (kt.length !== ot.length || kt.some((l, j) => !sameWithin1s(l, ot[j]!, 4))) {
    diffs.push(`table: kernel ${JSON.stringify(kt)}, ctscope ${JSON.stringify(ot)}`);
  }
  if (golden.expectTable !== undefined) {
    // `300 l3proto = 2 proto=6 …`: the timeout is the first word
    const byExp = (a: string, b: string): number => (splitTimeout(a, 0).text < splitTimeout(b, 0).text ? -1 : 1);
    const kx = [...golden.expectTable].sort(byExp);
    const ox = [...ours.expectTable].sort(byExp);
    if (kx.length !== ox.length || kx.some((l, j) => !sameWithin1s(l, ox[j]!, 0))) {
      diffs.push(`expectation table: kernel ${JSON.stringify(kx)}, ctscope ${JSON.stringify(ox)}`);
    }
  }
  for (const key of ['invalid', 'error', 'drop', 'early_drop', 'insert_failed']) {
    const kv = golden.stats[key] ?? 0;
    const ov = ours.stats[key] ?? 0;
    if (kv !== ov) diffs.push(`stats ${key}: kernel ${kv}, ctscope ${ov}`);
  }
  return diffs;
}

export function loadJson<T>(path: string): T {
  return JSON.parse(readFileSync(path, 'utf8')) as T;
}

/** Why a scenario is known to differ until a later issue lands, or null. */
export function expectedToDiffer(s: ScenarioInfo): string | null {
  if (s.knownDifference) return `known difference: ${s.knownDifference}`;
  return null;
}
