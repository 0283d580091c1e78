/**
 * FTP: port of nf_conntrack_ftp.c (Linux 6.18). Reads PORT/EPRT from the client
 * and 227/229 replies from the server, only at the start of a line (the helper
 * remembers up to two sequence numbers that follow a "\n" per direction, so the
 * first line of each direction is never parsed), and expects the data
 * connection: from the peer, any port, to the announced address and port.
 * A command cut at the end of a segment ("partial matching") is dropped, as the
 * kernel does; an address other than the sender's is ignored unless `loose`.
 */
import { NF_ACCEPT, NF_DROP, IPPROTO_TCP } from '../core/consts.js';
import type { ConntrackHelper, HelperContext } from './helper.js';
import { TUPLE_WORDS } from '../tuple/tuple.js';

/** The connection's tuples while an expectation is built from them. */
const pairScratch = new Uint32Array(2 * TUPLE_WORDS);

const NUM_SEQ_TO_REMEMBER = 2;
const NF_CT_FTP_SEQ_PICKUP = 1;

interface FtpState {
  seqAftNl: Uint32Array; // [dir * 2 + i]
  seqAftNlNum: Uint8Array;
  flags: Uint8Array;
}

interface Cmd {
  l3num: number;
  addr: Uint32Array; // 4 words
  port: number;
}

type GetNum = (d: Uint8Array, start: number, dlen: number, cmd: Cmd, term: number) => number;

interface Search {
  pattern: string;
  skip: number;
  term: number;
  getnum: GetNum;
}

const isDigit = (c: number): boolean => c >= 48 && c <= 57;

/** try_number(): `size` numbers separated by `sep`, ended by `term` (or anything when term is 0). */
function tryNumber(d: Uint8Array, start: number, dlen: number, out: number[], size: number, sep: number, term: number): number {
  for (let k = 0; k < size; k++) out[k] = 0;
  let i = 0;
  for (let len = 0; len < dlen && i < size; len++) {
    const c = d[start + len]!;
    if (isDigit(c)) out[i] = (out[i]! * 10 + c - 48) >>> 0;
    else if (c === sep) i++;
    else {
      if ((c === term || term === 0) && i === size - 1) return len;
      return 0;
    }
  }
  return 0;
}

const nums: number[] = [0, 0, 0, 0, 0, 0];

/** try_rfc959(): h1,h2,h3,h4,p1,p2 */
function tryRfc959(d: Uint8Array, start: number, dlen: number, cmd: Cmd, term: number): number {
  const length = tryNumber(d, start, dlen, nums, 6, 44 /* , */, term);
  if (length === 0) return 0;
  cmd.addr[0] = ((nums[0]! << 24) | (nums[1]! << 16) | (nums[2]! << 8) | nums[3]!) >>> 0;
  cmd.addr[1] = cmd.addr[2] = cmd.addr[3] = 0;
  cmd.port = ((nums[4]! << 8) | nums[5]!) & 0xffff;
  return length;
}

/** try_rfc1123(): a 227 reply's numbers start at its first digit (RFC 1123 4.1.2.6). */
function tryRfc1123(d: Uint8Array, start: number, dlen: number, cmd: Cmd): number {
  let i = 0;
  while (i < dlen && !isDigit(d[start + i]!)) i++;
  if (i === dlen) return 0;
  return tryRfc959(d, start + i, dlen - i, cmd, 0);
}

/** get_port(): digits up to `delim`; returns the index after it, or 0. */
function getPort(d: Uint8Array, start: number, from: number, dlen: number, delim: number, cmd: Cmd): number {
  let p = 0;
  for (let i = from; i < dlen; i++) {
    const c = d[start + i]!;
    if (c === delim) {
      if (p === 0) break;
      cmd.port = p;
      return i + 1;
    }
    if (!isDigit(c)) break;
    p = (p * 10 + c - 48) & 0xffff;
  }
  return 0;
}

/** in6_pton() up to `delim`: returns the characters consumed, or 0. */
function parseIpv6(d: Uint8Array, start: number, dlen: number, delim: number, out: Uint32Array): number {
  let end = 0;
  while (end < dlen && d[start + end] !== delim) end++;
  if (end === dlen) return 0;
  const text = String.fromCharCode(...d.subarray(start, start + end));
  const halves = text.split('::');
  if (halves.length > 2) return 0;
  const parse = (s: string): number[] | null => {
    if (s === '') return [];
    const groups: number[] = [];
    for (const g of s.split(':')) {
      if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return null;
      groups.push(parseInt(g, 16));
    }
    return groups;
  };
  const head = parse(halves[0]!);
  const tail = halves.length === 2 ? parse(halves[1]!) : [];
  if (head === null || tail === null) return 0;
  const fill = 8 - head.length - tail.length;
  if ((halves.length === 1 && fill !== 0) || (halves.length === 2 && fill < 1)) return 0;
  const g = [...head, ...new Array<number>(halves.length === 2 ? fill : 0).fill(0), ...tail];
  for (let i = 0; i < 4; i++) out[i] = ((g[2 * i]! << 16) | g[2 * i + 1]!) >>> 0;
  return end;
}

/** try_eprt(): |1|132.235.1.2|6275| or |2|3ffe::1|6275| */
function tryEprt(d: Uint8Array, start: number, dlen: number, cmd: Cmd): number {
  if (dlen <= 3) return 0;
  const delim = d[start]!;
  if (isDigit(delim) || delim < 33 || delim > 126 || d[start + 2] !== delim) return 0;
  const proto = d[start + 1]!;
  if ((cmd.l3num === 2 && proto !== 49 /* 1 */) || (cmd.l3num === 10 && proto !== 50 /* 2 */)) return 0;
  let length: number;
  if (proto === 49) {
    length = tryNumber(d, start + 3, dlen - 3, nums, 4, 46 /* . */, delim);
    if (length !== 0) {
      cmd.addr[0] = ((nums[0]! << 24) | (nums[1]! << 16) | (nums[2]! << 8) | nums[3]!) >>> 0;
      cmd.addr[1] = cmd.addr[2] = cmd.addr[3] = 0;
    }
  } else {
    length = parseIpv6(d, start + 3, dlen - 3, delim, cmd.addr);
  }
  if (length === 0) return 0;
  return getPort(d, start, 3 + length + 1, dlen, delim, cmd);
}

/** try_epsv_response(): (|||6446|) — the address is the server's own. */
function tryEpsv(d: Uint8Array, start: number, dlen: number, cmd: Cmd): number {
  if (dlen <= 3) return 0;
  const delim = d[start]!;
  if (isDigit(delim) || delim < 33 || delim > 126 || d[start + 1] !== delim || d[start + 2] !== delim) return 0;
  return getPort(d, start, 3, dlen, delim, cmd);
}

/** search[dir][]: what each side may announce. */
const SEARCH: readonly (readonly Search[])[] = [
  [
    { pattern: 'PORT', skip: 32, term: 13, getnum: tryRfc959 },
    { pattern: 'EPRT', skip: 32, term: 13, getnum: (d, s, l, c) => tryEprt(d, s, l, c) },
  ],
  [
    { pattern: '227 ', skip: 0, term: 0, getnum: (d, s, l, c) => tryRfc1123(d, s, l, c) },
    { pattern: '229 ', skip: 40 /* ( */, term: 41 /* ) */, getnum: (d, s, l, c) => tryEpsv(d, s, l, c) },
  ],
];

function lower(c: number): number {
  return c >= 65 && c <= 90 ? c + 32 : c;
}

/** find_pattern(): 1 match, 0 no match, -1 partial (cut or unparsable). */
function findPattern(d: Uint8Array, start: number, dlen: number, s: Search, cmd: Cmd): number {
  const plen = s.pattern.length;
  const n = Math.min(dlen, plen);
  for (let i = 0; i < n; i++) if (lower(d[start + i]!) !== lower(s.pattern.charCodeAt(i))) return 0;
  if (dlen <= plen) return -1;
  let i = plen;
  if (s.skip !== 0) {
    for (; d[start + i] !== s.skip; i++) if (i === dlen - 1) return -1;
    i++;
  }
  return s.getnum(d, start + i, dlen - i, cmd, s.term) === 0 ? -1 : 1;
}

function before(a: number, b: number): boolean {
  return ((a - b) | 0) < 0;
}

const cmdScratch: Cmd = { l3num: 2, addr: new Uint32Array(4), port: 0 };

export function makeFtpHelper(loose = false): ConntrackHelper {
  return {
    name: 'ftp',
    protonum: IPPROTO_TCP,
    ports: [21],
    policies: [{ name: '', maxExpected: 1, timeoutSec: 300 }],
    createState: (): FtpState => ({ seqAftNl: new Uint32Array(4), seqAftNlNum: new Uint8Array(2), flags: new Uint8Array(2) }),
    help(ctx: HelperContext, conn: number, dir: number, established: boolean, st: object): number {
      if (!established) return NF_ACCEPT; // nothing before traffic both ways
      const s = st as FtpState;
      const m = ctx.meta;
      const l4 = m.l4Off;
      if (l4 + 20 > m.end) return NF_ACCEPT;
      const dataoff = l4 + (m.buf[l4 + 12]! >> 4) * 4;
      if (dataoff >= m.end) return NF_ACCEPT;
      const datalen = m.end - dataoff;
      const thSeq = m.dv.getUint32(l4 + 4);
      const endsInNl = m.buf[m.end - 1] === 10;
      const seq = (thSeq + datalen) >>> 0;
      let verdict = NF_ACCEPT;
      if (!findNlSeq(s, thSeq, dir) && !(s.flags[dir]! & NF_CT_FTP_SEQ_PICKUP)) {
        // Not at the start of a line: nothing to parse here.
      } else {
        s.flags[dir] = s.flags[dir]! & ~NF_CT_FTP_SEQ_PICKUP;
        const t = ctx.table;
        const l3num = (t.rec[t.origBase(conn) + 9]! >>> 8) & 0xff;
        const cmd = cmdScratch;
        cmd.l3num = l3num;
        const pair = t.pairOf(conn, pairScratch);
        const srcBase = dir * TUPLE_WORDS;
        for (let i = 0; i < 4; i++) cmd.addr[i] = pair[srcBase + i]!;
        cmd.port = 0;
        let found = 0;
        let which = 0;
        for (; which < SEARCH[dir]!.length; which++) {
          found = findPattern(m.buf, dataoff, datalen, SEARCH[dir]![which]!, cmd);
          if (found !== 0) break;
        }
        if (found === -1) {
          ctx.logDrop(`partial matching of \`${SEARCH[dir]![which]!.pattern}'`);
          return NF_DROP; // the newline bookkeeping is skipped too
        }
        if (found === 1) {
          const peer = (1 - dir) * TUPLE_WORDS;
          let sameSender = true;
          for (let i = 0; i < 4; i++) if (cmd.addr[i] !== pair[srcBase + i]) sameSender = false;
          // Another address than the sender's: only followed with loose=1.
          if (sameSender || loose) {
            const dstWords = sameSender ? pair : cmd.addr;
            const dstBase = sameSender ? peer + 4 : 0;
            const r = ctx.expect(conn, l3num, IPPROTO_TCP, pair, peer, dstWords, dstBase, cmd.port, 0);
            if (typeof r === 'string') {
              ctx.logDrop('cannot add expectation');
              verdict = NF_DROP;
            }
          }
        }
      }
      if (endsInNl) updateNlSeq(s, seq, dir);
      return verdict;
    },
  };
}

function findNlSeq(s: FtpState, seq: number, dir: number): boolean {
  for (let i = 0; i < s.seqAftNlNum[dir]!; i++) if (s.seqAftNl[dir * 2 + i] === seq) return true;
  return false;
}

/** update_nl_seq(): remember where the next line starts; keep the two newest. */
function updateNlSeq(s: FtpState, nlSeq: number, dir: number): void {
  const n = s.seqAftNlNum[dir]!;
  for (let i = 0; i < n; i++) if (s.seqAftNl[dir * 2 + i] === nlSeq) return;
  if (n < NUM_SEQ_TO_REMEMBER) {
    s.seqAftNl[dir * 2 + n] = nlSeq;
    s.seqAftNlNum[dir] = n + 1;
    return;
  }
  const oldest = before(s.seqAftNl[dir * 2]!, s.seqAftNl[dir * 2 + 1]!) ? 0 : 1;
  if (((nlSeq - s.seqAftNl[dir * 2 + oldest]!) | 0) > 0) s.seqAftNl[dir * 2 + oldest] = nlSeq;
}
