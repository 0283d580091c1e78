/**
 * SCTP association states and the transition table of
 * nf_conntrack_proto_sctp.c (Linux 6.18): sctp_conntracks[dir][chunk][state].
 *
 * These are states of the association as a middlebox sees it, not of an
 * endpoint: COOKIE_WAIT once the INIT_ACK is seen, COOKIE_ECHOED after the
 * COOKIE_ECHO, ESTABLISHED on the COOKIE_ACK, SHUTDOWN_SENT/RECD when a SHUTDOWN
 * goes original/reply, SHUTDOWN_ACK_SENT for the answer, CLOSED after the
 * SHUTDOWN_COMPLETE (or an ABORT), HEARTBEAT_SENT for a flow first seen through a
 * HEARTBEAT (a secondary path of a multi-homed association).
 */
export const SCTP_CONNTRACK_NONE = 0;
export const SCTP_CONNTRACK_CLOSED = 1;
export const SCTP_CONNTRACK_COOKIE_WAIT = 2;
export const SCTP_CONNTRACK_COOKIE_ECHOED = 3;
export const SCTP_CONNTRACK_ESTABLISHED = 4;
export const SCTP_CONNTRACK_SHUTDOWN_SENT = 5;
export const SCTP_CONNTRACK_SHUTDOWN_RECD = 6;
export const SCTP_CONNTRACK_SHUTDOWN_ACK_SENT = 7;
export const SCTP_CONNTRACK_HEARTBEAT_SENT = 8;
export const SCTP_CONNTRACK_MAX = 9;

export const SCTP_CONNTRACK_NAMES = [
  'NONE', 'CLOSED', 'COOKIE_WAIT', 'COOKIE_ECHOED', 'ESTABLISHED', 'SHUTDOWN_SENT', 'SHUTDOWN_RECD',
  'SHUTDOWN_ACK_SENT', 'HEARTBEAT_SENT',
] as const;

/** Chunk types (SCTP_CID_*). */
export const SCTP_CID_DATA = 0;
export const SCTP_CID_INIT = 1;
export const SCTP_CID_INIT_ACK = 2;
export const SCTP_CID_HEARTBEAT = 4;
export const SCTP_CID_HEARTBEAT_ACK = 5;
export const SCTP_CID_ABORT = 6;
export const SCTP_CID_SHUTDOWN = 7;
export const SCTP_CID_SHUTDOWN_ACK = 8;
export const SCTP_CID_ERROR = 9;
export const SCTP_CID_COOKIE_ECHO = 10;
export const SCTP_CID_COOKIE_ACK = 11;
export const SCTP_CID_SHUTDOWN_COMPLETE = 14;

/** Row of each chunk type in the table (sctp_new_state), -1: the chunk doesn't change the state. */
export const SCTP_CHUNK_ROW: Int8Array = (() => {
  const r = new Int8Array(256).fill(-1);
  const order = [SCTP_CID_INIT, SCTP_CID_INIT_ACK, SCTP_CID_ABORT, SCTP_CID_SHUTDOWN, SCTP_CID_SHUTDOWN_ACK,
    SCTP_CID_ERROR, SCTP_CID_COOKIE_ECHO, SCTP_CID_COOKIE_ACK, SCTP_CID_SHUTDOWN_COMPLETE, SCTP_CID_HEARTBEAT,
    SCTP_CID_HEARTBEAT_ACK];
  order.forEach((cid, row) => (r[cid] = row));
  return r;
})();

const sCL = SCTP_CONNTRACK_CLOSED;
const sCW = SCTP_CONNTRACK_COOKIE_WAIT;
const sCE = SCTP_CONNTRACK_COOKIE_ECHOED;
const sES = SCTP_CONNTRACK_ESTABLISHED;
const sSS = SCTP_CONNTRACK_SHUTDOWN_SENT;
const sSR = SCTP_CONNTRACK_SHUTDOWN_RECD;
const sSA = SCTP_CONNTRACK_SHUTDOWN_ACK_SENT;
const sHS = SCTP_CONNTRACK_HEARTBEAT_SENT;
const sIV = SCTP_CONNTRACK_MAX;

/** sctp_conntracks[dir][row][state], flattened: [(dir * 11 + row) * 9 + state]. */
export const SCTP_CONNTRACKS: Uint8Array = Uint8Array.from([
  // ORIGINAL     sNO  sCL  sCW  sCE  sES  sSS  sSR  sSA  sHS
  /* init     */ sCL, sCL, sCW, sCE, sES, sCL, sCL, sSA, sCW,
  /* init_ack */ sCL, sCL, sCW, sCE, sES, sSS, sSR, sSA, sCL,
  /* abort    */ sCL, sCL, sCL, sCL, sCL, sCL, sCL, sCL, sCL,
  /* shutdown */ sCL, sCL, sCW, sCE, sSS, sSS, sSR, sSA, sCL,
  /* shut_ack */ sSA, sCL, sCW, sCE, sES, sSA, sSA, sSA, sSA,
  /* error    */ sCL, sCL, sCW, sCE, sES, sSS, sSR, sSA, sCL, // no stale-cookie handling
  /* ck_echo  */ sCL, sCL, sCE, sCE, sES, sSS, sSR, sSA, sCL, // RFC 2960 5.2.4 not modelled
  /* ck_ack   */ sCL, sCL, sCW, sES, sES, sSS, sSR, sSA, sCL, // not expected from the original side
  /* shut_comp*/ sCL, sCL, sCW, sCE, sES, sSS, sSR, sCL, sCL,
  /* hb       */ sHS, sCL, sCW, sCE, sES, sSS, sSR, sSA, sHS,
  /* hb_ack   */ sCL, sCL, sCW, sCE, sES, sSS, sSR, sSA, sHS,
  // REPLY        sNO  sCL  sCW  sCE  sES  sSS  sSR  sSA  sHS
  /* init     */ sIV, sCL, sCW, sCE, sES, sSS, sSR, sSA, sIV, // an INIT from the reply side in CLOSED is not handled
  /* init_ack */ sIV, sCW, sCW, sCE, sES, sSS, sSR, sSA, sIV,
  /* abort    */ sIV, sCL, sCL, sCL, sCL, sCL, sCL, sCL, sIV,
  /* shutdown */ sIV, sCL, sCW, sCE, sSR, sSS, sSR, sSA, sIV,
  /* shut_ack */ sIV, sCL, sCW, sCE, sES, sSA, sSA, sSA, sIV,
  /* error    */ sIV, sCL, sCW, sCL, sES, sSS, sSR, sSA, sIV,
  /* ck_echo  */ sIV, sCL, sCE, sCE, sES, sSS, sSR, sSA, sIV, // not expected from the reply side
  /* ck_ack   */ sIV, sCL, sCW, sES, sES, sSS, sSR, sSA, sIV,
  /* shut_comp*/ sIV, sCL, sCW, sCE, sES, sSS, sSR, sCL, sIV,
  /* hb       */ sIV, sCL, sCW, sCE, sES, sSS, sSR, sSA, sHS,
  /* hb_ack   */ sIV, sCL, sCW, sCE, sES, sSS, sSR, sSA, sES,
]);

/** sctp_new_state(): chunks without a row (DATA, SACK …) keep the state. */
export function sctpNewState(dir: number, state: number, chunkType: number): number {
  const row = SCTP_CHUNK_ROW[chunkType]!;
  if (row < 0) return state;
  return SCTP_CONNTRACKS[(dir * 11 + row) * 9 + state]!;
}

/** sctp_can_early_drop() */
export function sctpCanEarlyDrop(state: number): boolean {
  return state === SCTP_CONNTRACK_SHUTDOWN_SENT || state === SCTP_CONNTRACK_SHUTDOWN_RECD ||
    state === SCTP_CONNTRACK_SHUTDOWN_ACK_SENT;
}
