/**
 * TCP connection states and the transition table of nf_conntrack_proto_tcp.c
 * (Linux 6.18), ported as a table: tcp_conntracks[dir][flag class][old state].
 *
 * Conntrack sits in the middle. It sees every packet but cannot know whether a
 * packet reached its destination, so it assumes the endpoints only react to
 * segments it saw, and it always tracks the state of the sender of the current
 * packet. Two pseudo-states complete the table:
 *   sIG (ignore):  the packet may be legitimate or not; let it pass without
 *                  changing state, and resynchronise if the peer answers it;
 *   sIV (invalid): the packet makes no sense in this state.
 */

export const TCP_CONNTRACK_NONE = 0;
export const TCP_CONNTRACK_SYN_SENT = 1;
export const TCP_CONNTRACK_SYN_RECV = 2;
export const TCP_CONNTRACK_ESTABLISHED = 3;
export const TCP_CONNTRACK_FIN_WAIT = 4;
export const TCP_CONNTRACK_CLOSE_WAIT = 5;
export const TCP_CONNTRACK_LAST_ACK = 6;
export const TCP_CONNTRACK_TIME_WAIT = 7;
export const TCP_CONNTRACK_CLOSE = 8;
/** Was LISTEN in 2.4; now the reply side's SYN in a simultaneous open. */
export const TCP_CONNTRACK_SYN_SENT2 = 9;
export const TCP_CONNTRACK_MAX = 10;
export const TCP_CONNTRACK_IGNORE = 11;
/** Timeout-only slots (no packet is ever "in" them). */
export const TCP_CONNTRACK_RETRANS = 12;
export const TCP_CONNTRACK_UNACK = 13;

/** tcp_conntrack_names[]: the one source of printed state names. */
export const TCP_CONNTRACK_NAMES = [
  'NONE', 'SYN_SENT', 'SYN_RECV', 'ESTABLISHED', 'FIN_WAIT', 'CLOSE_WAIT', 'LAST_ACK', 'TIME_WAIT',
  'CLOSE', 'SYN_SENT2',
] as const;

/** enum tcp_bit_set: the packet's flags reduced to one class (get_conntrack_index). */
export const TCP_SYN_SET = 0;
export const TCP_SYNACK_SET = 1;
export const TCP_FIN_SET = 2;
export const TCP_ACK_SET = 3;
export const TCP_RST_SET = 4;
export const TCP_NONE_SET = 5;

export const TCPHDR_FIN = 0x01;
export const TCPHDR_SYN = 0x02;
export const TCPHDR_RST = 0x04;
export const TCPHDR_PSH = 0x08;
export const TCPHDR_ACK = 0x10;
export const TCPHDR_URG = 0x20;
export const TCPHDR_ECE = 0x40;
export const TCPHDR_CWR = 0x80;

/** RST wins over SYN, SYN over FIN, FIN over ACK (get_conntrack_index). */
export function getConntrackIndex(flags: number): number {
  if (flags & TCPHDR_RST) return TCP_RST_SET;
  if (flags & TCPHDR_SYN) return flags & TCPHDR_ACK ? TCP_SYNACK_SET : TCP_SYN_SET;
  if (flags & TCPHDR_FIN) return TCP_FIN_SET;
  if (flags & TCPHDR_ACK) return TCP_ACK_SET;
  return TCP_NONE_SET;
}

/**
 * tcp_valid_flags[]: the flag combinations (PSH, ECE and CWR masked off) a
 * packet may carry at all; anything else is "invalid tcp flag combination".
 */
export const TCP_VALID_FLAGS: Uint8Array = (() => {
  const t = new Uint8Array((TCPHDR_FIN | TCPHDR_SYN | TCPHDR_RST | TCPHDR_ACK | TCPHDR_URG) + 1);
  for (const f of [
    TCPHDR_SYN, TCPHDR_SYN | TCPHDR_URG, TCPHDR_SYN | TCPHDR_ACK, TCPHDR_RST, TCPHDR_RST | TCPHDR_ACK,
    TCPHDR_FIN | TCPHDR_ACK, TCPHDR_FIN | TCPHDR_ACK | TCPHDR_URG, TCPHDR_ACK, TCPHDR_ACK | TCPHDR_URG,
  ]) t[f] = 1;
  return t;
})();

const sSS = TCP_CONNTRACK_SYN_SENT;
const sSR = TCP_CONNTRACK_SYN_RECV;
const sES = TCP_CONNTRACK_ESTABLISHED;
const sFW = TCP_CONNTRACK_FIN_WAIT;
const sCW = TCP_CONNTRACK_CLOSE_WAIT;
const sLA = TCP_CONNTRACK_LAST_ACK;
const sTW = TCP_CONNTRACK_TIME_WAIT;
const sCL = TCP_CONNTRACK_CLOSE;
const sS2 = TCP_CONNTRACK_SYN_SENT2;
const sIV = TCP_CONNTRACK_MAX;
const sIG = TCP_CONNTRACK_IGNORE;

/** tcp_conntracks[dir][index][old_state], flattened: [(dir * 6 + index) * 10 + old]. */
export const TCP_CONNTRACKS: Uint8Array = Uint8Array.from([
  // ORIGINAL direction (the side that sent the first packet)
  //         sNO  sSS  sSR  sES  sFW  sCW  sLA  sTW  sCL  sS2
  /*syn*/    sSS, sSS, sIG, sIG, sIG, sIG, sIG, sSS, sSS, sS2,
  //  NO -> SS  a new connection starts
  //  SS -> SS  the SYN is retransmitted
  //  S2 -> S2  a late retransmission of the SYN during simultaneous open
  //  SR, ES, FW, CW, LA -> IG  a SYN in a synchronised connection: either the
  //            client restarted (the server will answer with a challenge ACK or
  //            RST) or conntrack lost track; let it through and watch the answer
  //  TW, CL -> SS  the connection is reopened (RFC 1122 allows reuse from TIME_WAIT)
  //         sNO  sSS  sSR  sES  sFW  sCW  sLA  sTW  sCL  sS2
  /*synack*/ sIV, sIV, sSR, sIV, sIV, sIV, sIV, sIV, sIV, sSR,
  //  NO -> IV  a SYN/ACK cannot open a connection: too late to make sense of it
  //  SS -> IV  the client sent a SYN, it cannot also send the SYN/ACK
  //  S2 -> SR  simultaneous open: our SYN/ACK answers the peer's SYN
  //  SR -> SR  a late retransmitted SYN/ACK of a simultaneous open
  //  ES, FW, CW, LA, TW, CL -> IV  a client does not send SYN/ACKs later on
  //         sNO  sSS  sSR  sES  sFW  sCW  sLA  sTW  sCL  sS2
  /*fin*/    sIV, sIV, sFW, sFW, sLA, sLA, sLA, sTW, sCL, sIV,
  //  NO -> IV  nothing to close
  //  SS -> IV  the client must wait for the SYN/ACK before closing
  //  S2 -> IV
  //  SR, ES -> FW  the close starts
  //  FW, CW -> LA  both sides have sent FIN; only the last ACK is missing
  //            (in FW it may also be a retransmitted FIN)
  //  LA -> LA  a retransmitted FIN
  //  TW -> TW, CL -> CL  closing states absorb late FINs
  //         sNO  sSS  sSR  sES  sFW  sCW  sLA  sTW  sCL  sS2
  /*ack*/    sES, sIV, sES, sES, sCW, sCW, sTW, sTW, sCL, sIV,
  //  NO -> ES  an ACK first: a connection picked up in the middle (tcp_loose)
  //  SS -> IV  the client cannot ACK before it has seen a SYN/ACK
  //  S2 -> IV
  //  SR -> ES  the handshake completes
  //  ES -> ES  data
  //  FW, CW -> CW  the peer acknowledged our FIN
  //  LA -> TW  the ACK of the last FIN (unless it is a challenge ACK, see tcp.ts)
  //  TW -> TW  a retransmitted last ACK
  //  CL -> CL
  //         sNO  sSS  sSR  sES  sFW  sCW  sLA  sTW  sCL  sS2
  /*rst*/    sIV, sCL, sCL, sCL, sCL, sCL, sCL, sCL, sCL, sCL,
  //  a RST closes anything that exists (its sequence number is checked in tcp.ts)
  /*none*/   sIV, sIV, sIV, sIV, sIV, sIV, sIV, sIV, sIV, sIV,
  //  a segment without SYN, FIN, ACK or RST is never valid

  // REPLY direction (the side that received the first packet)
  //         sNO  sSS  sSR  sES  sFW  sCW  sLA  sTW  sCL  sS2
  /*syn*/    sIV, sS2, sIV, sIV, sIV, sIV, sIV, sSS, sIV, sS2,
  //  NO -> IV  cannot happen: a reply needs an entry
  //  SS -> S2  simultaneous open: both sides sent a SYN
  //  S2 -> S2  the simultaneous SYN is retransmitted
  //  SR, ES, FW, CW, LA -> IV  the server does not send SYNs in these states
  //  TW -> SS  reopened from TIME_WAIT, the old server now acting as client
  //  CL -> IV
  //         sNO  sSS  sSR  sES  sFW  sCW  sLA  sTW  sCL  sS2
  /*synack*/ sIV, sSR, sIG, sIG, sIG, sIG, sIG, sIG, sIG, sSR,
  //  SS -> SR  the normal answer to a SYN
  //  S2 -> SR  simultaneous open
  //  SR -> IG  a retransmitted SYN/ACK
  //  ES -> IG  a late retransmitted SYN/ACK
  //  FW, CW, LA, TW, CL -> IG  may answer a SYN conntrack ignored: resync if so
  //         sNO  sSS  sSR  sES  sFW  sCW  sLA  sTW  sCL  sS2
  /*fin*/    sIV, sIV, sFW, sFW, sLA, sLA, sLA, sTW, sCL, sIV,
  //  SS -> IV  the server cannot close before answering the SYN
  //  S2 -> IV
  //  SR, ES -> FW  the close starts
  //  FW, CW -> LA  FIN seen both ways
  //  LA -> LA  a retransmitted FIN
  //  TW -> TW, CL -> CL
  //         sNO  sSS  sSR  sES  sFW  sCW  sLA  sTW  sCL  sS2
  /*ack*/    sIV, sIG, sSR, sES, sCW, sCW, sTW, sTW, sCL, sIG,
  //  SS -> IG  an ACK answering a SYN: a half-open connection or a challenge ACK
  //  S2 -> IG
  //  SR -> SR  may answer a late retransmitted SYN
  //  ES -> ES  data
  //  FW, CW -> CW  our FIN was acknowledged
  //  LA -> TW  the ACK of the last FIN (unless it is a challenge ACK)
  //  TW -> TW  a retransmitted last ACK
  //  CL -> CL
  //         sNO  sSS  sSR  sES  sFW  sCW  sLA  sTW  sCL  sS2
  /*rst*/    sIV, sCL, sCL, sCL, sCL, sCL, sCL, sCL, sCL, sCL,
  /*none*/   sIV, sIV, sIV, sIV, sIV, sIV, sIV, sIV, sIV, sIV,
]);

export function tcpConntracks(dir: number, index: number, oldState: number): number {
  return TCP_CONNTRACKS[(dir * 6 + index) * 10 + oldState]!;
}
