/**
 * `ctscope replay FILE`: run a capture through the tracker and print what the
 * kernel would show. stdout carries only what was asked for; warnings and the
 * summary go to stderr.
 */
import { captureErrorExit, captureWarnings, inputName } from './capture-errors.js';
import { Conntrack, type ConntrackEvent } from '../conntrack.js';
import { CTSTATE_NAMES } from '../core/consts.js';
import { SysctlError } from '../core/sysctl.js';
import { formatConntrack, formatStats } from '../format/conntrack.js';
import { formatLegacy, formatProc } from '../format/proc.js';
import { toJson } from '../format/json.js';
import { CaptureError, CaptureOpenError } from '../io/errors.js';
import { isSupportedLinkType, linkTypeName } from '../packet/link.js';
import { openCapture, openCaptureBytes, readWholeCapture, type ReadSummary } from '../node/capture-source.js';
import { UsageError, choice, one, parseArgs, type OptionSpec } from './args.js';
import { packetInfo, packetOutput } from './packet-line.js';
import { Output } from './output.js';
import { PacketOrder } from './packet-order.js';
import { Progress } from './progress.js';
import { formatExpectConntrack, formatExpectProc, type ExpectSnapshot } from '../format/expect.js';
import type { ConnSnapshot } from '../format/snapshot.js';
import { reportInvalid } from './invalid.js';
import {
  FollowTicker, SummaryCollector, entryFilter, loadStateOr, onInterruptPrint, openFlows, prettyLines, saveStateFile,
} from './conntrack/replay-hooks.js';
import { attachIpfix } from './conntrack/ipfix-hook.js';
import { StatsTicker } from './stats-every.js';
import { tableFullJson, tableFullText } from './table-full.js';
import type { TableFullReport } from '../core/table-full.js';
import { eventLine, expectEventLine } from './event-lines.js';
import { PacketTally } from './tally.js';
import { SkipLines, threadCount, threadLimits, threadsStopped, threadsUnsupported } from './threads.js';
import { replayThreaded } from '../node/threads/pool.js';
import { statSync } from 'node:fs';

function fileSize(file: string): number | null {
  try {
    return statSync(file).size;
  } catch {
    return null;
  }
}

export const REPLAY_OPTIONS: Readonly<Record<string, OptionSpec>> = {
  table: { kind: 'value' },
  packets: { kind: 'optional' },
  events: { kind: 'optional' },
  invalid: { kind: 'optional' },
  'save-state': { kind: 'value' },
  'load-state': { kind: 'value' },
  flows: { kind: 'value' },
  ipfix: { kind: 'value' },
  pretty: { kind: 'flag' },
  json: { kind: 'flag' },
  filter: { kind: 'value' },
  follow: { kind: 'value' },
  summary: { kind: 'flag' },
  at: { kind: 'value' },
  stats: { kind: 'flag' },
  'stats-every': { kind: 'value' },
  sysctl: { kind: 'value', repeat: true },
  helper: { kind: 'value', repeat: true },
  expect: { kind: 'optional' },
  profile: { kind: 'value' },
  zone: { kind: 'value' },
  threads: { kind: 'value' },
  quiet: { kind: 'flag', short: 'q' },
  help: { kind: 'flag', short: 'h' },
};

export const REPLAY_HELP = `Usage: ctscope replay FILE [options]

Replays a capture (pcap or pcapng; FILE may be - for stdin) through a faithful
copy of Linux 6.18's connection tracker, with the capture's timestamps as the
clock, and prints the connection table as it stands after the last packet.

Output (stdout carries only what you ask for; warnings and the summary go to stderr):
  --table=FORMAT       the table after the last packet (default: proc)
                         proc       /proc/net/nf_conntrack lines of 6.18
                         conntrack  conntrack -L lines
                         legacy     Linux 2.4 /proc/net/ip_conntrack lines (the Iptables Tutorial's)
                         json       one JSON object per entry
                         none       no table
  --packets[=text|json]  one line per captured frame, in capture order: frame number,
                       time, ctstate (new, established, related, invalid, untracked,
                       skipped), direction, the entry's state, and the kernel's log
                       message when it would log one
  --events[=text|json] conntrack -E lines ([NEW], [UPDATE], [DESTROY]) prefixed with
                       the capture time; DESTROY comes at the instant an entry expires
  --invalid[=text|json]  only the packets the kernel marks invalid or logs while
                       letting them through (ignored): tuple, the entry's state, the
                       kernel's message, the numbers behind a window check (seq, ack,
                       window, the bound broken and by how much), and which sysctl would
                       have accepted the packet (found by replaying again with it);
                       then a summary by reason and by connection. Reads the whole
                       capture into memory. No table unless --table is given.
  --at SECONDS         print the table as it was SECONDS after the first packet, then stop
  --stats              the conntrack -S counters; if the table ever reached nf_conntrack_max,
                       then when (first and last packet), the packets dropped for it, and the
                       connections evicted (early drop, gc worker): the first 20 (--json: all)
  --stats-every SECONDS  the counters and the table size (count=, max=) every SECONDS of
                       capture time, each as the table was at that instant
  --pretty             an aligned, coloured table (the default on a terminal when no --table is
                       given; colour only on a terminal; NO_COLOR honoured)
  --json               JSON lines for everything asked for (--table, --packets, --events,
                       --invalid, --stats), for jq
  --filter EXPR        which entries the table shows: proto, host, net, port, state
                       with and/or/not, e.g. 'tcp and port 80 and not state TIME_WAIT'
  --summary            at the end, on stderr: packets, connections by protocol and state,
                       invalid packets by reason, time span, the table-full block (also
                       printed on Ctrl-C)
  --follow N           re-print the table every N seconds of capture time (like
                       watch conntrack -L); events and packets flush per packet on stdin
  --flows FILE         a flow record per destroyed entry (and per entry left at the end):
                       tuples, start, end, duration, packets/bytes each way, final state,
                       reason of end; JSON lines, or CSV when FILE ends in .csv
  --ipfix HOST:PORT    the same flow records as IPFIX (RFC 7011) over UDP to a collector
                       (nfcapd, pmacct, ...): one biflow record (RFC 5103) per connection,
                       flowEndReason, the capture clock as export time; [IPv6]:PORT works
  --save-state FILE    write the table at the end (JSON) ...
  --load-state FILE    ... and start from it: a capture split into files replays piece
                       by piece with the same result as in one go
  --threads N          track on N worker threads, connections sharded by address pair;
                       the output is the same as with one thread (options that need the
                       whole table at every packet, and stdin, run on one thread)
  -q, --quiet          no summary on stderr
  -h, --help           this text

Tracker settings:
  --sysctl NAME=VALUE  a kernel sysctl, e.g. net.netfilter.nf_conntrack_tcp_loose=0,
                       net.netfilter.nf_conntrack_checksum=0, nf_conntrack_acct=1 (repeatable)
  --helper SPEC        attach a conntrack helper to new connections, as an nft
                       'ct helper set' rule does: ftp (tcp/21), ftp:2121, ftp-loose
                       (the ftp module's loose=1), tftp (udp/69), tftp:1069 (repeatable).
                       --sysctl net.netfilter.nf_conntrack_helper=1 instead attaches every
                       helper on its well-known port, as kernels before 6.0 could
  --expect[=proc|conntrack]  after the table: the expectation table, as
                       /proc/net/nf_conntrack_expect (default) or conntrack -L expect
  --profile NAME       timeouts of another era: tutorial (the Iptables Tutorial's table,
                       CLOSE_WAIT 12 h) or linux-2.4 (Linux 2.4.0's own values)
  --zone N             conntrack zone of every packet (default 0)

Examples:
  ctscope replay examples/tutorial-telnet.pcap --packets
  ctscope replay capture.pcapng --packets=json | jq 'select(.ctstate == "invalid")'
  tcpdump -i eth0 -U -w - | ctscope replay - --events
  ctscope replay capture.pcap --ipfix 127.0.0.1:4739 --table=none
  ctscope replay capture.pcap --invalid
  ctscope replay ftp-session.pcap --helper ftp --packets --expect
  ctscope replay capture.pcap --at 30 --table=conntrack
  ctscope replay capture.pcap --profile tutorial --table=legacy
  ctscope replay capture.pcap --sysctl net.netfilter.nf_conntrack_checksum=0 --stats --table=none
`;

function parseSysctls(list: readonly string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const item of list) {
    const eq = item.indexOf('=');
    if (eq <= 0) throw new UsageError(`bad --sysctl ${item} (want NAME=VALUE)`);
    const value = Number(item.slice(eq + 1));
    if (!Number.isInteger(value) || value < 0) throw new UsageError(`bad value in --sysctl ${item}`);
    out[item.slice(0, eq)] = value;
  }
  return out;
}

function nonNegative(name: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (v.trim() === '' || !Number.isFinite(n) || n < 0) throw new UsageError(`bad value for --${name}: ${v} (want a number of seconds >= 0)`);
  return n;
}

/** What the end of a replay prints, from one tracker or from the --threads workers. */
interface ReplayEnd {
  frames: number;
  read: ReadSummary;
  entries: () => ConnSnapshot[];
  count: number;
  expectations: () => ExpectSnapshot[];
  stats: Record<string, number>;
  tally: PacketTally;
  /** When the table was ever full (nf_conntrack_max): the report; null otherwise. */
  tableFull: TableFullReport<ConnSnapshot> | null;
}

/** How the end is printed (from the options). */
interface EndView {
  file: string;
  table: string;
  pretty: boolean;
  /** No snapshot is needed: --table=none, unfiltered, not pretty. */
  lazy: boolean;
  show: (s: ConnSnapshot) => boolean;
  expect: string;
  stats: boolean;
  json: boolean;
  summary: boolean;
  quiet: boolean;
  checksum: boolean;
  sum: SummaryCollector;
}

/** The table, expectations, counters, then stderr: summary, warnings, the last line. */
function printEnd(end: ReplayEnd, v: EndView, out: Output, afterStdout: () => void): void {
  const entries = v.lazy ? [] : end.entries().filter(v.show);
  if (v.pretty) for (const l of prettyLines(entries)) out.line(l);
  else switch (v.table) {
    case 'proc': for (const s of entries) out.line(formatProc(s)); break;
    case 'conntrack': for (const s of entries) out.line(formatConntrack(s)); break;
    case 'legacy': for (const s of entries) out.line(formatLegacy(s)); break;
    case 'json': for (const s of entries) out.line(JSON.stringify(toJson(s))); break;
    default: break;
  }
  if (v.expect !== 'off') for (const x of end.expectations()) out.line(v.expect === 'proc' ? formatExpectProc(x) : formatExpectConntrack(x));
  const full = end.tableFull;
  if (v.stats) {
    out.line(v.json ? JSON.stringify({ stats: end.stats }) : formatStats(end.stats));
    if (full !== null) {
      if (v.json) out.line(tableFullJson(full));
      else for (const l of tableFullText(full)) out.line(l);
    }
  }
  out.flush();
  afterStdout();
  if (v.summary) out.stderr(summaryLines(v.sum, end.entries(), full));

  captureWarnings(out, v.file, end.read);
  const { badChecksum, l4Packets, counts } = end.tally;
  if (v.checksum && badChecksum > 0 && badChecksum * 2 >= l4Packets) {
    out.stderr(`ctscope: warning: ${badChecksum} of ${l4Packets} TCP/UDP packets have bad checksums (INVALID, "bad checksum"): ` +
      'a capture taken on the sending host with checksum offload looks like this; ' +
      '--sysctl net.netfilter.nf_conntrack_checksum=0 turns the check off\n');
  }
  if (!v.quiet) {
    const parts = CTSTATE_NAMES.map((n, i) => (counts[i]! > 0 ? `${counts[i]} ${n}` : '')).filter((s) => s !== '');
    out.stderr(`ctscope: ${end.frames} packets (${parts.join(', ') || 'none'}), ${v.lazy ? end.count : entries.length} entries in the table\n`);
  }
}

function noPacketsNote(read: ReadSummary, file: string, out: Output): void {
  if (read.frames === 0 && read.truncatedAt === null) {
    out.stderr(`ctscope: ${inputName(file)}: capture holds no packets\n`);
  }
}

/** The summary, with the table-full block when the table ever reached nf_conntrack_max. */
function summaryLines(sum: SummaryCollector, entries: readonly ConnSnapshot[], full: TableFullReport<ConnSnapshot> | null): string {
  return [...sum.lines(entries), ...(full === null ? [] : tableFullText(full))].join('\n') + '\n';
}

export async function replay(argv: readonly string[], stdout: Output): Promise<number> {
  let out = stdout;
  const p = parseArgs(argv, REPLAY_OPTIONS);
  if (p.options.has('help')) {
    out.stdout(REPLAY_HELP);
    return 0;
  }
  if (p.positionals.length !== 1) throw new UsageError(p.positionals.length === 0 ? 'replay needs a capture file (or - for stdin)' : `unexpected argument ${p.positionals[1]}`);
  const file = p.positionals[0]!;
  const json = p.options.has('json');
  const text = json ? 'json' : 'text';
  const invalid = choice(p, 'invalid', ['text', 'json'], 'off', text);
  const table = choice(p, 'table', ['proc', 'conntrack', 'legacy', 'json', 'none'], invalid !== 'off' ? 'none' : json ? 'json' : 'proc', 'proc');
  const packets = choice(p, 'packets', ['text', 'json'], 'off', text);
  const events = choice(p, 'events', ['text', 'json'], 'off', text);
  // On a terminal, with no --table, the table is the aligned one.
  const pretty = p.options.has('pretty') || (process.stdout.isTTY === true && !p.options.has('table') && !json && invalid === 'off');
  const at = nonNegative('at', one(p, 'at'));
  const zoneArg = one(p, 'zone');
  const zone = zoneArg === undefined ? 0 : Number(zoneArg);
  if (!Number.isInteger(zone) || zone < 0 || zone > 65535) throw new UsageError(`bad value for --zone: ${zoneArg}`);
  let ct: Conntrack;
  const profileArg = one(p, 'profile');
  const ctOpts = {
    sysctl: parseSysctls(p.options.get('sysctl') ?? []), zone, helpers: p.options.get('helper') ?? [],
    ...(profileArg !== undefined ? { profile: profileArg } : {}),
  };
  const expect = choice(p, 'expect', ['proc', 'conntrack'], 'off', 'proc');
  try {
    ct = loadStateOr(ctOpts, one(p, 'load-state')); // a loaded state keeps its saved settings
  } catch (e) {
    if (e instanceof SysctlError) throw new UsageError(e.message);
    throw e;
  }
  const threads = threadCount(one(p, 'threads'));
  const oneThread = threads > 1 ? threadsUnsupported(p.options, file, ct) : null;
  if (oneThread !== null) out.stderr(`ctscope: note: --threads ${threads}: ${oneThread}; replaying on one thread\n`);
  const flowsPath = one(p, 'flows');
  const flows = flowsPath === undefined ? undefined : openFlows(ct, flowsPath);
  const ipfixArg = one(p, 'ipfix');
  const ipfix = ipfixArg === undefined ? undefined : await attachIpfix(ct, ipfixArg, { live: file === '-' });
  const show = entryFilter(one(p, 'filter'));
  const sum = new SummaryCollector();
  // The summary, with the table-full block when the table ever reached nf_conntrack_max.
  const printInterrupt = (): void => {
    out.flush();
    out.stderr(summaryLines(sum, ct.entries(), ct.tableFullReport()));
    ipfix?.finishSync();
  };
  let offInterrupt = onInterruptPrint(printInterrupt);
  const followArg = one(p, 'follow');
  const follow = followArg === undefined ? undefined : new FollowTicker(Number(followArg), () => {
    for (const l of prettyLines(ct.entries().filter(show))) out.line(l);
    out.line('');
    out.flush();
  });

  // --invalid reads the capture into memory; a replay after it reads that (stdin can be read only once).
  let whole: Uint8Array | null = null;
  if (invalid !== 'off') {
    whole = readWholeCapture(file);
    const done = reportInvalid(whole, ctOpts, invalid === 'json', out);
    // Otherwise the replay below reads the capture again and reports its warnings and damage.
    if (table === 'none' && !p.options.has('stats')) {
      out.flush();
      captureWarnings(out, file, done.read);
      return done.damage === null ? 0 : captureErrorExit(out, file, done.damage);
    }
  }

  let t0 = -1;
  if (events !== 'off') {
    ct.on('event', (e: ConntrackEvent) => out.line(eventLine(e, events === 'json')));
    // conntrack -E expect's lines, interleaved in time order.
    ct.onExpect((type, x, time) => out.line(expectEventLine(type, x, time, events === 'json')));
  }

  const statsEvery = nonNegative('stats-every', one(p, 'stats-every'));
  if (statsEvery === 0) throw new UsageError('bad value for --stats-every: 0 (want seconds > 0)');
  const statsTicker = statsEvery === undefined ? undefined : new StatsTicker(ct, statsEvery, json, (l) => out.line(l));
  const progress = new Progress(file === '-' ? null : fileSize(file), process.stderr.isTTY === true && !p.options.has('quiet'));
  // Snapshots only when a table is printed or filtered: --table=none --stats needs just the count.
  const lazy = table === 'none' && !pretty && one(p, 'filter') === undefined;
  const view: EndView = {
    file, table, pretty, lazy, show, expect, stats: p.options.has('stats'), json, summary: p.options.has('summary'),
    quiet: p.options.has('quiet'), checksum: ct.sysctl.nf_conntrack_checksum !== 0, sum,
  };
  if (threads > 1 && oneThread === null) {
    // Its own collector: a fallback starts counting again.
    const threadSum = new SummaryCollector();
    offInterrupt(); // the workers' run answers Ctrl-C itself
    const r = await replayThreaded({
      file, threads, ctOpts, packets, events, summary: view.summary, entries: !lazy, expectations: expect !== 'off', at,
      ...threadLimits(ct.sysctl), out, progress, sum: threadSum,
    });
    if (r.kind === 'done') {
      noPacketsNote(r.read, file, out);
      progress.done();
      // The workers stop before the table can fill (below): no table-full report.
      printEnd({ ...r, entries: () => r.entries, expectations: () => r.expectations, tableFull: null }, { ...view, sum: threadSum }, out, () => {});
      return 0;
    }
    if (r.kind === 'interrupted' || r.kind === 'failed') return threadsStopped(r, out);
    offInterrupt = onInterruptPrint(printInterrupt);
    if (r.kind === 'error') {
      if (!(r.error instanceof CaptureError) || r.error instanceof CaptureOpenError) return captureErrorExit(out, file, r.error);
      // Damage in the capture: one thread reports everything before it, then the error.
    } else out.stderr(`ctscope: note: --threads ${threads}: ${r.reason}; replaying on one thread from the start\n`);
    out = new SkipLines(out, r.lines);
  }
  const order = new PacketOrder((info) => out.line(packetOutput(info, packets === 'json', t0)));
  const tally = new PacketTally();
  let frames = 0;
  let stopAt = Infinity;
  const source = whole === null ? openCapture(file) : openCaptureBytes(file, whole);
  // A capture damaged after some packets: those are reported in full, then the error.
  let damage: CaptureError | null = null;
  try {
    await source.forEach((frame) => {
      const ts = frame.tsSec + frame.tsNsec / 1e9;
      if (t0 < 0) {
        t0 = ts;
        if (at !== undefined) stopAt = t0 + at;
      }
      if (ts > stopAt) return false;
      if (!isSupportedLinkType(frame.linkType)) {
        throw new CaptureError(`unsupported link type ${frame.linkType} (${linkTypeName(frame.linkType)})`, frame.fileOffset);
      }
      if ((++frames & 4095) === 0) progress.tick(frames, frame.fileOffset);
      statsTicker?.before(ts);
      const r = ct.processFrame(frame);
      sum.observe(r, ts);
      follow?.tick(ts);
      tally.observe(r);
      if (packets !== 'off') order.push(packetInfo(ct.engine, r, frame.index, ts), r, ct.fragmentsPending);
      if (file === '-') out.flush(); // live streams: each packet's lines as it arrives
      return true;
    });
  } catch (e) {
    if (!(e instanceof CaptureError) || frames === 0) return captureErrorExit(out, file, e);
    damage = e;
  } finally {
    source.close();
  }
  const summary = source.summary;
  noPacketsNote(summary, file, out);
  progress.done();
  order.flush();
  if (at !== undefined && t0 >= 0) ct.advance(t0 + at);
  flows?.finish();
  await ipfix?.finish();
  const saveTo = one(p, 'save-state');
  printEnd({
    frames, read: summary, entries: () => ct.entries(), count: ct.count, expectations: () => ct.expectations(), stats: ct.stats, tally,
    tableFull: ct.tableFullReport(),
  }, view, out, () => {
    if (saveTo !== undefined) saveStateFile(ct, saveTo, ctOpts);
  });
  offInterrupt();
  return damage === null ? 0 : captureErrorExit(out, file, damage);
}
