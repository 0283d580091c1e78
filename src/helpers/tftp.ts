/**
 * TFTP: port of nf_conntrack_tftp.c (Linux 6.18). A read or write request
 * (opcode 1 or 2) makes the helper expect the transfer: from the server's
 * address, any port (the server answers from a new one), to the client's
 * address and port. Runs on every packet, the request itself included.
 */
import { NF_ACCEPT, NF_DROP, IPPROTO_UDP } from '../core/consts.js';
import type { ConntrackHelper, HelperContext } from './helper.js';
import { TUPLE_WORDS, T_META, T_PORTS } from '../tuple/tuple.js';

/** The connection's tuples while an expectation is built from them. */
const pairScratch = new Uint32Array(2 * TUPLE_WORDS);

const TFTP_OPCODE_READ = 1;
const TFTP_OPCODE_WRITE = 2;

export const tftpHelper: ConntrackHelper = {
  name: 'tftp',
  protonum: IPPROTO_UDP,
  ports: [69],
  policies: [{ name: '', maxExpected: 1, timeoutSec: 300 }],
  createState: () => ({}),
  help(ctx: HelperContext, conn: number): number {
    const m = ctx.meta;
    const op = m.l4Off + 8;
    if (op + 2 > m.end) return NF_ACCEPT;
    const opcode = m.dv.getUint16(op);
    if (opcode !== TFTP_OPCODE_READ && opcode !== TFTP_OPCODE_WRITE) return NF_ACCEPT;
    const t = ctx.table;
    const pair = t.pairOf(conn, pairScratch);
    const reply = TUPLE_WORDS;
    const l3num = (pair[reply + T_META]! >>> 8) & 0xff;
    const dport = pair[reply + T_PORTS]! & 0xffff;
    const r = ctx.expect(conn, l3num, IPPROTO_UDP, pair, reply, pair, reply + 4, dport, 0);
    if (typeof r === 'string') {
      ctx.logDrop('cannot add expectation');
      return NF_DROP;
    }
    return NF_ACCEPT;
  },
};
