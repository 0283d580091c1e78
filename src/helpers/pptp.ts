/**
 * PPTP: port of nf_conntrack_pptp.c (Linux 6.18), the control connection of
 * RFC 2637 VPNs (tcp/1723, IPv4 only). The helper assumes the PNS (client)
 * opened the control connection: messages in the original direction are the
 * PNS's (pptp_outbound_pkt), in the reply direction the PAC's
 * (pptp_inbound_pkt). It follows one control session (sstate) and one call
 * (cstate, with both call ids) per connection. When a call is set up (an
 * Outgoing-Call-Reply that connects, or an Incoming-Call-Connected) exp_gre()
 * expects the call's GRE both ways, each expectation exact (addresses and both
 * keys), and adds both directions to the GRE key map, so the call's GREv1
 * packets get their source key and join one entry (RELATED). The first GRE
 * entry withdraws the other direction's expectation (pptp_expectfn). A
 * Call-Disconnect-Notify, and the control connection's end, drop the key map
 * entries and kill the call's GRE entry or withdraw its expectations
 * (pptp_destroy_siblings). The helper never drops a packet: messages it can't
 * use (short, not a control message, out of sequence, unknown) are let through
 * and change nothing. Only the first message of a segment is read.
 *
 * A second call on the same connection while the first one's key map entries
 * are still there is refused by the key map (nf_ct_gre_keymap_add: -EEXIST) and
 * its expectations are withdrawn right away, as in the kernel.
 */
import { NF_ACCEPT, IPPROTO_GRE, IPPROTO_TCP } from '../core/consts.js';
import type { ConntrackHelper, HelperContext } from './helper.js';
import type { Expectation } from '../expect/expectations.js';
import type { GreKeymapEntry, GreKeymapOwner } from '../proto/gre.js';
import { TUPLE_WORDS, T_META, T_PORTS } from '../tuple/tuple.js';
import { invertTuple } from '../tuple/invert.js';

export const PPTP_CONTROL_PORT = 1723;
const PPTP_PACKET_CONTROL = 1;
const PPTP_MAGIC_COOKIE = 0x1a2b3c4d;

// PptpControlMessageType
export const PPTP_START_SESSION_REQUEST = 1;
export const PPTP_START_SESSION_REPLY = 2;
export const PPTP_STOP_SESSION_REQUEST = 3;
export const PPTP_STOP_SESSION_REPLY = 4;
export const PPTP_ECHO_REQUEST = 5;
export const PPTP_ECHO_REPLY = 6;
export const PPTP_OUT_CALL_REQUEST = 7;
export const PPTP_OUT_CALL_REPLY = 8;
export const PPTP_IN_CALL_REQUEST = 9;
export const PPTP_IN_CALL_REPLY = 10;
export const PPTP_IN_CALL_CONNECT = 11;
export const PPTP_CALL_CLEAR_REQUEST = 12;
export const PPTP_CALL_DISCONNECT_NOTIFY = 13;
export const PPTP_WAN_ERROR_NOTIFY = 14;
export const PPTP_SET_LINK_INFO = 15;
const PPTP_MSG_MAX = 15;

// Result codes that mean success
const PPTP_START_OK = 1;
const PPTP_STOP_OK = 1;
const PPTP_OUTCALL_CONNECT = 1;
const PPTP_INCALL_ACCEPT = 1;

// enum pptp_ctrlsess_state
export const PPTP_SESSION_NONE = 0;
export const PPTP_SESSION_ERROR = 1;
export const PPTP_SESSION_STOPREQ = 2;
export const PPTP_SESSION_REQUESTED = 3;
export const PPTP_SESSION_CONFIRMED = 4;

// enum pptp_ctrlcall_state
export const PPTP_CALL_NONE = 0;
export const PPTP_CALL_ERROR = 1;
export const PPTP_CALL_OUT_REQ = 2;
export const PPTP_CALL_OUT_CONF = 3;
export const PPTP_CALL_IN_REQ = 4;
export const PPTP_CALL_IN_REP = 5;
export const PPTP_CALL_IN_CONF = 6;
export const PPTP_CALL_CLEAR_REQ = 7;

/**
 * pptp_msg_size[]: the body (after the 8-byte PPTP header and the 4-byte control
 * header) each message type must at least have to be read; 0 for the echo
 * messages, which are not checked.
 */
const PPTP_MSG_SIZE: readonly number[] = [
  0,
  144, // Start-Control-Connection-Request
  144, // Start-Control-Connection-Reply
  4, // Stop-Control-Connection-Request
  4, // Stop-Control-Connection-Reply
  0, 0, // Echo-Request, Echo-Reply
  156, // Outgoing-Call-Request
  20, // Outgoing-Call-Reply
  208, // Incoming-Call-Request
  12, // Incoming-Call-Reply
  16, // Incoming-Call-Connected
  4, // Call-Clear-Request
  136, // Call-Disconnect-Notify
  28, // WAN-Error-Notify
  12, // Set-Link-Info
];

/** The GRE timeouts pptp_expectfn gives an expected GRE entry (s); the GRE tracker resets them right after. */
export const PPTP_GRE_TIMEOUT = 10 * 60;
export const PPTP_GRE_STREAM_TIMEOUT = 5 * 60 * 60;

/** struct nf_ct_pptp_master: the control connection's helper data. */
export interface PptpMaster extends GreKeymapOwner {
  sstate: number;
  cstate: number;
  pac_call_id: number;
  pns_call_id: number;
  readonly keymap: [GreKeymapEntry | null, GreKeymapEntry | null];
}

/** The connection's tuples while expectations and sibling tuples are built from them. */
const pairScratch = new Uint32Array(2 * TUPLE_WORDS);
const siblingScratch = new Uint32Array(TUPLE_WORDS);
const invScratch = new Uint32Array(TUPLE_WORDS);

/**
 * The "invalid" path of both parsers: a message out of sequence changes nothing
 * and the packet passes (the kernel says why only in pr_debug() lines).
 */
const INVALID = NF_ACCEPT;

/**
 * pptp_expectfn(): an expected GRE entry was created. Its timeouts are raised
 * (the GRE tracker sets the sysctls over them on the same packet, as 6.18
 * does), and the expectation of the other direction, now useless, is withdrawn.
 */
function pptpExpectfn(ctx: HelperContext, conn: number, exp: Expectation): void {
  const t = ctx.table;
  const b = t.pwBase(conn);
  t.pw[b] = PPTP_GRE_TIMEOUT;
  t.pw[b + 1] = PPTP_GRE_STREAM_TIMEOUT;
  // The other direction's expectation is for the inverse of this one's tuple (without NAT).
  invertTuple(invScratch, 0, exp.tuple, 0);
  const other = ctx.findExpectation(invScratch, 0);
  if (other !== null) ctx.unexpect(other);
}

/**
 * destroy_sibling_or_exp(): the GRE entry holding tuple `t` is killed, or else
 * the expectation it matches is withdrawn (neither found: nothing happens; the
 * kernel only says so in pr_debug()).
 */
function destroySiblingOrExp(ctx: HelperContext, t: Uint32Array): void {
  const sibling = ctx.findConn(t, 0);
  if (sibling >= 0) {
    const tb = ctx.table;
    const b = tb.pwBase(sibling);
    tb.pw[b] = 0;
    tb.pw[b + 1] = 0;
    ctx.kill(sibling);
    return;
  }
  const exp = ctx.findExpectation(t, 0);
  if (exp !== null) ctx.unexpect(exp);
}

/** pptp_destroy_siblings(): the call's key map entries, then its GRE entry or expectations, PNS->PAC then PAC->PNS. */
function pptpDestroySiblings(ctx: HelperContext, conn: number, info: PptpMaster): void {
  ctx.keymap.destroy(info);
  const pair = ctx.table.pairOf(conn, pairScratch);
  const t = siblingScratch;
  for (let dir = 0; dir < 2; dir++) {
    const base = dir * TUPLE_WORDS;
    for (let i = 0; i < 8; i++) t[i] = pair[base + i]!;
    const src = dir === 0 ? info.pns_call_id : info.pac_call_id;
    const dst = dir === 0 ? info.pac_call_id : info.pns_call_id;
    t[T_PORTS] = ((src << 16) | dst) >>> 0;
    t[T_META] = ((pair[base + T_META]! & ~0xff) | IPPROTO_GRE) >>> 0;
    destroySiblingOrExp(ctx, t);
  }
}

/**
 * exp_gre(): expect the call's GRE, PNS->PAC with keys peer_callid -> callid and
 * PAC->PNS with callid -> peer_callid, and add both to the key map. Any failure
 * undoes what was done. True on success.
 */
function expGre(ctx: HelperContext, conn: number, info: PptpMaster, callid: number, peerCallid: number): boolean {
  const pair = ctx.table.pairOf(conn, pairScratch);
  const l3num = (pair[T_META]! >>> 8) & 0xff;
  const R = TUPLE_WORDS;
  const expOrig = ctx.expect(conn, l3num, IPPROTO_GRE, pair, 0, pair, 4, callid, 0, peerCallid);
  if (typeof expOrig === 'string') return false;
  expOrig.expectfn = (c, e) => pptpExpectfn(ctx, c, e);
  const expReply = ctx.expect(conn, l3num, IPPROTO_GRE, pair, R, pair, R + 4, peerCallid, 0, callid);
  if (typeof expReply === 'string') {
    ctx.unexpect(expOrig);
    return false;
  }
  expReply.expectfn = (c, e) => pptpExpectfn(ctx, c, e);
  const km = ctx.keymap;
  let ok = km.add(info, 0, expOrig.tuple, 0);
  if (ok && !km.add(info, 1, expReply.tuple, 0)) {
    // A refusal for the reply direction takes both of the master's entries with it.
    km.destroy(info);
    ok = false;
  }
  if (!ok) {
    ctx.unexpect(expReply);
    ctx.unexpect(expOrig);
  }
  return ok;
}

/** pptp_outbound_pkt(): a message from the PNS (original direction). `req` is the offset of its body. */
function pptp_outbound_pkt(ctx: HelperContext, info: PptpMaster, msg: number, req: number): number {
  const dv = ctx.meta.dv;
  switch (msg) {
    case PPTP_START_SESSION_REQUEST:
      if (info.sstate !== PPTP_SESSION_NONE) return INVALID;
      info.sstate = PPTP_SESSION_REQUESTED;
      break;
    case PPTP_STOP_SESSION_REQUEST:
      info.sstate = PPTP_SESSION_STOPREQ;
      break;
    case PPTP_OUT_CALL_REQUEST:
      if (info.sstate !== PPTP_SESSION_CONFIRMED) return INVALID;
      info.cstate = PPTP_CALL_OUT_REQ;
      info.pns_call_id = dv.getUint16(req);
      break;
    case PPTP_IN_CALL_REPLY:
      if (info.cstate !== PPTP_CALL_IN_REQ && info.cstate !== PPTP_CALL_IN_REP) return INVALID;
      if (info.pac_call_id !== dv.getUint16(req + 2)) return INVALID; // the peer's call id
      if (ctx.meta.buf[req + 4] === PPTP_INCALL_ACCEPT) {
        info.cstate = PPTP_CALL_IN_REP;
        info.pns_call_id = dv.getUint16(req);
      } else {
        info.cstate = PPTP_CALL_NONE;
      }
      break;
    case PPTP_CALL_CLEAR_REQUEST:
      if (info.sstate !== PPTP_SESSION_CONFIRMED) return INVALID;
      // Only one call is followed: whichever call id it names, that one is clearing.
      info.cstate = PPTP_CALL_CLEAR_REQ;
      break;
    case PPTP_SET_LINK_INFO:
    case PPTP_ECHO_REQUEST:
    case PPTP_ECHO_REPLY:
      break;
    default:
      return INVALID;
  }
  return NF_ACCEPT;
}

/** pptp_inbound_pkt(): a message from the PAC (reply direction). */
function pptp_inbound_pkt(ctx: HelperContext, conn: number, info: PptpMaster, msg: number, req: number): number {
  const dv = ctx.meta.dv;
  const buf = ctx.meta.buf;
  switch (msg) {
    case PPTP_START_SESSION_REPLY:
      if (info.sstate < PPTP_SESSION_REQUESTED) return INVALID;
      info.sstate = buf[req + 2] === PPTP_START_OK ? PPTP_SESSION_CONFIRMED : PPTP_SESSION_ERROR;
      break;
    case PPTP_STOP_SESSION_REPLY:
      if (info.sstate > PPTP_SESSION_STOPREQ) return INVALID;
      info.sstate = buf[req] === PPTP_STOP_OK ? PPTP_SESSION_NONE : PPTP_SESSION_ERROR;
      break;
    case PPTP_OUT_CALL_REPLY: {
      if (info.sstate !== PPTP_SESSION_CONFIRMED) return INVALID;
      if (info.cstate !== PPTP_CALL_OUT_REQ && info.cstate !== PPTP_CALL_OUT_CONF) return INVALID;
      const cid = dv.getUint16(req);
      const pcid = dv.getUint16(req + 2);
      if (info.pns_call_id !== pcid) return INVALID;
      if (buf[req + 4] === PPTP_OUTCALL_CONNECT) {
        info.cstate = PPTP_CALL_OUT_CONF;
        info.pac_call_id = cid;
        expGre(ctx, conn, info, cid, pcid);
      } else {
        info.cstate = PPTP_CALL_NONE;
      }
      break;
    }
    case PPTP_IN_CALL_REQUEST:
      if (info.sstate !== PPTP_SESSION_CONFIRMED) return INVALID;
      info.cstate = PPTP_CALL_IN_REQ;
      info.pac_call_id = dv.getUint16(req);
      break;
    case PPTP_IN_CALL_CONNECT:
      if (info.sstate !== PPTP_SESSION_CONFIRMED) return INVALID;
      if (info.cstate !== PPTP_CALL_IN_REP && info.cstate !== PPTP_CALL_IN_CONF) return INVALID;
      if (info.pns_call_id !== dv.getUint16(req)) return INVALID; // the peer's call id
      info.cstate = PPTP_CALL_IN_CONF;
      expGre(ctx, conn, info, info.pac_call_id, info.pns_call_id);
      break;
    case PPTP_CALL_DISCONNECT_NOTIFY:
      info.cstate = PPTP_CALL_NONE;
      pptpDestroySiblings(ctx, conn, info);
      break;
    case PPTP_WAN_ERROR_NOTIFY:
    case PPTP_SET_LINK_INFO:
    case PPTP_ECHO_REQUEST:
    case PPTP_ECHO_REPLY:
      break;
    default:
      return INVALID;
  }
  return NF_ACCEPT;
}

export const pptpHelper: ConntrackHelper = {
  name: 'pptp',
  protonum: IPPROTO_TCP,
  ports: [PPTP_CONTROL_PORT],
  families: [4],
  policies: [{ name: '', maxExpected: 2, timeoutSec: 300 }],
  createState: (): PptpMaster => ({
    sstate: PPTP_SESSION_NONE, cstate: PPTP_CALL_NONE, pac_call_id: 0, pns_call_id: 0, keymap: [null, null],
  }),
  /** conntrack_pptp_help() */
  help(ctx: HelperContext, conn: number, dir: number, established: boolean, st: object): number {
    if (!established) return NF_ACCEPT; // nothing before the TCP handshake is complete
    const m = ctx.meta;
    const l4 = m.l4Off;
    if (l4 + 20 > m.end) return NF_ACCEPT;
    let off = l4 + (m.buf[l4 + 12]! >> 4) * 4;
    // struct pptp_pkt_hdr: length, packet type, magic cookie
    if (off + 8 > m.end) return NF_ACCEPT; // no full PPTP header
    if (m.dv.getUint16(off + 2) !== PPTP_PACKET_CONTROL || m.dv.getUint32(off + 4) !== PPTP_MAGIC_COOKIE) return NF_ACCEPT;
    off += 8;
    // struct PptpControlHeader: message type, reserved
    if (off + 4 > m.end) return NF_ACCEPT;
    const msg = m.dv.getUint16(off);
    off += 4;
    const reqlen = m.end - off;
    if (msg > 0 && msg <= PPTP_MSG_MAX && reqlen < PPTP_MSG_SIZE[msg]!) return NF_ACCEPT;
    const info = st as PptpMaster;
    // The control connection is taken to go PNS -> PAC (RFC 2637 allows either).
    return dir === 0 ? pptp_outbound_pkt(ctx, info, msg, off) : pptp_inbound_pkt(ctx, conn, info, msg, off);
  },
  destroy(ctx: HelperContext, conn: number, st: object): void {
    pptpDestroySiblings(ctx, conn, st as PptpMaster);
  },
};
