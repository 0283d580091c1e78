/**
 * Reading comfort: an aligned table of entries (colored on a terminal, NO_COLOR
 * honoured by the caller passing color=false), a `--filter` expression over
 * entries, and an end-of-replay summary. Browser-safe.
 *
 * Filter grammar (case-insensitive words):
 *   expr   := term ('or' term)*          term := factor ('and'? factor)*
 *   factor := 'not' factor | '(' expr ')' | prim
 *   prim   := 'tcp' | 'udp' | 'udplite' | 'icmp' | 'icmpv6' | 'proto' NAME|NUMBER
 *           | ['src'|'dst'] 'host' ADDR | ['src'|'dst'] 'net' ADDR/LEN | ['src'|'dst'] 'port' N
 *           | 'state' NAME (TCP state, or assured / unreplied / replied)
 *   e.g.  tcp and port 443 and not state TIME_WAIT     net 10.0.0.0/8 or udp
 * Addresses and ports match either direction of the original tuple (src/dst narrow it).
 */
import type { ConnSnapshot } from './snapshot.js';
import { formatAddr } from './addr.js';
import { seconds } from './common.js';
import { ctL4Name } from './conntrack.js';
import { IPS_ASSURED, IPS_SEEN_REPLY } from './status.js';

export type EntryPredicate = (s: ConnSnapshot) => boolean;

export class FilterError extends Error {
  override readonly name = 'FilterError';
}

const PROTOS: Readonly<Record<string, number>> = { tcp: 6, udp: 17, udplite: 136, icmp: 1, icmpv6: 58, sctp: 132, gre: 47, esp: 50 };

function parseAddr(text: string): { bytes: Uint8Array; len: number } | null {
  const [a, l] = text.split('/');
  if (a === undefined) return null;
  if (/^\d+\.\d+\.\d+\.\d+$/.test(a)) {
    const b = new Uint8Array(a.split('.').map(Number));
    if (b.some((x, i) => x > 255 || Number(a.split('.')[i]) > 255)) return null;
    const len = l === undefined ? 32 : Number(l);
    return Number.isInteger(len) && len >= 0 && len <= 32 ? { bytes: b, len } : null;
  }
  if (a.includes(':')) {
    const parts = a.split('::');
    if (parts.length > 2) return null;
    const h = parts[0] ? parts[0].split(':') : [];
    const t = parts.length === 2 && parts[1] ? parts[1].split(':') : [];
    if (parts.length === 1 && h.length !== 8) return null;
    const words = [...h, ...new Array(8 - h.length - t.length).fill('0'), ...t];
    if (words.length !== 8 || words.some((w) => !/^[0-9a-fA-F]{1,4}$/.test(w))) return null;
    const b = new Uint8Array(16);
    words.forEach((w, i) => {
      const v = parseInt(w, 16);
      b[2 * i] = v >> 8;
      b[2 * i + 1] = v & 0xff;
    });
    const len = l === undefined ? 128 : Number(l);
    return Number.isInteger(len) && len >= 0 && len <= 128 ? { bytes: b, len } : null;
  }
  return null;
}

function inNet(addr: Uint8Array, net: { bytes: Uint8Array; len: number }): boolean {
  if (addr.length !== net.bytes.length) return false;
  for (let i = 0; i < addr.length; i++) {
    const bits = Math.max(0, Math.min(8, net.len - 8 * i));
    const m = bits === 0 ? 0 : (0xff << (8 - bits)) & 0xff;
    if ((addr[i]! & m) !== (net.bytes[i]! & m)) return false;
  }
  return true;
}

/** Compiles a filter expression. Throws FilterError with the offending word. */
export function compileFilter(expr: string): EntryPredicate {
  const toks = expr.match(/\(|\)|[^\s()]+/g) ?? [];
  let pos = 0;
  const peek = (): string | undefined => toks[pos]?.toLowerCase();
  const next = (what: string): string => {
    const t = toks[pos++];
    if (t === undefined) throw new FilterError(`filter ends where ${what} was expected`);
    return t;
  };
  const prim = (): EntryPredicate => {
    const w = next('a condition').toLowerCase();
    if (PROTOS[w] !== undefined && w !== 'esp') return (s) => s.protonum === PROTOS[w];
    if (w === 'proto') {
      const v = next('a protocol').toLowerCase();
      const n = PROTOS[v] ?? (/^\d+$/.test(v) ? Number(v) : NaN);
      if (!(n >= 0 && n <= 255)) throw new FilterError(`unknown protocol ${v}`);
      return (s) => s.protonum === n;
    }
    if (w === 'state') {
      const v = next('a state').toUpperCase();
      if (v === 'ASSURED') return (s) => (s.status & IPS_ASSURED) !== 0;
      if (v === 'UNREPLIED') return (s) => (s.status & IPS_SEEN_REPLY) === 0;
      if (v === 'REPLIED') return (s) => (s.status & IPS_SEEN_REPLY) !== 0;
      return (s) => s.state === v;
    }
    let side: 'src' | 'dst' | 'any' = 'any';
    let kind = w;
    if (w === 'src' || w === 'dst') {
      side = w;
      kind = next('host, net or port').toLowerCase();
    }
    if (kind === 'host' || kind === 'net') {
      const v = next('an address');
      const net = parseAddr(v);
      if (net === null) throw new FilterError(`bad address ${v}`);
      return (s) => (side !== 'dst' && inNet(s.orig.src, net)) || (side !== 'src' && inNet(s.orig.dst, net));
    }
    if (kind === 'port') {
      const v = next('a port');
      const p = Number(v);
      if (!Number.isInteger(p) || p < 0 || p > 65535) throw new FilterError(`bad port ${v}`);
      return (s) => (side !== 'dst' && s.orig.sport === p) || (side !== 'src' && s.orig.dport === p);
    }
    throw new FilterError(`unknown word ${w}`);
  };
  const factor = (): EntryPredicate => {
    const w = peek();
    if (w === 'not' || w === '!') {
      pos++;
      const f = factor();
      return (s) => !f(s);
    }
    if (w === '(') {
      pos++;
      const e = orExpr();
      if (next(')') !== ')') throw new FilterError('missing )');
      return e;
    }
    return prim();
  };
  const andExpr = (): EntryPredicate => {
    let left = factor();
    for (;;) {
      const w = peek();
      if (w === undefined || w === 'or' || w === '||' || w === ')') return left;
      if (w === 'and' || w === '&&') pos++;
      const l = left;
      const r = factor();
      left = (s) => l(s) && r(s);
    }
  };
  const orExpr = (): EntryPredicate => {
    let left = andExpr();
    while (peek() === 'or' || peek() === '||') {
      pos++;
      const l = left;
      const r = andExpr();
      left = (s) => l(s) || r(s);
    }
    return left;
  };
  if (toks.length === 0) return () => true;
  const f = orExpr();
  if (pos < toks.length) throw new FilterError(`unexpected ${toks[pos]}`);
  return f;
}

const C = { reset: '\x1b[0m', dim: '\x1b[2m', bold: '\x1b[1m', green: '\x1b[32m', yellow: '\x1b[33m', red: '\x1b[31m', cyan: '\x1b[36m' };

function stateColor(st: string): string {
  if (st === 'ESTABLISHED' || st === 'assured') return C.green;
  if (st.startsWith('SYN') || st === 'unreplied') return C.yellow;
  if (st === 'CLOSE' || st === 'TIME_WAIT' || st.includes('WAIT') || st === 'LAST_ACK') return C.dim;
  return '';
}

function endpoint(a: Uint8Array, port: number, ports: boolean): string {
  const t = formatAddr(a, 'compressed');
  if (!ports) return t;
  return a.length === 16 ? `[${t}]:${port}` : `${t}:${port}`;
}

/** An aligned table (header + one row per entry). */
export function formatPrettyTable(entries: readonly ConnSnapshot[], color: boolean): string[] {
  const rows = entries.map((s) => {
    const ports = [6, 17, 136, 132].includes(s.protonum);
    const state = s.state ?? (s.status & IPS_SEEN_REPLY ? (s.status & IPS_ASSURED ? 'assured' : 'replied') : 'unreplied');
    const flags = [(s.status & IPS_ASSURED) ? 'A' : '', (s.status & IPS_SEEN_REPLY) ? '' : 'U'].join('');
    return [
      ctL4Name(s.protonum) === 'unknown' ? String(s.protonum) : ctL4Name(s.protonum),
      endpoint(s.orig.src, s.orig.sport, ports),
      endpoint(s.orig.dst, s.orig.dport, ports),
      state,
      String(seconds(s.timeoutMs)),
      flags,
      s.orig.packets !== undefined ? `${s.orig.packets}/${s.reply.packets ?? 0}` : '',
    ];
  });
  const head = ['PROTO', 'SOURCE', 'DESTINATION', 'STATE', 'TIMEOUT', 'FLAGS', 'PKTS o/r'];
  const showPkts = rows.some((r) => r[6] !== '');
  const cols = showPkts ? 7 : 6;
  const width = head.slice(0, cols).map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[], isHead: boolean): string => {
    const parts = cells.slice(0, cols).map((c, i) => (i === 4 ? c.padStart(width[i]!) : c.padEnd(width[i]!)));
    let text = parts.join('  ').trimEnd();
    if (color) {
      if (isHead) text = C.bold + text + C.reset;
      else {
        const col = stateColor(cells[3]!);
        if (col) text = text.replace(parts[3]!, col + parts[3]! + C.reset);
      }
    }
    return text;
  };
  return [line(head, true), ...rows.map((r) => line(r, false))];
}

export interface ReplaySummary {
  packets: number;
  /** ctstate name -> packets. */
  ctstates: Record<string, number>;
  /** INVALID packets by the kernel's message (without numbers). */
  invalidReasons: Record<string, number>;
  firstTime: number;
  lastTime: number;
}

/** The end-of-replay summary lines: packets, connections by protocol and state, invalid by reason, time span. */
export function formatSummary(sum: ReplaySummary, entries: readonly ConnSnapshot[]): string[] {
  const out: string[] = [];
  const span = sum.packets > 0 ? sum.lastTime - sum.firstTime : 0;
  const cts = Object.entries(sum.ctstates).filter(([, n]) => n > 0).map(([k, n]) => `${n} ${k}`).join(', ');
  out.push(`packets: ${sum.packets}${cts ? ` (${cts})` : ''} over ${span.toFixed(3)} s`);
  const byProto = new Map<string, Map<string, number>>();
  for (const s of entries) {
    const p = ctL4Name(s.protonum) === 'unknown' ? `proto ${s.protonum}` : ctL4Name(s.protonum);
    const st = s.state ?? (s.status & IPS_SEEN_REPLY ? 'replied' : 'unreplied');
    const m = byProto.get(p) ?? new Map<string, number>();
    m.set(st, (m.get(st) ?? 0) + 1);
    byProto.set(p, m);
  }
  out.push(`connections in the table: ${entries.length}`);
  for (const [p, m] of [...byProto].sort()) {
    const total = [...m.values()].reduce((a, b) => a + b, 0);
    out.push(`  ${p.padEnd(8)} ${String(total).padStart(6)}  ${[...m].sort((a, b) => b[1] - a[1]).map(([k, n]) => `${k} ${n}`).join(', ')}`);
  }
  const inv = Object.entries(sum.invalidReasons).sort((a, b) => b[1] - a[1]);
  if (inv.length > 0) {
    out.push('invalid packets by reason:');
    for (const [r, n] of inv) out.push(`  ${String(n).padStart(6)}  ${r}`);
  }
  return out;
}

/** A reason with its numbers taken out, so equal causes count together. */
export function reasonKey(reason: string): string {
  return reason.replace(/\d+/g, 'N');
}

/** What the summary counts an invalid packet under: its messages without their numbers. */
export function invalidKey(reasons: readonly string[]): string {
  return reasons.length > 0 ? reasons.map(reasonKey).join('; ') : '(no message)';
}
