/**
 * Amanda: port of nf_conntrack_amanda.c (Linux 6.18), the backup system's
 * UDP control channel (the server asks amandad on the client, udp/10080).
 * Only datagrams in the reply direction (from amandad) are read. Each one
 * first stretches the master entry's timeout to master_timeout (300 s), as
 * amandad can answer late. Then the first "CONNECT " in the payload and the
 * first "\n" after it delimit a line; in it the first "DATA ", "MESG ",
 * "INDEX " and "STATE " (in that order, case-sensitive) are each followed by
 * a decimal port (at most 5 characters are read). Each port makes the helper
 * expect a TCP connection from the server (original source) to the client
 * (original destination) at that port; a zero port (or nothing parsable)
 * stops the scan. A refused expectation drops the datagram but the scan goes
 * on. Registered for IPv4 and IPv6.
 */
import { NF_ACCEPT, NF_DROP, IPPROTO_TCP, IPPROTO_UDP, IPS_FIXED_TIMEOUT } from '../core/consts.js';
import type { ConntrackHelper, HelperContext } from './helper.js';

/** The module parameter master_timeout's default, in seconds. */
export const AMANDA_MASTER_TIMEOUT = 300;

const bytesOf = (s: string): number[] => Array.from(s, (c) => c.charCodeAt(0));
const CONNECT = bytesOf('CONNECT ');
const NEWLINE = bytesOf('\n');
const KEYWORDS = ['DATA ', 'MESG ', 'INDEX ', 'STATE '].map(bytesOf);
/** sizeof("65535") - 1: the most characters a port may take. */
const PORT_CHARS = 5;

/**
 * skb_find_text(): the first occurrence of `pat` that lies wholly within
 * [from, to) of `buf`, as an offset from `from`, or -1.
 */
function findText(buf: Uint8Array, from: number, to: number, pat: readonly number[]): number {
  const last = to - pat.length;
  outer: for (let i = from; i <= last; i++) {
    for (let k = 0; k < pat.length; k++) if (buf[i + k] !== pat[k]) continue outer;
    return i - from;
  }
  return -1;
}

/** An optional HelperContext extension for net_err_ratelimited() messages (not drops). */
type WarnCapable = HelperContext & { warn?(text: string): void };

export const amandaHelper: ConntrackHelper = {
  name: 'amanda',
  protonum: IPPROTO_UDP,
  ports: [10080],
  policies: [{ name: '', maxExpected: 4, timeoutSec: 180 }],
  createState: () => ({}),
  help(ctx: HelperContext, conn: number, dir: number): number {
    if (dir === 0) return NF_ACCEPT; // the server's own datagrams carry nothing
    const t = ctx.table;
    // nf_ct_refresh(): a fixed timeout is left alone; no accounting, no event.
    if (!(t.statusOf(conn) & IPS_FIXED_TIMEOUT)) t.setDeadline(conn, ctx.nowMs + AMANDA_MASTER_TIMEOUT * 1000);

    const m = ctx.meta;
    const dataoff = m.l4Off + 8;
    if (dataoff >= m.end) {
      // skb->len counts from the network header.
      (ctx as WarnCapable).warn?.(`amanda_help: skblen = ${m.end - m.l3Off}`);
      return NF_ACCEPT;
    }
    const buf = m.buf;
    let start = findText(buf, dataoff, m.end, CONNECT);
    if (start < 0) return NF_ACCEPT;
    start += dataoff + CONNECT.length;
    let stop = findText(buf, start, m.end, NEWLINE);
    if (stop < 0) return NF_ACCEPT;
    stop += start;

    const orig = t.origBase(conn);
    const l3num = (t.rec[orig + 9]! >>> 8) & 0xff;
    let verdict = NF_ACCEPT;
    for (const key of KEYWORDS) {
      let off = findText(buf, start, stop, key);
      if (off < 0) continue;
      off += start + key.length;
      // simple_strtoul() over at most 5 characters, narrowed to 16 bits.
      const len = Math.min(PORT_CHARS, stop - off);
      let value = 0;
      let i = 0;
      for (; i < len; i++) {
        const c = buf[off + i]!;
        if (c < 48 || c > 57) break;
        value = value * 10 + (c - 48);
      }
      const port = value & 0xffff;
      if (port === 0) break;
      const r = ctx.expect(conn, l3num, IPPROTO_TCP, t.rec, orig, t.rec, orig + 4, port, 0);
      if (typeof r === 'string') {
        ctx.logDrop('cannot add expectation');
        verdict = NF_DROP;
      }
    }
    return verdict;
  },
};
