/**
 * `ctscope conntrack --from FILE [--at SECONDS] <conntrack(8) arguments>`:
 * conntrack-tools 1.4.7's own command line (-L, -G, -C, -S, -E, -L expect, the
 * filters and -o formats) answered from the table a replayed capture leaves, with
 * conntrack's stdout, stderr summary lines, error messages and exit codes.
 */
import { captureErrorExit, captureWarnings } from '../capture-errors.js';
import { CaptureError } from '../../io/errors.js';
import { readFileSync } from 'node:fs';
import { Conntrack, type ConntrackEvent } from '../../conntrack.js';
import { SysctlError } from '../../core/sysctl.js';
import { formatConntrack, formatExpectStats, formatStats } from '../../format/conntrack.js';
import type { ConnSnapshot } from '../../format/snapshot.js';
import { formatXmlFlow, XML_FOOTER, XML_HEADER } from '../../format/xml.js';
import { formatSave } from '../../format/save.js';
import { openCapture } from '../../node/capture-source.js';
import type { Output } from '../output.js';
import { ConntrackExit, PROGNAME, VERSION_TEXT, parseConntrackArgs, type ConntrackRequest } from './args.js';
import { entryIsTuple, entryMatches } from './filter.js';

export const CONNTRACK_HELP = `Usage: ctscope conntrack --from FILE [--at SECONDS] [conntrack options]

Answers conntrack(8) (conntrack-tools 1.4.7) command lines from the connection
table a replayed capture leaves behind, printing what conntrack prints.

ctscope options (before or among conntrack's):
  --from FILE          the capture (pcap/pcapng, - for stdin) whose table to use
  --at SECONDS         the table SECONDS after the first packet (default: after the last)
  --sysctl NAME=VALUE  a kernel sysctl, as for ctscope replay (repeatable)
  --profile NAME       tutorial or linux-2.4 timeouts

conntrack commands:
  -L [conntrack|expect]   list the table (expect: always empty, ctscope has no helpers)
  -G parameters           get one entry (-p, -s/-d or -r/-q, ports or icmp type/code/id)
  -C [conntrack|expect]   count entries
  -S [conntrack|expect]   the statistics
  -E [options]            the events of the replay (NEW, UPDATE, DESTROY)
  -V                      version

Filters: -p PROTO, -f ipv4|ipv6, -s/-d/-r/-q ADDR[/CIDR|/MASK], -u STATUS[,..],
-m MARK[/MASK], -w ZONE, -e NEW,UPDATES,DESTROY (events); after -p tcp/udp/udplite:
--sport --dport --reply-port-src --reply-port-dst (tcp: --state STATE); after -p
icmp/icmpv6: --icmp[v6]-type/-code/-id.
Output: -o extended,timestamp,id,xml,ktimestamp,labels,userspace | -o save

Examples:
  ctscope conntrack --from capture.pcap -L -p tcp --state ESTABLISHED
  ctscope conntrack --from capture.pcap --at 30 -L -s 10.0.0.0/8 -o extended
  ctscope conntrack --from capture.pcap -E -e DESTROY -o timestamp
`;

/** getprotobyname(): /etc/protocols, when there is one. */
function etcProtocols(): Map<string, number> {
  const m = new Map<string, number>();
  try {
    for (const line of readFileSync('/etc/protocols', 'utf8').split('\n')) {
      const f = line.replace(/#.*/, '').trim().split(/\s+/);
      if (f.length >= 2 && /^\d+$/.test(f[1]!)) {
        m.set(f[0]!, Number(f[1]));
        for (const alias of f.slice(2)) m.set(alias, Number(f[1]));
      }
    }
  } catch {
    // no /etc/protocols: only conntrack's own names and numbers
  }
  return m;
}

interface CtscopeOptions {
  from?: string;
  at?: number;
  sysctl: Record<string, number>;
  profile?: string;
  help: boolean;
}

/** Takes ctscope's own options out of argv; the rest is conntrack's. */
export function splitCtscopeOptions(argv: readonly string[]): { own: CtscopeOptions; rest: string[] } {
  const own: CtscopeOptions = { sysctl: {}, help: false };
  const rest: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const m = /^--(from|at|sysctl|profile)(?:=(.*))?$/.exec(a);
    if (a === '--help' && argv.length === 1) {
      own.help = true;
      continue;
    }
    if (!m) {
      rest.push(a);
      continue;
    }
    let v = m[2];
    if (v === undefined) {
      if (i + 1 >= argv.length) throw new ConntrackExit(`ctscope: option --${m[1]} needs a value`, 2, false);
      v = argv[++i]!;
    }
    switch (m[1]) {
      case 'from': own.from = v; break;
      case 'at': {
        const n = Number(v);
        if (v.trim() === '' || !Number.isFinite(n) || n < 0) throw new ConntrackExit(`ctscope: bad value for --at: ${v} (want a number of seconds >= 0)`, 2, false);
        own.at = n;
        break;
      }
      case 'sysctl': {
        const eq = v.indexOf('=');
        const n = Number(v.slice(eq + 1));
        if (eq <= 0 || !Number.isInteger(n) || n < 0) throw new ConntrackExit(`ctscope: bad --sysctl ${v} (want NAME=VALUE)`, 2, false);
        own.sysctl[v.slice(0, eq)] = n;
        break;
      }
      default: own.profile = v;
    }
  }
  return { own, rest };
}

/** `sec.usec` for -o timestamp. */
export function eventStamp(timeSec: number): string {
  const usecTotal = Math.round(timeSec * 1e6);
  const sec = Math.floor(usecTotal / 1e6);
  return `${sec}.${String(usecTotal - sec * 1e6).padStart(6, '0')}`;
}

const EVENT_BIT = { NEW: 1, UPDATE: 2, DESTROY: 4 } as const;

/** A conntrack -E line (or xml flow) for an event, or null when -e/filters drop it. */
export function formatEventLine(req: ConntrackRequest, e: ConntrackEvent): string | null {
  const mask = req.eventMask === 0 ? 7 : req.eventMask;
  if (!(mask & EVENT_BIT[e.type])) return null;
  if (!entryMatches(req, e.entry)) return null;
  if (req.output.has('xml')) return formatXmlFlow(e.entry, { event: e.type });
  let line = formatConntrack(e.entry, {
    event: e.type,
    extended: req.output.has('extended'),
    id: req.output.has('id'),
    ...(e.protoinfo ? {} : { noProtoinfo: true }),
  });
  if (req.output.has('timestamp')) line = `[${eventStamp(e.time)}]\t${line}`;
  return line;
}

/** One -L line in the requested output style. */
export function formatListLine(req: ConntrackRequest, s: ConnSnapshot): string {
  if (req.output.has('save')) return formatSave(s);
  if (req.output.has('xml')) return formatXmlFlow(s);
  return formatConntrack(s, { extended: req.output.has('extended'), id: req.output.has('id') });
}

function summary(out: Output, text: string): void {
  out.stderr(`${VERSION_TEXT}: ${text}\n`);
}

/** Runs the subcommand; returns the exit code. */
export async function conntrackCommand(argv: readonly string[], out: Output): Promise<number> {
  let own: CtscopeOptions;
  let req: ConntrackRequest;
  try {
    const split = splitCtscopeOptions(argv);
    own = split.own;
    if (own.help) {
      out.stdout(CONNTRACK_HELP);
      return 0;
    }
    req = parseConntrackArgs(split.rest, etcProtocols());
  } catch (e) {
    if (!(e instanceof ConntrackExit)) throw e;
    if (e.message.startsWith('ctscope: ')) out.stderr(`${e.message}\n`);
    else {
      out.stderr(`${VERSION_TEXT}: ${e.message}\n`);
      if (e.tryHelp) out.stderr(`Try \`${PROGNAME} -h' or '${PROGNAME} --help' for more information.\n`);
    }
    return e.code;
  }
  for (const w of req.warnings) out.stdout(`${w}\n`);
  switch (req.command) {
    case 'h':
      out.stdout(CONNTRACK_HELP);
      return 0;
    case 'V':
      out.stdout(`${VERSION_TEXT}\n`);
      return 0;
    case 'I': case 'U': case 'D': case 'F': case 'A':
      out.stderr(`${VERSION_TEXT}: Operation failed: the table of a replayed capture is read-only (-${req.command})\n`);
      return 1;
    default:
      break;
  }
  if (req.expect) {
    // ctscope has no helpers: the expectation table is always empty.
    switch (req.command) {
      case 'L': summary(out, '0 expectations have been shown.'); return 0;
      case 'C': out.stdout('0\n'); return 0;
      case 'S': out.stdout(formatExpectStats({}) + '\n'); return 0;
      case 'G':
        summary(out, "Operation failed: such conntrack doesn't exist");
        return 1;
      default: break;
    }
  }
  if (own.from === undefined) {
    out.stderr('ctscope: conntrack needs --from FILE (the capture whose table to show; see ctscope conntrack --help)\n');
    return 2;
  }
  if (req.output.has('labels')) out.stderr('nfct_labelmap_new: No such file or directory\n');

  let ct: Conntrack;
  try {
    ct = new Conntrack({ sysctl: own.sysctl, ...(own.profile !== undefined ? { profile: own.profile } : {}) });
  } catch (e) {
    if (e instanceof SysctlError) {
      out.stderr(`ctscope: ${e.message}\n`);
      return 2;
    }
    throw e;
  }
  let events = 0;
  let xmlOpen = false;
  if (req.command === 'E' && !req.expect) {
    ct.on('event', (e) => {
      const line = formatEventLine(req, e);
      if (line === null) return;
      if (req.output.has('xml') && !xmlOpen) {
        out.line(XML_HEADER);
        xmlOpen = true;
      }
      out.line(line);
      events++;
    });
  }
  const file = own.from;
  let t0 = -1;
  let stopAt = Infinity;
  let frames = 0;
  // A capture damaged after some packets: the table they left is answered from, then the error.
  let damage: CaptureError | null = null;
  const source = openCapture(file);
  try {
    await source.forEach((frame) => {
      const ts = frame.tsSec + frame.tsNsec / 1e9;
      if (t0 < 0) {
        t0 = ts;
        if (own.at !== undefined) stopAt = t0 + own.at;
      }
      if (ts > stopAt) return false;
      ct.processFrame(frame);
      frames++;
      return true;
    });
  } catch (e) {
    if (!(e instanceof CaptureError) || frames === 0) return captureErrorExit(out, file, e);
    damage = e;
  }
  if (own.at !== undefined && t0 >= 0) ct.advance(t0 + own.at);
  const code = answer();
  captureWarnings(out, file, source.summary);
  return damage === null ? code : captureErrorExit(out, file, damage);

  /** conntrack's answer from the table the capture left; its exit code. */
  function answer(): number {
    switch (req.command) {
      case 'E': {
        if (xmlOpen) out.line(XML_FOOTER);
        out.flush();
        summary(out, `${events} flow events have been shown.`);
        return 0;
      }
      case 'C':
        out.stdout(`${ct.count}\n`);
        return 0;
      case 'S':
        out.stdout(formatStats(ct.stats) + '\n');
        return 0;
      case 'G': {
        const hit = ct.entries().find((s) => entryIsTuple(req, s));
        if (hit === undefined) {
          summary(out, "Operation failed: such conntrack doesn't exist");
          return 1;
        }
        // A get holds one more reference than a dump: conntrack -G prints use=2.
        out.line(formatListLine(req, { ...hit, use: hit.use + 1 }));
        out.flush();
        summary(out, '1 flow entries have been shown.');
        return 0;
      }
      default: {
        const shown = ct.entries().filter((s) => entryMatches(req, s));
        if (req.output.has('xml') && shown.length > 0) out.line(XML_HEADER);
        for (const s of shown) out.line(formatListLine(req, s));
        if (req.output.has('xml') && shown.length > 0) out.line(XML_FOOTER);
        out.flush();
        summary(out, `${shown.length} flow entries have been shown.`);
        return 0;
      }
    }
  }
}
