/**
 * IRC: port of nf_conntrack_irc.c (Linux 6.18). Looks only at client→server
 * segments of an established session (what the client sends to the IRC server),
 * in at most the first 4095 bytes of the payload. A message is considered when,
 * after leading blanks/CR/LF, it starts with "PRIVMSG " (any case); then each
 * " :" is checked for "\1DCC " followed by one of SEND, CHAT, MOVE, TSEND,
 * SCHAT (exact case) and "<argument> <ip as a decimal u32> <port>" with a "\n"
 * somewhere after it. The announced address must be the sender's own (original
 * source, or the reply tuple's destination, which differ only under NAT) and
 * the port non-zero; otherwise the kernel only warns ("Forged DCC command")
 * and keeps looking. The first acceptable DCC makes the helper expect a TCP
 * connection from any address and port to the announced address:port and
 * ends the search. The kernel registers this helper for IPv4 only.
 */
import { NF_ACCEPT, NF_DROP, IPPROTO_TCP } from '../core/consts.js';
import type { ConntrackHelper, HelperContext } from './helper.js';
import { TUPLE_WORDS } from '../tuple/tuple.js';

/** The connection's tuples while an expectation is built from them. */
const pairScratch = new Uint32Array(2 * TUPLE_WORDS);

/** MAX_SEARCH_SIZE: only this much of a segment's payload is searched. */
const MAX_SEARCH_SIZE = 4095;
/** MINMATCHLEN: the shortest DCC type plus its blank. */
const MINMATCHLEN = 5;
/** The DCC types the kernel follows, in its order (matched case-sensitively). */
const DCC_PROTOS = ['SEND ', 'CHAT ', 'MOVE ', 'TSEND ', 'SCHAT '].map((s) => Array.from(s, (c) => c.charCodeAt(0)));
const PRIVMSG = Array.from('privmsg ', (c) => c.charCodeAt(0));
const DCC = [1, 68, 67, 67, 32]; // "\1DCC "

const SP = 32;
const CR = 13;
const LF = 10;

/** The module parameters' defaults: max_dcc_channels and dcc_timeout. */
export const IRC_MAX_DCC_CHANNELS = 8;
export const IRC_DCC_TIMEOUT = 300;

/** Payload reader: offsets relative to the start of the TCP payload. */
interface Payload {
  buf: Uint8Array;
  off: number;
  /** skb->len's end in buf: bytes past the search window but inside the packet are real bytes. */
  end: number;
}

/**
 * One byte at `i`. The kernel reads the search window in place (linear skb),
 * and parse_dcc's newline scan looks one byte past the window's end: that byte
 * is the packet's own when the payload was longer than 4095 bytes, and
 * something that is not a newline after the end of the packet.
 */
function at(p: Payload, i: number): number {
  const o = p.off + i;
  return i >= 0 && o < p.end ? p.buf[o]! : 0;
}

function lower(c: number): number {
  return c >= 65 && c <= 90 ? c + 32 : c;
}

function equalAt(p: Payload, i: number, pat: readonly number[]): boolean {
  for (let k = 0; k < pat.length; k++) if (at(p, i + k) !== pat[k]) return false;
  return true;
}

/**
 * simple_strtoul(s, &end, 10) truncated to `bits` bits: the kernel keeps the
 * value in an unsigned long and then narrows it (to a __be32 address, a u16
 * port), so only the low bits count; arithmetic mod 2^bits gives the same.
 */
function strtoul(p: Payload, i: number, bits: 16 | 32): { value: number; end: number } {
  const mod = bits === 32 ? 0x1_0000_0000 : 0x1_0000;
  let v = 0;
  for (;;) {
    const c = at(p, i);
    if (c < 48 || c > 57) break;
    v = (v * 10 + (c - 48)) % mod;
    i++;
  }
  return { value: v, end: i };
}

interface Dcc {
  ip: number;
  port: number;
}

/**
 * parse_dcc(): from `i` (just after the DCC type), skips the argument up to
 * its blank (failing if fewer than 12 bytes would be left), requires a "\n" at
 * or after that point (up to and including the byte at `limit`), then reads
 * the address, blanks, and the port. Returns null on failure.
 */
function parseDcc(p: Payload, i: number, limit: number): Dcc | null {
  for (;;) {
    const c = at(p, i);
    i++;
    if (c === SP) break;
    if (i > limit - 12) return null;
  }
  let nl = i;
  while (nl <= limit && at(p, nl) !== LF) nl++;
  if (nl > limit) return null;
  const ip = strtoul(p, i, 32);
  i = ip.end;
  while (at(p, i) === SP) {
    if (i >= limit) return null;
    i++;
  }
  const port = strtoul(p, i, 16);
  return { ip: ip.value, port: port.value };
}

function dotted(a: number): string {
  return `${a >>> 24}.${(a >>> 16) & 0xff}.${(a >>> 8) & 0xff}.${a & 0xff}`;
}

/** An optional HelperContext extension for net_warn_ratelimited() messages (not drops). */
type WarnCapable = HelperContext & { warn?(text: string): void };

export const ircHelper: ConntrackHelper = {
  name: 'irc',
  protonum: IPPROTO_TCP,
  ports: [6667],
  families: [4], // nf_conntrack_irc registers for AF_INET only
  policies: [{ name: '', maxExpected: IRC_MAX_DCC_CHANNELS, timeoutSec: IRC_DCC_TIMEOUT }],
  createState: () => ({}),
  help(ctx: HelperContext, conn: number, dir: number, established: boolean): number {
    if (dir === 1) return NF_ACCEPT; // from the IRC server
    if (!established) return NF_ACCEPT; // until there's been traffic both ways
    const t = ctx.table;
    const orig = t.origBase(conn);
    const l3num = (t.rec[orig + 9]! >>> 8) & 0xff;
    const m = ctx.meta;
    const l4 = m.l4Off;
    if (l4 + 20 > m.end) return NF_ACCEPT; // not a full TCP header
    const dataoff = l4 + (m.buf[l4 + 12]! >> 4) * 4;
    if (dataoff >= m.end) return NF_ACCEPT; // no data
    const limit = Math.min(m.end - dataoff, MAX_SEARCH_SIZE);
    const p: Payload = { buf: m.buf, off: dataoff, end: m.end };

    let i = 0;
    while (i < limit - 10) {
      const c = at(p, i);
      if (c === SP || c === CR || c === LF) i++;
      else break;
    }
    // strlen("PRIVMSG x ") = 10: a shorter rest is not checked for PRIVMSG
    // (and is too short for the DCC search below anyway).
    if (i < limit - 10) {
      for (let k = 0; k < PRIVMSG.length; k++) if (lower(at(p, i + k)) !== PRIVMSG[k]) return NF_ACCEPT;
      i += 8;
    }
    // strlen(" :\1DCC SENT t AAAAAAAA P\1\n") = 26
    while (i < limit - (21 + MINMATCHLEN)) {
      if (at(p, i) !== SP || at(p, i + 1) !== 58 /* : */) {
        i++;
        continue;
      }
      i += 2;
      if (!equalAt(p, i, DCC)) return NF_ACCEPT; // only the message start is checked
      i += DCC.length;
      for (const proto of DCC_PROTOS) {
        if (!equalAt(p, i, proto)) continue;
        i += proto.length; // kept even when the command turns out unusable
        const dcc = parseDcc(p, i, limit);
        if (dcc === null) continue;
        // The address may be the internal or the NATed one.
        const pair = t.pairOf(conn, pairScratch);
        const sender = pair[dir * TUPLE_WORDS]!;
        const reply = (1 - dir) * TUPLE_WORDS;
        const replyDst = pair[reply + 4]!;
        if ((sender !== dcc.ip && replyDst !== dcc.ip) || dcc.port === 0) {
          (ctx as WarnCapable).warn?.(`Forged DCC command from ${dotted(sender)}: ${dotted(dcc.ip)}:${dcc.port}`);
          continue;
        }
        const r = ctx.expect(conn, l3num, IPPROTO_TCP, null, 0, pair, reply + 4, dcc.port, 0);
        if (typeof r === 'string') {
          ctx.logDrop('cannot add expectation');
          return NF_DROP;
        }
        return NF_ACCEPT;
      }
    }
    return NF_ACCEPT;
  },
};
