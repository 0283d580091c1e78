/**
 * conntrack(8) 1.4.7's command line, parsed the way the real binary parses it
 * (getopt_long with the option string of conntrack.c, protocol options merged in
 * after `-p`, the command/option legality table, the same messages and exit
 * codes). Every message and code here was compared with the real binary
 * (test/fixtures/conntrack/kernel.json, test/unit/cli-conntrack/).
 */
export const PROGNAME = 'conntrack';
export const VERSION_TEXT = 'conntrack v1.4.7 (conntrack-tools)';

/** An error the real binary reports: message (without prefix) and exit code. */
export class ConntrackExit extends Error {
  override readonly name = 'ConntrackExit';
  /** True for PARAMETER_PROBLEM: the "Try `conntrack -h'" line follows. */
  readonly tryHelp: boolean;
  constructor(message: string, readonly code: number, tryHelp = code === 2) {
    super(message);
    this.tryHelp = tryHelp;
  }
}

function param(msg: string): ConntrackExit {
  return new ConntrackExit(msg, 2);
}

export type Command = 'L' | 'I' | 'U' | 'D' | 'G' | 'E' | 'F' | 'A' | 'h' | 'V' | 'C' | 'S';

/** Option bits in conntrack.c's order (CT_OPT_*_BIT) with the names its messages use. */
export const OPT_NAMES = [
  'src', 'dst', 'reply-src', 'reply-dst', 'protonum', 'timeout', 'status', 'zero', 'event-mask', 'tuple-src',
  'tuple-dst', 'mask-src', 'mask-dst', 'nat-range', 'mark', 'id', 'family', 'src-nat', 'dst-nat', 'output',
  'secmark', 'buffer-size', 'any-nat', 'zone', 'label', 'label-add', 'label-del', 'orig-zone', 'reply-zone',
] as const;
const OPT_BIT: Record<string, number> = Object.fromEntries(OPT_NAMES.map((n, i) => [n, i]));

/** Short option letter -> option bit. */
const SHORT_OPT: Record<string, string> = {
  s: 'src', d: 'dst', r: 'reply-src', q: 'reply-dst', p: 'protonum', t: 'timeout', u: 'status', z: 'zero',
  e: 'event-mask', '[': 'tuple-src', ']': 'tuple-dst', '{': 'mask-src', '}': 'mask-dst', a: 'nat-range', m: 'mark',
  i: 'id', f: 'family', n: 'src-nat', g: 'dst-nat', o: 'output', c: 'secmark', b: 'buffer-size', j: 'any-nat',
  w: 'zone', l: 'label', '<': 'label-add', '>': 'label-del', '(': 'orig-zone', ')': 'reply-zone',
};

/** getopt string of 1.4.7: letter -> 0 no arg, 1 required, 2 optional. */
const GETOPT = ':L::I::U::D::G::E::F::A::hVs:d:r:q:p:t:u:e:a:z[:]:{:}:m:i:f:o:n::g::c:b:C::Sj::w:l:<:>::(:):';
const SHORTS = new Map<string, number>();
for (let i = 1; i < GETOPT.length; i++) {
  const c = GETOPT[i]!;
  let kind = 0;
  if (GETOPT[i + 1] === ':') {
    kind = 1;
    i++;
    if (GETOPT[i + 1] === ':') {
      kind = 2;
      i++;
    }
  }
  SHORTS.set(c, kind);
}

/** Long options of 1.4.7: name -> [has_arg, short letter]. */
const LONGS: ReadonlyArray<[string, number, string]> = [
  ['dump', 2, 'L'], ['create', 2, 'I'], ['delete', 2, 'D'], ['update', 2, 'U'], ['get', 2, 'G'], ['flush', 2, 'F'],
  ['event', 2, 'E'], ['counter', 2, 'C'], ['stats', 0, 'S'], ['version', 0, 'V'], ['help', 0, 'h'],
  ['orig-src', 1, 's'], ['src', 1, 's'], ['orig-dst', 1, 'd'], ['dst', 1, 'd'], ['reply-src', 1, 'r'],
  ['reply-dst', 1, 'q'], ['protonum', 1, 'p'], ['timeout', 1, 't'], ['status', 1, 'u'], ['zero', 0, 'z'],
  ['event-mask', 1, 'e'], ['tuple-src', 1, '['], ['tuple-dst', 1, ']'], ['mask-src', 1, '{'], ['mask-dst', 1, '}'],
  ['nat-range', 1, 'a'], ['mark', 1, 'm'], ['secmark', 1, 'c'], ['id', 2, 'i'], ['family', 1, 'f'],
  ['src-nat', 2, 'n'], ['dst-nat', 2, 'g'], ['output', 1, 'o'], ['buffer-size', 1, 'b'], ['any-nat', 2, 'j'],
  ['zone', 1, 'w'], ['label', 1, 'l'], ['label-add', 1, '<'], ['label-del', 2, '>'], ['orig-zone', 1, '('],
  ['reply-zone', 1, ')'], ['append', 2, 'A'], ['load-file', 1, 'R'],
];

/** Protocol extension options (merged after -p), all with a required argument. */
const PROTO_LONGS: Record<string, readonly string[]> = {
  tcp: ['orig-port-src', 'orig-port-dst', 'reply-port-src', 'reply-port-dst', 'mask-port-src', 'mask-port-dst',
    'tuple-port-src', 'tuple-port-dst', 'sport', 'dport', 'state'],
  udp: ['orig-port-src', 'orig-port-dst', 'reply-port-src', 'reply-port-dst', 'mask-port-src', 'mask-port-dst',
    'tuple-port-src', 'tuple-port-dst', 'sport', 'dport'],
  icmp: ['icmp-type', 'icmp-code', 'icmp-id'],
  icmpv6: ['icmpv6-type', 'icmpv6-code', 'icmpv6-id'],
};
PROTO_LONGS['udplite'] = PROTO_LONGS['udp']!;

/** Legal options per command (from the real binary: 2 optional, 1 compulsory; absent = illegal). */
const LEGAL: Record<string, Readonly<Record<string, number>>> = {
  L: opts('src dst reply-src reply-dst protonum status zero mask-src mask-dst mark id family src-nat dst-nat output secmark any-nat zone label orig-zone reply-zone'),
  G: { ...opts('src dst reply-src reply-dst id output label'), protonum: 1 },
  E: opts('src dst reply-src reply-dst protonum event-mask mask-src mask-dst mark id family src-nat dst-nat output secmark buffer-size any-nat zone label orig-zone reply-zone'),
  C: opts('id'),
  S: opts('id'),
  h: opts('protonum'),
  V: opts('id'),
  'L expect': opts('id family output'),
  'E expect': opts('id output'),
  'C expect': opts('id'),
  'S expect': opts('id'),
  'G expect': { ...opts('reply-src reply-dst id'), src: 1, dst: 1, protonum: 1 },
};
function opts(list: string): Record<string, number> {
  return Object.fromEntries(list.split(' ').map((n) => [n, 2]));
}

export const TCP_STATES = ['NONE', 'SYN_SENT', 'SYN_RECV', 'ESTABLISHED', 'FIN_WAIT', 'CLOSE_WAIT', 'LAST_ACK', 'TIME_WAIT', 'CLOSE', 'SYN_SENT2'];

/** An address with its mask, as bytes (4 or 16). */
export interface AddrMatch {
  family: 4 | 6;
  addr: Uint8Array;
  mask: Uint8Array;
}

export interface ConntrackRequest {
  command: Command;
  expect: boolean;
  family: 0 | 4 | 6;
  protonum?: number;
  /** The name given to -p (for messages). */
  protoName?: string;
  src?: AddrMatch;
  dst?: AddrMatch;
  replySrc?: AddrMatch;
  replyDst?: AddrMatch;
  sport?: number;
  dport?: number;
  replySport?: number;
  replyDport?: number;
  icmpType?: number;
  icmpCode?: number;
  icmpId?: number;
  state?: string;
  /** -u: the bits that must all be set; 0 = UNSET (status must be 0). */
  status?: number;
  mark?: { value: number; mask: number };
  zone?: number;
  zero: boolean;
  /** -e: NEW=1 UPDATES=2 DESTROY=4. */
  eventMask: number;
  output: Set<string>;
  /** Options seen, as bits of OPT_NAMES. */
  seen: Set<string>;
  /** Warnings conntrack prints on stdout/stderr while parsing. */
  warnings: string[];
}

function parseIntC(s: string): number {
  // strtoul(s, NULL, 0): leading digits in base 10, 0x hex, 0 octal; junk stops the parse.
  const t = s.trim();
  let m: RegExpMatchArray | null;
  if ((m = /^0[xX]([0-9a-fA-F]+)/.exec(t))) return parseInt(m[1]!, 16) >>> 0;
  if ((m = /^0([0-7]*)/.exec(t))) return m[1] ? parseInt(m[1], 8) >>> 0 : 0;
  if ((m = /^[+]?(\d+)/.exec(t))) return Number(BigInt(m[1]!) & 0xffffffffn);
  return 0;
}

/** inet_aton(): a, a.b, a.b.c, a.b.c.d with decimal/octal/hex parts. */
export function inetAton(s: string): Uint8Array | null {
  const parts = s.split('.');
  if (parts.length < 1 || parts.length > 4) return null;
  const nums: number[] = [];
  for (const p of parts) {
    let v: number;
    if (/^0[xX][0-9a-fA-F]*$/.test(p)) v = p.length > 2 ? parseInt(p.slice(2), 16) : 0;
    else if (/^0[0-7]*$/.test(p)) v = parseInt(p, 8);
    else if (/^[1-9][0-9]*$/.test(p)) v = Number(p);
    else return null;
    nums.push(v);
  }
  const last = nums.length - 1;
  for (let i = 0; i < last; i++) if (nums[i]! > 255) return null;
  const maxLast = [0xffffffff, 0xffffff, 0xffff, 0xff][last]!;
  if (nums[last]! > maxLast) return null;
  let v = nums[last]!;
  for (let i = 0; i < last; i++) v += nums[i]! * 2 ** (8 * (3 - i));
  return new Uint8Array([(v >>> 24) & 0xff, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff]);
}

/** inet_pton(AF_INET6). */
export function inetPton6(s: string): Uint8Array | null {
  let text = s;
  const out = new Uint8Array(16);
  let tail4: Uint8Array | null = null;
  const lastColon = text.lastIndexOf(':');
  if (lastColon >= 0 && text.slice(lastColon + 1).includes('.')) {
    const q = text.slice(lastColon + 1);
    if (!/^\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(q)) return null;
    const n = q.split('.').map(Number);
    if (n.some((x) => x > 255)) return null;
    tail4 = new Uint8Array(n);
    text = text.slice(0, lastColon + 1) + '0:0';
  }
  const dbl = text.split('::');
  if (dbl.length > 2) return null;
  const grp = (x: string): number[] | null => {
    if (x === '') return [];
    const g = x.split(':');
    const r: number[] = [];
    for (const h of g) {
      if (!/^[0-9a-fA-F]{1,4}$/.test(h)) return null;
      r.push(parseInt(h, 16));
    }
    return r;
  };
  const head = grp(dbl[0]!);
  const tail = dbl.length === 2 ? grp(dbl[1]!) : [];
  if (head === null || tail === null) return null;
  if (dbl.length === 1 && head.length !== 8) return null;
  if (dbl.length === 2 && head.length + tail.length > 7) return null;
  const words = [...head, ...new Array(8 - head.length - tail.length).fill(0), ...tail];
  for (let i = 0; i < 8; i++) {
    out[2 * i] = words[i]! >> 8;
    out[2 * i + 1] = words[i]! & 0xff;
  }
  if (tail4) out.set(tail4, 12);
  return out;
}

function prefixMask(len: number, bytes: number): Uint8Array {
  const m = new Uint8Array(bytes);
  for (let i = 0; i < bytes; i++) {
    const bits = Math.max(0, Math.min(8, len - 8 * i));
    m[i] = bits === 0 ? 0 : (0xff << (8 - bits)) & 0xff;
  }
  return m;
}

/** -s/-d/-r/-q argument: address with optional /prefix or /netmask. */
function parseAddr(arg: string, req: ConntrackRequest): AddrMatch {
  const slash = arg.indexOf('/');
  const a = slash < 0 ? arg : arg.slice(0, slash);
  let family: 4 | 6;
  let addr = inetAton(a);
  if (addr) family = 4;
  else {
    addr = inetPton6(a);
    if (!addr) throw param(`Invalid IP address \`${a}'`);
    family = 6;
  }
  if (req.family === 0) req.family = family;
  else if (req.family !== family) throw param('mismatched address family');
  const bytes = family === 4 ? 4 : 16;
  let mask = prefixMask(bytes * 8, bytes);
  if (slash >= 0) {
    const m = arg.slice(slash + 1);
    if (/^\d+$/.test(m)) {
      const n = Number(m);
      if (n > bytes * 8) throw param('Invalid netmask');
      mask = prefixMask(n, bytes);
    } else {
      // 1.4.7 takes a prefix length only: a dotted netmask is "Invalid netmask".
      throw param('Invalid netmask');
    }
  }
  return { family, addr: addr.map((b, i) => b & mask[i]!), mask };
}

/** Protocol names conntrack knows itself, then /etc/protocols (getprotobyname). */
const PROTO_NAMES: Readonly<Record<string, number>> = { tcp: 6, udp: 17, udplite: 136, icmp: 1, icmpv6: 58, sctp: 132, dccp: 33, gre: 47 };

function lookupProtocol(name: string, etcProtocols: ReadonlyMap<string, number>): number | undefined {
  if (PROTO_NAMES[name] !== undefined) return PROTO_NAMES[name];
  if (/^\d+$/.test(name)) {
    const n = Number(name);
    return n <= 255 ? n : undefined;
  }
  return etcProtocols.get(name);
}

function parseParameter(arg: string, table: ReadonlyArray<[string, number]>): number {
  // parse_parameter(): comma-separated, each a case-insensitive prefix of a known word.
  let value = 0;
  for (const piece of arg.split(',')) {
    if (piece === '') throw param(`Bad parameter \`${arg}'`);
    const hit = table.find(([w]) => w.toLowerCase().startsWith(piece.toLowerCase()) && piece.length <= w.length);
    if (!hit) throw param(`Bad parameter \`${piece}'`);
    value |= hit[1];
  }
  return value;
}

const STATUS_WORDS: ReadonlyArray<[string, number]> = [['ASSURED', 4], ['SEEN_REPLY', 2], ['UNSET', 0], ['FIXED_TIMEOUT', 1 << 10], ['EXPECTED', 1]];
const EVENT_WORDS: ReadonlyArray<[string, number]> = [['ALL', 7], ['NEW', 1], ['UPDATES', 2], ['DESTROY', 4]];
export const OUTPUT_WORDS = ['xml', 'extended', 'timestamp', 'id', 'ktimestamp', 'labels', 'userspace', 'save'];

/**
 * Parses conntrack's argv. `etcProtocols` resolves `-p NAME` beyond conntrack's
 * own protocols (getprotobyname). Throws ConntrackExit.
 */
export function parseConntrackArgs(argv: readonly string[], etcProtocols: ReadonlyMap<string, number> = new Map()): ConntrackRequest {
  const req: ConntrackRequest = {
    command: 'h', expect: false, family: 0, zero: false, eventMask: 0, output: new Set(), seen: new Set(), warnings: [],
  };
  let cmd: Command | undefined;
  let protoLongs: readonly string[] = [];
  const rest: string[] = [];
  let statusGiven = false;
  let i = 0;
  const takeTable = (attached: string | undefined): void => {
    // check_type(): an optional table name, attached or as the next non-option word.
    let table = attached;
    if (table === undefined && i < argv.length && !argv[i]!.startsWith('-') && !argv[i]!.startsWith('!')) table = argv[i++];
    if (table === undefined) return;
    if (table.startsWith('expect')) req.expect = true;
    else if (table.startsWith('conntrack')) req.expect = false;
    else if (table.startsWith('dying') || table.startsWith('unconfirmed')) req.expect = false;
    else throw param(`unknown type \`${table}'`);
  };
  const setCommand = (c: Command): void => {
    if (cmd !== undefined) throw param('Invalid commands combination');
    cmd = c;
  };
  const seen = (name: string): void => {
    req.seen.add(name);
  };
  const protoOption = (name: string, value: string): void => {
    const port = (v: string): number => parseIntC(v) & 0xffff;
    switch (name) {
      case 'sport': case 'orig-port-src': req.sport = port(value); break;
      case 'dport': case 'orig-port-dst': req.dport = port(value); break;
      case 'reply-port-src': req.replySport = port(value); break;
      case 'reply-port-dst': req.replyDport = port(value); break;
      case 'state': {
        if (!TCP_STATES.includes(value)) throw param(`unknown TCP state \`${value}'`);
        req.state = value;
        break;
      }
      case 'icmp-type': case 'icmpv6-type': req.icmpType = parseIntC(value) & 0xff; break;
      case 'icmp-code': case 'icmpv6-code': req.icmpCode = parseIntC(value) & 0xff; break;
      case 'icmp-id': case 'icmpv6-id': req.icmpId = parseIntC(value) & 0xffff; break;
      default: break; // mask/tuple ports: accepted, not used for listings
    }
  };
  const option = (letter: string, value: string | undefined, shown: string): void => {
    switch (letter) {
      case 'L': case 'I': case 'U': case 'D': case 'G': case 'E': case 'F': case 'A': case 'C':
        setCommand(letter as Command);
        takeTable(value);
        return;
      case 'S':
        setCommand('S');
        takeTable(undefined);
        return;
      case 'h': setCommand('h'); return;
      case 'V': setCommand('V'); return;
      case 'R': throw new ConntrackExit('--load-file is not supported on a replayed capture', 1, false);
      default: break;
    }
    const name = SHORT_OPT[letter];
    if (name === undefined) throw param(`unknown option \`${shown}'`);
    seen(name);
    const v = value ?? '';
    switch (name) {
      case 'src': req.src = parseAddr(v, req); break;
      case 'dst': req.dst = parseAddr(v, req); break;
      case 'reply-src': req.replySrc = parseAddr(v, req); break;
      case 'reply-dst': req.replyDst = parseAddr(v, req); break;
      case 'mask-src': case 'mask-dst': case 'tuple-src': case 'tuple-dst': parseAddr(v, req); break;
      case 'protonum': {
        const n = lookupProtocol(v, etcProtocols);
        if (n === undefined) throw param(`\`${v}' unsupported protocol`);
        req.protonum = n;
        req.protoName = v;
        const key = Object.entries(PROTO_NAMES).find(([, p]) => p === n)?.[0] ?? '';
        protoLongs = PROTO_LONGS[key] ?? [];
        break;
      }
      case 'family': {
        const f = v === 'ipv4' ? 4 : v === 'ipv6' ? 6 : 0;
        if (f === 0) throw param(`\`${v}' unsupported protocol`);
        if (req.family !== 0 && req.family !== f) throw param('mismatched address family');
        req.family = f;
        break;
      }
      case 'status': req.status = (req.status ?? 0) | parseParameter(v, STATUS_WORDS); statusGiven = true; break;
      case 'event-mask': req.eventMask |= parseParameter(v, EVENT_WORDS); break;
      case 'output': {
        for (const piece of v.split(',')) {
          const w = OUTPUT_WORDS.find((x) => piece.length > 0 && x.toLowerCase().startsWith(piece.toLowerCase()));
          if (!w) throw param(`Bad parameter \`${piece === '' ? v : piece}'`);
          req.output.add(w);
        }
        break;
      }
      case 'mark': {
        const slash = v.indexOf('/');
        const value = parseIntC(slash < 0 ? v : v.slice(0, slash));
        const mask = slash < 0 ? 0xffffffff : parseIntC(v.slice(slash + 1));
        req.mark = { value, mask };
        break;
      }
      case 'zone': req.zone = parseIntC(v) & 0xffff; break;
      case 'zero': req.zero = true; break;
      case 'nat-range': req.warnings.push('WARNING: ignoring -a, deprecated option.'); req.seen.delete(name); break;
      default: break;
    }
  };

  while (i < argv.length) {
    const arg = argv[i++]!;
    if (arg === '--') {
      rest.push(...argv.slice(i));
      break;
    }
    if (arg.startsWith('--') && arg.length > 2) {
      const eq = arg.indexOf('=');
      const name = eq < 0 ? arg.slice(2) : arg.slice(2, eq);
      const attached = eq < 0 ? undefined : arg.slice(eq + 1);
      const exactProto = protoLongs.includes(name);
      let hit = LONGS.find(([n]) => n === name);
      if (!hit && !exactProto) {
        const cands = [...LONGS.filter(([n]) => n.startsWith(name)).map((l) => l[0]), ...protoLongs.filter((n) => n.startsWith(name))];
        const uniq = [...new Set(cands.map((c) => LONGS.find(([n]) => n === c)?.[2] ?? c))];
        if (uniq.length === 1) {
          hit = LONGS.find(([n]) => n === cands[0]);
          if (!hit) {
            protoOption(cands[0]!, attached ?? argv[i++] ?? '');
            continue;
          }
        } else if (uniq.length > 1) throw param(`option \`${arg}' is ambiguous`);
      }
      if (exactProto && !hit) {
        if (attached === undefined && i >= argv.length) throw param(`option \`${arg}' requires an argument`);
        protoOption(name, attached ?? argv[i++]!);
        continue;
      }
      if (!hit) throw param(`unknown option \`${arg}'`);
      const [, hasArg, letter] = hit;
      let value = attached;
      if (hasArg === 0 && attached !== undefined) throw param(`option \`--${hit[0]}' doesn't allow an argument`);
      if (hasArg === 1 && value === undefined) {
        if (i >= argv.length) throw param(`option \`${arg}' requires an argument`);
        value = argv[i++];
      }
      option(letter, value, arg);
      continue;
    }
    if (arg.startsWith('-') && arg.length > 1) {
      const letter = arg[1]!;
      const kind = SHORTS.get(letter);
      if (kind === undefined) throw param(`unknown option \`${arg.slice(0, 2)}'`);
      let value: string | undefined = arg.length > 2 ? arg.slice(2) : undefined;
      if (kind === 1 && value === undefined) {
        if (i >= argv.length) throw param(`option \`-${letter}' requires an argument`);
        value = argv[i++];
      }
      if (kind === 0 && value !== undefined) {
        // clustered flags (-zL …): handle one by one
        option(letter, undefined, `-${letter}`);
        argv = [...argv.slice(0, i), `-${value}`, ...argv.slice(i)];
        continue;
      }
      option(letter, value, arg);
      continue;
    }
    rest.push(arg);
  }
  if (cmd === undefined) {
    req.command = 'h';
    return req;
  }
  req.command = cmd;
  if (req.zero && [...req.seen].some((n) => ['src', 'dst', 'reply-src', 'reply-dst', 'protonum', 'mark', 'status', 'zone', 'family', 'orig-zone', 'reply-zone', 'label', 'secmark'].includes(n))) {
    throw param("Can't use -z with filtering parameters");
  }
  const legal = LEGAL[`${cmd}${req.expect ? ' expect' : ''}`] ?? LEGAL[cmd];
  if (legal) {
    for (const n of OPT_NAMES) {
      const l = legal[n] ?? 0;
      if (!req.seen.has(n)) {
        if (l === 1) throw param(`You need to supply the \`--${n}' option for this command`);
      } else if (l === 0) throw param(`Illegal option \`--${n}' with this command`);
    }
  }
  if (req.seen.has('mask-src') && !req.seen.has('src')) throw param("Can't use --mask-src without --src");
  if (req.seen.has('mask-dst') && !req.seen.has('dst')) throw param("Can't use --mask-dst without --dst");
  if (req.output.has('save') && req.output.size > 1) {
    throw new ConntrackExit('cannot combine save output with any other output type, use -o save only', 1, false);
  }
  if (cmd === 'G' && !req.expect) {
    const orig = req.src !== undefined && req.dst !== undefined;
    const repl = req.replySrc !== undefined && req.replyDst !== undefined;
    if (!orig && !repl) throw param("you have to specify `--src' and `--dst'");
    const p = req.protonum;
    if (p === 6 || p === 17 || p === 136) {
      if (orig && (req.sport === undefined || req.dport === undefined)) throw param("you have to specify `--sport' and `--dport'");
      if (!orig && (req.replySport === undefined || req.replyDport === undefined)) throw param("you have to specify `--reply-src-port' and `--reply-dst-port'");
    } else if (p === 1 || p === 58) {
      const k = p === 1 ? 'icmp' : 'icmpv6';
      if (req.icmpType === undefined) throw param(`You need to supply the \`--${k}-type' option for this command`);
      if (req.icmpCode === undefined) throw param(`You need to supply the \`--${k}-code' option for this command`);
      if (req.icmpId === undefined) throw param(`You need to supply the \`--${k}-id' option for this command`);
    }
  }
  if (!statusGiven) delete req.status;
  else if (req.status === 0 && (cmd === 'L' || cmd === 'E')) {
    // -u UNSET alone asks the kernel to filter on an empty status mask: it answers EINVAL.
    throw new ConntrackExit('Operation failed: invalid parameters', 1, false);
  }
  void rest;
  return req;
}

/** Number of the bit of an option name (exported for tests). */
export function optBit(name: string): number {
  return OPT_BIT[name] ?? -1;
}
