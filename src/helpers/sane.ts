/**
 * SANE: port of nf_conntrack_sane.c (Linux 6.18), the network scanner
 * protocol (saned, tcp/6566). The client's requests are 8 bytes, two
 * big-endian words: the RPC code and a handle. A request with code 7
 * (SANE_NET_START) makes the helper read the server's next reply: a
 * big-endian status word (0 = success), a 16-bit zero and the 16-bit data
 * port. A successful reply makes it expect the data connection from the
 * client to the server's address at that port (TCP, any source port). Only
 * established sessions are parsed; the request must be exactly 8 bytes of
 * payload and the reply at least 8. Registered for IPv4 and IPv6.
 */
import { NF_ACCEPT, NF_DROP, IPPROTO_TCP } from '../core/consts.js';
import type { ConntrackHelper, HelperContext } from './helper.js';

const SANE_NET_START = 7;
const SANE_STATUS_SUCCESS = 0;
/** struct sane_request and struct sane_reply_net_start are both 8 bytes. */
const REQUEST_SIZE = 8;
const REPLY_SIZE = 8;

const SANE_STATE_NORMAL = 0;
const SANE_STATE_START_REQUESTED = 1;

/** struct nf_ct_sane_master. */
interface SaneState {
  state: number;
}

export const saneHelper: ConntrackHelper = {
  name: 'sane',
  protonum: IPPROTO_TCP,
  ports: [6566],
  policies: [{ name: '', maxExpected: 1, timeoutSec: 5 * 60 }],
  createState: (): SaneState => ({ state: SANE_STATE_NORMAL }),
  help(ctx: HelperContext, conn: number, dir: number, established: boolean, st: object): number {
    if (!established) return NF_ACCEPT; // until there's been traffic both ways
    const s = st as SaneState;
    const m = ctx.meta;
    const l4 = m.l4Off;
    if (l4 + 20 > m.end) return NF_ACCEPT; // not a full TCP header
    const dataoff = l4 + (m.buf[l4 + 12]! >> 4) * 4;
    if (dataoff >= m.end) return NF_ACCEPT; // no data
    const datalen = m.end - dataoff;

    if (dir === 0) {
      // Anything but an exactly request-sized payload leaves the state alone.
      if (datalen !== REQUEST_SIZE) return NF_ACCEPT;
      s.state = m.dv.getUint32(dataoff) === SANE_NET_START ? SANE_STATE_START_REQUESTED : SANE_STATE_NORMAL;
      return NF_ACCEPT;
    }

    // Reply direction: only the reply that follows SANE_NET_START counts, and
    // only the first reply segment after it (good or not).
    if (s.state !== SANE_STATE_START_REQUESTED) return NF_ACCEPT;
    s.state = SANE_STATE_NORMAL;
    if (datalen < REPLY_SIZE) return NF_ACCEPT; // too short
    if (m.dv.getUint32(dataoff) !== SANE_STATUS_SUCCESS) return NF_ACCEPT; // saned refused
    if (m.dv.getUint16(dataoff + 4) !== 0) return NF_ACCEPT; // not a valid reply
    const port = m.dv.getUint16(dataoff + 6);

    const t = ctx.table;
    const orig = t.origBase(conn);
    const l3num = (t.rec[orig + 9]! >>> 8) & 0xff;
    // From the original source (client) to the original destination (server).
    const r = ctx.expect(conn, l3num, IPPROTO_TCP, t.rec, orig, t.rec, orig + 4, port, 0);
    if (typeof r === 'string') {
      ctx.logDrop('cannot add expectation');
      return NF_DROP;
    }
    return NF_ACCEPT;
  },
};
