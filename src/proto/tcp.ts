/**
 * TCP tracking: port of nf_conntrack_proto_tcp.c (Linux 6.18) — tcp_error(),
 * tcp_new(), nf_conntrack_tcp_packet() with its exceptions to the state table,
 * and tcp_in_window() (Guido van Rooij's "Real Stateful TCP Packet Filtering in
 * IP Filter", with RFC 793's rule that a segment need only intersect the window).
 *
 * Per-entry state lives in 14 of the table's protocol words (struct ip_ct_tcp),
 * packed to keep a tracked connection within its memory budget:
 *   seen[d] at d*4: td_end, td_maxend, td_maxwin, td_maxack
 *   8 both directions' td_scale | flags << 8, direction d's at bit d*16 (scaleOf(), flagsOf())
 *   9 last_seq, 10 last_ack, 11 last_end, 12 last_win | retrans << 16,
 *   13 last_index | last_dir << 8 | last_wscale << 16 | last_flags << 24
 */
import {
  IP_CT_DIR_ORIGINAL, IP_CT_DIR_REPLY, IPS_ASSURED, IPS_FIXED_TIMEOUT, IPS_SEEN_REPLY, IPCT_ASSURED,
  IPCT_PROTOINFO, NF_ACCEPT, NF_REPEAT, IPPROTO_TCP, HZ,
} from '../core/consts.js';
import {
  R_BAD_CHECKSUM, R_TCP_ACK_OVER, R_TCP_ACK_UNDER, R_TCP_BYTES_MORE, R_TCP_CHALLENGE_ACK, R_TCP_IGNORED,
  R_TCP_INVALID_FLAGS, R_TCP_INVALID_NEW, R_TCP_INVALID_RST, R_TCP_INVALID_STATE, R_TCP_LOWER_TIMEOUT,
  R_TCP_SEQ_OVER, R_TCP_SEQ_UNDER, R_TCP_TRUNCATED,
} from '../core/reasons.js';
import type { Sysctls } from '../core/sysctl.js';
import { l4ChecksumOk } from '../packet/l4-checksum.js';
import type { TrackerContext } from './l4proto.js';
import {
  TCP_ACK_SET, TCP_CONNTRACK_CLOSE, TCP_CONNTRACK_CLOSE_WAIT, TCP_CONNTRACK_ESTABLISHED, TCP_CONNTRACK_FIN_WAIT,
  TCP_CONNTRACK_IGNORE, TCP_CONNTRACK_LAST_ACK, TCP_CONNTRACK_MAX, TCP_CONNTRACK_NONE, TCP_CONNTRACK_SYN_RECV,
  TCP_CONNTRACK_SYN_SENT, TCP_CONNTRACK_SYN_SENT2, TCP_CONNTRACK_TIME_WAIT, TCP_FIN_SET, TCP_NONE_SET, TCP_RST_SET,
  TCP_SYNACK_SET, TCP_SYN_SET, TCP_VALID_FLAGS, TCPHDR_ACK, TCPHDR_CWR, TCPHDR_ECE, TCPHDR_FIN, TCPHDR_PSH,
  TCPHDR_RST, TCPHDR_SYN, getConntrackIndex, tcpConntracks,
} from './tcp-states.js';

/** struct ip_ct_tcp_state flags (nf_conntrack_tcp.h). */
export const IP_CT_TCP_FLAG_WINDOW_SCALE = 0x01;
export const IP_CT_TCP_FLAG_SACK_PERM = 0x02;
export const IP_CT_TCP_FLAG_CLOSE_INIT = 0x04;
export const IP_CT_TCP_FLAG_BE_LIBERAL = 0x08;
export const IP_CT_TCP_FLAG_DATA_UNACKNOWLEDGED = 0x10;
export const IP_CT_TCP_FLAG_MAXACK_SET = 0x20;
/** last_flags only. */
export const IP_CT_EXP_CHALLENGE_ACK = 0x40;
export const IP_CT_TCP_SIMULTANEOUS_OPEN = 0x80;

const TCP_MAX_WSCALE = 14;
/** MAXACKWINDOW's floor: the lower bound for a valid ACK reaches at least this far back. */
const MAXACKWINCONST = 66000;

/** Words per direction (seen[d] starts at d * TD_WORDS). */
const TD_WORDS = 4;
const TD_END = 0;
const TD_MAXEND = 1;
const TD_MAXWIN = 2;
const TD_MAXACK = 3;
const SCALE_FLAGS = 8;
const LAST_SEQ = 9;
const LAST_ACK = 10;
const LAST_END = 11;
const LAST_WIN_RETRANS = 12;
const LAST_MISC = 13;

/** seen[dir].td_scale. */
function scaleOf(pw: Uint32Array, b: number, dir: number): number {
  return (pw[b + SCALE_FLAGS]! >>> (dir * 16)) & 0xff;
}
/** seen[dir].flags. */
function flagsOf(pw: Uint32Array, b: number, dir: number): number {
  return (pw[b + SCALE_FLAGS]! >>> (dir * 16 + 8)) & 0xff;
}
/** Sets seen[dir]'s td_scale and flags from td_scale | flags << 8 (tcpOptions()' form). */
function setScaleFlags(pw: Uint32Array, b: number, dir: number, sf: number): void {
  const sh = dir * 16;
  pw[b + SCALE_FLAGS] = ((pw[b + SCALE_FLAGS]! & ~(0xffff << sh)) | (sf << sh)) >>> 0;
}
function orFlags(pw: Uint32Array, b: number, dir: number, f: number): void {
  pw[b + SCALE_FLAGS] = (pw[b + SCALE_FLAGS]! | (f << (dir * 16 + 8))) >>> 0;
}
function clearFlags(pw: Uint32Array, b: number, dir: number, f: number): void {
  pw[b + SCALE_FLAGS] = (pw[b + SCALE_FLAGS]! & ~(f << (dir * 16 + 8))) >>> 0;
}
function lastWin(pw: Uint32Array, b: number): number {
  return pw[b + LAST_WIN_RETRANS]! & 0xffff;
}
function setLastWin(pw: Uint32Array, b: number, win: number): void {
  pw[b + LAST_WIN_RETRANS] = (pw[b + LAST_WIN_RETRANS]! & 0xff0000) | win;
}
function retrans(pw: Uint32Array, b: number): number {
  return pw[b + LAST_WIN_RETRANS]! >>> 16;
}

/** s32 comparisons of sequence numbers (before()/after() of include/net/tcp.h). */
function before(a: number, b: number): boolean {
  return ((a - b) | 0) < 0;
}
function after(a: number, b: number): boolean {
  return ((b - a) | 0) < 0;
}

/** Timeout for a state or for the RETRANS/UNACK slots, in seconds (tn->timeouts[]). */
export function tcpTimeoutSec(s: Sysctls, state: number): number {
  switch (state) {
    case TCP_CONNTRACK_SYN_SENT: return s.nf_conntrack_tcp_timeout_syn_sent;
    case TCP_CONNTRACK_SYN_RECV: return s.nf_conntrack_tcp_timeout_syn_recv;
    case TCP_CONNTRACK_ESTABLISHED: return s.nf_conntrack_tcp_timeout_established;
    case TCP_CONNTRACK_FIN_WAIT: return s.nf_conntrack_tcp_timeout_fin_wait;
    case TCP_CONNTRACK_CLOSE_WAIT: return s.nf_conntrack_tcp_timeout_close_wait;
    case TCP_CONNTRACK_LAST_ACK: return s.nf_conntrack_tcp_timeout_last_ack;
    case TCP_CONNTRACK_TIME_WAIT: return s.nf_conntrack_tcp_timeout_time_wait;
    case TCP_CONNTRACK_CLOSE: return s.nf_conntrack_tcp_timeout_close;
    case TCP_CONNTRACK_SYN_SENT2: return 120; // no sysctl: fixed at 2 minutes
    case 12: return s.nf_conntrack_tcp_timeout_max_retrans;
    case 13: return s.nf_conntrack_tcp_timeout_unacknowledged;
    default: return 0;
  }
}

/** Reads the options (tcp_options()); returns td_scale | flags << 8, or -1 when there are none to read. */
function tcpOptions(buf: Uint8Array, l4: number, doff: number, oldFlags: number): number {
  let length = doff * 4 - 20;
  if (length <= 0) return -1;
  let scale = 0;
  let flags = oldFlags & IP_CT_TCP_FLAG_BE_LIBERAL;
  let p = l4 + 20;
  while (length > 0) {
    const opcode = buf[p++]!;
    if (opcode === 0) break; // EOL
    if (opcode === 1) { // NOP
      length--;
      continue;
    }
    if (length < 2) break;
    const opsize = buf[p++]!;
    if (opsize < 2 || opsize > length) break; // silly or partial option
    if (opcode === 4 && opsize === 2) flags |= IP_CT_TCP_FLAG_SACK_PERM;
    else if (opcode === 3 && opsize === 3) {
      scale = Math.min(buf[p]!, TCP_MAX_WSCALE);
      flags |= IP_CT_TCP_FLAG_WINDOW_SCALE;
    }
    p += opsize - 2;
    length -= opsize;
  }
  return scale | (flags << 8);
}

/** The highest right edge of the SACK blocks, or `sack` (tcp_sack()). */
function tcpSack(buf: Uint8Array, dv: DataView, l4: number, doff: number, sack: number): number {
  let length = doff * 4 - 20;
  if (length <= 0) return sack;
  let p = l4 + 20;
  // The common timestamp-only layout (NOP NOP TS 10) carries no SACK.
  if (length === 12 && dv.getUint32(p) === 0x0101080a) return sack;
  while (length > 0) {
    const opcode = buf[p++]!;
    if (opcode === 0) return sack;
    if (opcode === 1) {
      length--;
      continue;
    }
    if (length < 2) return sack;
    const opsize = buf[p++]!;
    if (opsize < 2 || opsize > length) return sack;
    if (opcode === 5 && opsize >= 10 && (opsize - 2) % 8 === 0) {
      for (let i = 0; i < opsize - 2; i += 8) {
        const right = dv.getUint32(p + i + 4);
        if (after(right, sack)) sack = right;
      }
      return sack;
    }
    p += opsize - 2;
    length -= opsize;
  }
  return sack;
}

/** A per-packet view of the TCP header, filled without allocation. */
class TcpSegment {
  seq = 0;
  ack = 0;
  doff = 0;
  flags = 0;
  win = 0;
  /** Bytes from the TCP header to the end of the datagram (skb->len - dataoff). */
  len = 0;
  /** segment_seq_plus_len(): seq + payload + SYN + FIN. */
  end = 0;
}
const seg = new TcpSegment();

function readSegment(ctx: TrackerContext): boolean {
  const m = ctx.meta;
  const l4 = m.l4Off;
  if (l4 + 20 > m.end) return false;
  seg.seq = m.dv.getUint32(l4 + 4);
  seg.ack = m.dv.getUint32(l4 + 8);
  seg.doff = m.buf[l4 + 12]! >> 4;
  seg.flags = m.buf[l4 + 13]!;
  seg.win = m.dv.getUint16(l4 + 14);
  seg.len = m.end - l4;
  seg.end = (seg.seq + seg.len - seg.doff * 4 + (seg.flags & TCPHDR_SYN ? 1 : 0) + (seg.flags & TCPHDR_FIN ? 1 : 0)) >>> 0;
  return true;
}

/** tcp_error(): header length, checksum and flag sanity. True = invalid. */
function tcpError(ctx: TrackerContext): boolean {
  if (seg.doff * 4 < 20 || seg.len < seg.doff * 4) {
    ctx.log(R_TCP_TRUNCATED);
    return true;
  }
  if (ctx.sysctl.nf_conntrack_checksum && !l4ChecksumOk(ctx.meta, IPPROTO_TCP)) {
    ctx.log(R_BAD_CHECKSUM);
    return true;
  }
  if (!TCP_VALID_FLAGS[seg.flags & ~(TCPHDR_ECE | TCPHDR_CWR | TCPHDR_PSH) & 0x3f]) {
    ctx.log(R_TCP_INVALID_FLAGS);
    return true;
  }
  return false;
}

/** tcp_new(): may this packet create an entry, and with what window data? */
function tcpNew(ctx: TrackerContext, idx: number): boolean {
  const newState = tcpConntracks(IP_CT_DIR_ORIGINAL, getConntrackIndex(seg.flags), TCP_CONNTRACK_NONE);
  if (newState >= TCP_CONNTRACK_MAX) {
    ctx.log(R_TCP_INVALID_NEW);
    return false;
  }
  const pw = ctx.table.pw;
  const b = ctx.table.pwBase(idx);
  if (newState === TCP_CONNTRACK_SYN_SENT) {
    pw[b + TD_END] = seg.end;
    pw[b + TD_MAXWIN] = seg.win === 0 ? 1 : seg.win;
    pw[b + TD_MAXEND] = seg.end;
    const o = tcpOptions(ctx.meta.buf, ctx.meta.l4Off, seg.doff, 0);
    if (o >= 0) setScaleFlags(pw, b, IP_CT_DIR_ORIGINAL, o);
  } else if (ctx.sysctl.nf_conntrack_tcp_loose === 0) {
    return false; // no mid-stream pickup
  } else {
    // Picked up in the middle: take what the packet tells, and be liberal with
    // the window because its scaling factors were never seen.
    pw[b + TD_END] = seg.end;
    const maxwin = seg.win === 0 ? 1 : seg.win;
    pw[b + TD_MAXWIN] = maxwin;
    pw[b + TD_MAXEND] = (seg.end + maxwin) >>> 0;
    setScaleFlags(pw, b, IP_CT_DIR_ORIGINAL, (IP_CT_TCP_FLAG_SACK_PERM | IP_CT_TCP_FLAG_BE_LIBERAL) << 8);
    setScaleFlags(pw, b, IP_CT_DIR_REPLY, (IP_CT_TCP_FLAG_SACK_PERM | IP_CT_TCP_FLAG_BE_LIBERAL) << 8);
  }
  pw[b + LAST_MISC] = TCP_NONE_SET;
  return true;
}

const NFCT_TCP_IGNORE = 0;
const NFCT_TCP_INVALID = 1;
const NFCT_TCP_ACCEPT = 2;

/** nf_tcp_log_invalid(): the one place where "be liberal" turns a problem into ACCEPT. */
function logInvalid(ctx: TrackerContext, senderFlags: number, ret: number, code: number, arg: number): number {
  if (senderFlags & IP_CT_TCP_FLAG_BE_LIBERAL || ctx.sysctl.nf_conntrack_tcp_be_liberal) {
    ctx.result.hasDetail = false; // nothing is logged, so there is nothing to explain
    return NFCT_TCP_ACCEPT;
  }
  ctx.log(code, arg >>> 0);
  return ret;
}

const CHECK_I = 0;
const CHECK_II = 1;
const CHECK_III = 2;
const CHECK_IV = 3;

/**
 * Records the numbers behind a window-check message (PacketResult.windowDetail):
 * the packet, which bound, by how much, and both directions' window data.
 */
function noteWindow(ctx: TrackerContext, pw: Uint32Array, b: number, dir: number, seq: number, ack: number, sack: number,
  end: number, check: number, bound: number, by: number): void {
  const sb = b + dir * TD_WORDS;
  const rb = b + (1 - dir) * TD_WORDS;
  const r = ctx.result;
  const d = r.detail;
  d[0] = seq; d[1] = ack; d[2] = sack; d[3] = seg.win; d[4] = end;
  d[5] = check; d[6] = bound >>> 0; d[7] = by >>> 0;
  d[8] = pw[sb + TD_END]!; d[9] = pw[sb + TD_MAXEND]!; d[10] = pw[sb + TD_MAXWIN]!; d[11] = scaleOf(pw, b, dir);
  d[12] = pw[rb + TD_END]!; d[13] = pw[rb + TD_MAXEND]!; d[14] = pw[rb + TD_MAXWIN]!; d[15] = scaleOf(pw, b, 1 - dir);
  r.hasDetail = true;
}

/** tcp_init_sender(): a SYN (or SYN/ACK) (re)starts this direction's window data. */
function initSender(pw: Uint32Array, b: number, dir: number, buf: Uint8Array, l4: number): void {
  const sb = b + dir * TD_WORDS;
  pw[sb + TD_END] = seg.end;
  pw[sb + TD_MAXEND] = seg.end;
  pw[sb + TD_MAXWIN] = seg.win === 0 ? 1 : seg.win;
  const o = tcpOptions(buf, l4, seg.doff, flagsOf(pw, b, dir));
  if (o >= 0) setScaleFlags(pw, b, dir, o);
  // RFC 1323: scaling is on only if both sides offered it.
  const sf = flagsOf(pw, b, dir);
  const rf = flagsOf(pw, b, 1 - dir);
  if (dir === IP_CT_DIR_REPLY && !(sf & IP_CT_TCP_FLAG_WINDOW_SCALE && rf & IP_CT_TCP_FLAG_WINDOW_SCALE)) {
    setScaleFlags(pw, b, dir, sf << 8);
    setScaleFlags(pw, b, 1 - dir, rf << 8);
  }
}

/**
 * tcp_in_window(). The bounds, with sender = this packet's side:
 *   I.   seq <= sender.td_maxend                    (data fits the receiver's window)
 *   II.  seq + len >= sender.td_end - receiver.td_maxwin   (not older than a window)
 *   III. sack <= receiver.td_end                    (acks only data that was seen)
 *   IV.  sack >= receiver.td_end - MAXACKWINDOW     (not an ancient ack)
 */
function tcpInWindow(ctx: TrackerContext, idx: number, dir: number, index: number, state: number): number {
  const pw = ctx.table.pw;
  const b = ctx.table.pwBase(idx);
  const sb = b + dir * TD_WORDS;
  const rb = b + (1 - dir) * TD_WORDS;
  const m = ctx.meta;
  let seq = seg.seq;
  let ack = seg.ack;
  let sack = ack;
  let end = seg.end;
  let win = seg.win;
  const hasAck = (seg.flags & TCPHDR_ACK) !== 0;
  const isSyn = (seg.flags & TCPHDR_SYN) !== 0;

  if (flagsOf(pw, b, 1 - dir) & IP_CT_TCP_FLAG_SACK_PERM) sack = tcpSack(m.buf, m.dv, m.l4Off, seg.doff, sack);

  if (pw[sb + TD_MAXWIN] === 0) {
    if (isSyn) {
      initSender(pw, b, dir, m.buf, m.l4Off);
      if (!hasAck) return NFCT_TCP_ACCEPT; // simultaneous open
    } else {
      // Mid-connection: the history is lost, learn from this packet.
      pw[sb + TD_END] = end;
      const swin = (win << scaleOf(pw, b, dir)) >>> 0;
      const maxwin = swin === 0 ? 1 : swin;
      pw[sb + TD_MAXWIN] = maxwin;
      pw[sb + TD_MAXEND] = (end + maxwin) >>> 0;
      if (pw[rb + TD_MAXWIN] === 0) {
        // Nothing seen the other way yet: make III and IV pass until it is.
        pw[rb + TD_END] = sack;
        pw[rb + TD_MAXEND] = sack;
      } else if (sack === ((pw[rb + TD_END]! + 1) >>> 0)) {
        // Probably the answer to a keep-alive.
        pw[rb + TD_END] = sack;
      }
    }
  } else if (isSyn && after(end, pw[sb + TD_END]!) &&
             (state === TCP_CONNTRACK_SYN_SENT || state === TCP_CONNTRACK_SYN_RECV)) {
    // RFC 793: a restarted endpoint may reuse the tuple with higher sequence numbers.
    initSender(pw, b, dir, m.buf, m.l4Off);
    if (dir === IP_CT_DIR_REPLY && !hasAck) return NFCT_TCP_ACCEPT;
  }

  if (!hasAck) {
    ack = sack = pw[rb + TD_END]!; // no ACK: pretend it acked what was sent
  } else if ((seg.flags & (TCPHDR_ACK | TCPHDR_RST)) === (TCPHDR_ACK | TCPHDR_RST) && ack === 0) {
    ack = sack = pw[rb + TD_END]!; // some stacks send RST|ACK with ack 0
  }

  if (seg.flags & TCPHDR_RST && seq === 0 && state === TCP_CONNTRACK_SYN_SENT) {
    seq = end = pw[sb + TD_END]!; // a RST answering a SYN
  }

  const senderFlags = flagsOf(pw, b, dir);
  const maxackwin = Math.max(pw[sb + TD_MAXWIN]!, MAXACKWINCONST);
  const rEnd = pw[rb + TD_END]!;
  const rMaxwin = pw[rb + TD_MAXWIN]!;

  if (!before(seq, (pw[sb + TD_MAXEND]! + 1) >>> 0)) {
    const overshot = (end - pw[sb + TD_MAXEND]! + 1) >>> 0;
    const ackOk = after(sack, (rEnd - maxackwin - 1) >>> 0);
    const inRecvWin = rMaxwin !== 0 && after(end, (pw[sb + TD_END]! - rMaxwin - 1) >>> 0);
    if (inRecvWin && ackOk && overshot <= rMaxwin && before(sack, (rEnd + 1) >>> 0)) {
      // Some stacks send a little more than the window allows. Let conntrack
      // learn the new end so the peer's ACK for it is not "over upper bound".
      noteWindow(ctx, pw, b, dir, seq, ack, sack, end, CHECK_I, pw[sb + TD_MAXEND]! + 1, overshot);
      pw[sb + TD_END] = end;
      orFlags(pw, b, dir, IP_CT_TCP_FLAG_DATA_UNACKNOWLEDGED);
      return logInvalid(ctx, senderFlags | IP_CT_TCP_FLAG_DATA_UNACKNOWLEDGED, NFCT_TCP_IGNORE, R_TCP_BYTES_MORE, overshot);
    }
    noteWindow(ctx, pw, b, dir, seq, ack, sack, end, CHECK_I, pw[sb + TD_MAXEND]! + 1, seq - pw[sb + TD_MAXEND]!);
    return logInvalid(ctx, senderFlags, NFCT_TCP_INVALID, R_TCP_SEQ_OVER, pw[sb + TD_MAXEND]! + 1);
  }
  if (!before(sack, (rEnd + 1) >>> 0)) {
    noteWindow(ctx, pw, b, dir, seq, ack, sack, end, CHECK_III, rEnd + 1, sack - rEnd);
    return logInvalid(ctx, senderFlags, NFCT_TCP_INVALID, R_TCP_ACK_OVER, rEnd + 1);
  }
  if (rMaxwin !== 0 && !after(end, (pw[sb + TD_END]! - rMaxwin - 1) >>> 0)) {
    const bound = pw[sb + TD_END]! - rMaxwin - 1;
    noteWindow(ctx, pw, b, dir, seq, ack, sack, end, CHECK_II, bound, bound - end + 1);
    return logInvalid(ctx, senderFlags, NFCT_TCP_IGNORE, R_TCP_SEQ_UNDER, bound);
  }
  if (!after(sack, (rEnd - maxackwin - 1) >>> 0)) {
    const bound = rEnd - maxackwin - 1;
    noteWindow(ctx, pw, b, dir, seq, ack, sack, end, CHECK_IV, bound, bound - sack + 1);
    return logInvalid(ctx, senderFlags, NFCT_TCP_IGNORE, R_TCP_ACK_UNDER, bound);
  }

  if (!isSyn) win = (win << scaleOf(pw, b, dir)) >>> 0; // RFC 1323 scaling

  // Update the sender.
  const swin = (win + ((sack - ack) >>> 0)) >>> 0;
  if (pw[sb + TD_MAXWIN]! < swin) pw[sb + TD_MAXWIN] = swin;
  if (after(end, pw[sb + TD_END]!)) {
    pw[sb + TD_END] = end;
    orFlags(pw, b, dir, IP_CT_TCP_FLAG_DATA_UNACKNOWLEDGED);
  }
  if (hasAck) {
    if (!(flagsOf(pw, b, dir) & IP_CT_TCP_FLAG_MAXACK_SET)) {
      pw[sb + TD_MAXACK] = ack;
      orFlags(pw, b, dir, IP_CT_TCP_FLAG_MAXACK_SET);
    } else if (after(ack, pw[sb + TD_MAXACK]!)) {
      pw[sb + TD_MAXACK] = ack;
    }
  }

  // Update the receiver.
  if (pw[rb + TD_MAXWIN] !== 0 && after(end, pw[sb + TD_MAXEND]!)) {
    pw[rb + TD_MAXWIN] = (pw[rb + TD_MAXWIN]! + end - pw[sb + TD_MAXEND]!) >>> 0;
  }
  if (after((sack + win) >>> 0, (pw[rb + TD_MAXEND]! - 1) >>> 0)) {
    pw[rb + TD_MAXEND] = (sack + win + (win === 0 ? 1 : 0)) >>> 0;
  }
  if (ack === pw[rb + TD_END]) {
    clearFlags(pw, b, 1 - dir, IP_CT_TCP_FLAG_DATA_UNACKNOWLEDGED);
  }

  // Count retransmissions: the same ACK segment again from the same side.
  if (index === TCP_ACK_SET) {
    const misc = pw[b + LAST_MISC]!;
    if (((misc >>> 8) & 0xff) === dir && pw[b + LAST_SEQ] === seq && pw[b + LAST_ACK] === ack &&
        pw[b + LAST_END] === end && lastWin(pw, b) === seg.win) {
      // retrans is a u8 in the kernel: it wraps after 255.
      pw[b + LAST_WIN_RETRANS] = (pw[b + LAST_WIN_RETRANS]! + 0x10000) & 0xffffff;
    } else {
      pw[b + LAST_MISC] = (misc & ~0xff00) | (dir << 8);
      pw[b + LAST_SEQ] = seq;
      pw[b + LAST_ACK] = ack;
      pw[b + LAST_END] = end;
      pw[b + LAST_WIN_RETRANS] = seg.win; // and retrans 0
    }
  }
  return NFCT_TCP_ACCEPT;
}

function lastIndex(pw: Uint32Array, b: number): number {
  return pw[b + LAST_MISC]! & 0xff;
}
function lastDir(pw: Uint32Array, b: number): number {
  return (pw[b + LAST_MISC]! >>> 8) & 0xff;
}
function lastFlags(pw: Uint32Array, b: number): number {
  return pw[b + LAST_MISC]! >>> 24;
}
function setLast(pw: Uint32Array, b: number, index: number, dir: number): void {
  pw[b + LAST_MISC] = (pw[b + LAST_MISC]! & 0xffff0000) | index | (dir << 8);
}
function setLastFlags(pw: Uint32Array, b: number, flags: number): void {
  pw[b + LAST_MISC] = ((pw[b + LAST_MISC]! & 0x00ffffff) | (flags << 24)) >>> 0;
}

/** tcp_can_early_drop(): closing states may be evicted even when ASSURED. */
export function tcpCanEarlyDrop(state: number): boolean {
  return state === TCP_CONNTRACK_FIN_WAIT || state === TCP_CONNTRACK_LAST_ACK || state === TCP_CONNTRACK_TIME_WAIT ||
    state === TCP_CONNTRACK_CLOSE || state === TCP_CONNTRACK_CLOSE_WAIT;
}

/** nf_tcp_handle_invalid(): an invalid FIN/RST answering one from the peer shortens an ASSURED entry's life. */
function handleInvalid(ctx: TrackerContext, idx: number, dir: number, index: number): void {
  const t = ctx.table;
  if (!(t.statusOf(idx) & IPS_ASSURED) || t.statusOf(idx) & IPS_FIXED_TIMEOUT) return;
  if (index !== TCP_RST_SET && index !== TCP_FIN_SET) return;
  const pw = t.pw;
  const b = t.pwBase(idx);
  const li = lastIndex(pw, b);
  if (lastDir(pw, b) !== dir && (li === TCP_FIN_SET || li === TCP_RST_SET)) {
    const expiresMs = t.deadlineOf(idx) - ctx.nowMs;
    if (expiresMs < 120_000) return;
    const timeout = ctx.sysctl.nf_conntrack_tcp_timeout_unacknowledged;
    if (expiresMs > timeout * 1000) {
      ctx.log(R_TCP_LOWER_TIMEOUT, index, dir, li, timeout * HZ); // the kernel prints jiffies
      t.setDeadline(idx, ctx.nowMs + timeout * 1000);
    }
  } else {
    setLast(pw, b, index, dir);
  }
}

/**
 * The sIG case. Ignored packets may be the endpoints resynchronising while
 * conntrack is out of step: (a) a SYN in ORIGINAL, (b) a SYN/ACK in REPLY, (c) an
 * ACK in REPLY after the first SYN. They pass unchanged and are remembered; if
 * this is a SYN/ACK answering a SYN ignored earlier, conntrack resyncs from the
 * values noted then and returns true (the packet continues as SYN_SENT -> SYN_RECV).
 */
function ignorePacket(ctx: TrackerContext, idx: number, dir: number, index: number, oldState: number): boolean {
  const pw = ctx.table.pw;
  const b = ctx.table.pwBase(idx);
  if (index === TCP_SYNACK_SET && lastIndex(pw, b) === TCP_SYN_SET && lastDir(pw, b) !== dir &&
      seg.ack === pw[b + LAST_END]) {
    // (b) Both ends agree; take the window data noted from the ignored SYN.
    const ld = lastDir(pw, b);
    const lb = b + ld * TD_WORDS;
    pw[lb + TD_END] = pw[b + LAST_END]!;
    pw[lb + TD_MAXEND] = pw[b + LAST_END]!;
    pw[lb + TD_MAXWIN] = lastWin(pw, b) === 0 ? 1 : lastWin(pw, b);
    const lf = lastFlags(pw, b) & ~IP_CT_EXP_CHALLENGE_ACK;
    setLastFlags(pw, b, lf);
    setScaleFlags(pw, b, ld, ((pw[b + LAST_MISC]! >>> 16) & 0xff) | (lf << 8));
    // nf_ct_tcp_state_reset() of this direction: only BE_LIBERAL survives.
    const db = b + dir * TD_WORDS;
    pw[db + TD_END] = 0;
    pw[db + TD_MAXEND] = 0;
    pw[db + TD_MAXWIN] = 0;
    pw[db + TD_MAXACK] = 0;
    setScaleFlags(pw, b, dir, (flagsOf(pw, b, dir) & IP_CT_TCP_FLAG_BE_LIBERAL) << 8);
    return true;
  }
  setLast(pw, b, index, dir);
  pw[b + LAST_SEQ] = seg.seq;
  pw[b + LAST_END] = seg.end;
  setLastWin(pw, b, seg.win);
  if (index === TCP_SYN_SET && dir === IP_CT_DIR_ORIGINAL) {
    // (a) Note the SYN's options. If the server answers a SYN in LAST_ACK with
    // a challenge ACK (RFC 5961), that ACK must not be taken for the last ACK.
    const o = tcpOptions(ctx.meta.buf, ctx.meta.l4Off, seg.doff, 0);
    let lf = 0;
    let wscale = 0;
    if (o >= 0) {
      const f = o >>> 8;
      if (f & IP_CT_TCP_FLAG_WINDOW_SCALE) {
        lf |= IP_CT_TCP_FLAG_WINDOW_SCALE;
        wscale = o & 0xff;
      }
      if (f & IP_CT_TCP_FLAG_SACK_PERM) lf |= IP_CT_TCP_FLAG_SACK_PERM;
    }
    if (oldState === TCP_CONNTRACK_LAST_ACK) lf |= IP_CT_EXP_CHALLENGE_ACK;
    pw[b + LAST_MISC] = ((pw[b + LAST_MISC]! & 0xffff) | (wscale << 16) | (lf << 24)) >>> 0;
  }
  // (c) An ACK answering the first SYN may be a challenge ACK: note its ack.
  if (oldState === TCP_CONNTRACK_SYN_SENT && index === TCP_ACK_SET && dir === IP_CT_DIR_REPLY) {
    pw[b + LAST_ACK] = seg.ack;
  }
  ctx.log(R_TCP_IGNORED, index, dir, oldState);
  return false;
}

/**
 * nf_conntrack_tcp_packet(). Returns NF_ACCEPT, -NF_ACCEPT (invalid: the packet
 * loses its entry), -NF_REPEAT (the entry was killed to reopen the tuple) or NF_DROP.
 */
export function tcpPacket(ctx: TrackerContext, idx: number, dir: number, confirmed: boolean): number {
  if (!readSegment(ctx)) return -NF_ACCEPT; // not even a whole header: invalid without a message
  if (tcpError(ctx)) return -NF_ACCEPT;
  if (!confirmed && !tcpNew(ctx, idx)) return -NF_ACCEPT;

  const t = ctx.table;
  const pw = t.pw;
  const b = t.pwBase(idx);
  let oldState = t.stateOf(idx);
  const index = getConntrackIndex(seg.flags);
  let newState = tcpConntracks(dir, index, oldState);

  switch (newState) {
    case TCP_CONNTRACK_SYN_SENT:
      if (oldState < TCP_CONNTRACK_TIME_WAIT) break;
      // RFC 1122 lets a SYN reopen a connection in TIME_WAIT; conntrack also
      // reopens when either side started a close, or this side last sent a RST
      // (a client that aborted and starts again). Otherwise: ignored.
      if ((flagsOf(pw, b, IP_CT_DIR_ORIGINAL) | flagsOf(pw, b, IP_CT_DIR_REPLY)) & IP_CT_TCP_FLAG_CLOSE_INIT ||
          (lastDir(pw, b) === dir && lastIndex(pw, b) === TCP_RST_SET)) {
        ctx.kill(idx);
        return -NF_REPEAT;
      }
      if (!ignorePacket(ctx, idx, dir, index, oldState)) return NF_ACCEPT;
      oldState = TCP_CONNTRACK_SYN_SENT;
      newState = TCP_CONNTRACK_SYN_RECV;
      break;
    case TCP_CONNTRACK_IGNORE:
      if (!ignorePacket(ctx, idx, dir, index, oldState)) return NF_ACCEPT;
      oldState = TCP_CONNTRACK_SYN_SENT;
      newState = TCP_CONNTRACK_SYN_RECV;
      break;
    case TCP_CONNTRACK_MAX:
      // (The synproxy keep-alive exception does not apply: ctscope has no synproxy.)
      ctx.log(R_TCP_INVALID_STATE, index, dir, oldState);
      return -NF_ACCEPT;
    case TCP_CONNTRACK_TIME_WAIT:
      // RFC 5961: a challenge ACK answering a SYN in LAST_ACK is not the last ACK.
      if (oldState === TCP_CONNTRACK_LAST_ACK && index === TCP_ACK_SET && lastDir(pw, b) !== dir &&
          lastIndex(pw, b) === TCP_SYN_SET && lastFlags(pw, b) & IP_CT_EXP_CHALLENGE_ACK) {
        setLastFlags(pw, b, lastFlags(pw, b) & ~IP_CT_EXP_CHALLENGE_ACK);
        ctx.log(R_TCP_CHALLENGE_ACK);
        return NF_ACCEPT;
      }
      break;
    case TCP_CONNTRACK_SYN_SENT2:
      // The table alone can't follow a simultaneous open; remember we're in one.
      setLastFlags(pw, b, lastFlags(pw, b) | IP_CT_TCP_SIMULTANEOUS_OPEN);
      break;
    case TCP_CONNTRACK_SYN_RECV:
      if (dir === IP_CT_DIR_REPLY && index === TCP_ACK_SET && lastFlags(pw, b) & IP_CT_TCP_SIMULTANEOUS_OPEN) {
        newState = TCP_CONNTRACK_ESTABLISHED;
      }
      break;
    case TCP_CONNTRACK_CLOSE: {
      if (index !== TCP_RST_SET) break;
      // Closing already: the tuple may be in use again, skip the checks.
      if (tcpCanEarlyDrop(oldState)) return afterWindow(ctx, idx, dir, index, oldState, newState);
      const peerFlags = flagsOf(pw, b, 1 - dir);
      // nf_conntrack_tcp_established(): ESTABLISHED *and* ASSURED.
      const established = oldState === TCP_CONNTRACK_ESTABLISHED && (t.statusOf(idx) & IPS_ASSURED) !== 0;
      if (peerFlags & IP_CT_TCP_FLAG_MAXACK_SET && lastIndex(pw, b) !== TCP_SYN_SET) {
        const seq = seg.seq;
        const peerMaxack = pw[b + (1 - dir) * TD_WORDS + TD_MAXACK]!;
        // SEQ 0 outside an established connection most likely answers a SYN we let through.
        if (seq === 0 && !established) break;
        if (before(seq, peerMaxack) && !ctx.sysctl.nf_conntrack_tcp_ignore_invalid_rst) {
          ctx.log(R_TCP_INVALID_RST);
          return -NF_ACCEPT;
        }
        if (!established || seq === peerMaxack) break;
        // A RST right after this side's last data ("a train") is fine;
        // otherwise keep the state and wait for a possible challenge ACK.
        if (lastIndex(pw, b) === TCP_ACK_SET && lastDir(pw, b) === dir && seq === pw[b + LAST_END]) break;
        newState = oldState;
      }
      const status = t.statusOf(idx);
      const li = lastIndex(pw, b);
      // (The SYN must have come from the other side: a later stable fix to nf_conntrack_tcp_packet,
      // in the running 6.18, found by the fuzzer with SYNs of seq 0xffffffff, whose end wraps to 0.)
      if (((status & IPS_SEEN_REPLY && li === TCP_SYN_SET && lastDir(pw, b) !== dir) ||
           (!(status & IPS_ASSURED) && li === TCP_ACK_SET)) &&
          seg.ack === pw[b + LAST_END]) {
        // A RST answering a SYN (a) or half-open ACK (c) we let through: it may
        // ack segments we ignored, so skip the window check.
        return afterWindow(ctx, idx, dir, index, oldState, newState);
      }
      // A RST answering a challenge ACK we let through.
      if (oldState === TCP_CONNTRACK_SYN_SENT && li === TCP_ACK_SET && lastDir(pw, b) === IP_CT_DIR_REPLY &&
          seg.seq === pw[b + LAST_ACK]) {
        return afterWindow(ctx, idx, dir, index, oldState, newState);
      }
      break;
    }
    default:
      break;
  }

  const res = tcpInWindow(ctx, idx, dir, index, oldState);
  if (res === NFCT_TCP_IGNORE) return NF_ACCEPT;
  if (res === NFCT_TCP_INVALID) {
    handleInvalid(ctx, idx, dir, index);
    return -NF_ACCEPT;
  }
  return afterWindow(ctx, idx, dir, index, oldState, newState);
}

/** The in_window: tail of nf_conntrack_tcp_packet(): commit the state, pick the timeout. */
function afterWindow(ctx: TrackerContext, idx: number, dir: number, index: number, oldState: number, newState: number): number {
  const t = ctx.table;
  const pw = t.pw;
  const b = t.pwBase(idx);
  const s = ctx.sysctl;
  setLast(pw, b, index, dir);
  t.setState(idx, newState);
  if (oldState !== newState && newState === TCP_CONNTRACK_FIN_WAIT) {
    orFlags(pw, b, dir, IP_CT_TCP_FLAG_CLOSE_INIT);
  }
  const stateTimeout = tcpTimeoutSec(s, newState);
  const retransTimeout = s.nf_conntrack_tcp_timeout_max_retrans;
  const unackTimeout = s.nf_conntrack_tcp_timeout_unacknowledged;
  let timeout: number;
  if (retrans(pw, b) >= s.nf_conntrack_tcp_max_retrans && stateTimeout > retransTimeout) timeout = retransTimeout;
  else if (index === TCP_RST_SET) timeout = s.nf_conntrack_tcp_timeout_close;
  else if ((flagsOf(pw, b, IP_CT_DIR_ORIGINAL) | flagsOf(pw, b, IP_CT_DIR_REPLY)) & IP_CT_TCP_FLAG_DATA_UNACKNOWLEDGED &&
           stateTimeout > unackTimeout) timeout = unackTimeout;
  else if (lastWin(pw, b) === 0 && stateTimeout > retransTimeout) timeout = retransTimeout;
  else timeout = stateTimeout;

  if (newState !== oldState) ctx.events |= IPCT_PROTOINFO;

  const status = t.statusOf(idx);
  if (!(status & IPS_SEEN_REPLY)) {
    // A RST as the only answer: the connection never existed, drop the entry now.
    if (seg.flags & TCPHDR_RST) {
      ctx.killAcct(idx);
      return NF_ACCEPT;
    }
    // A retransmitted SYN does not extend the entry's life (else a client or NAT
    // reusing the port could keep it forever).
    if (index === TCP_SYN_SET && oldState === TCP_CONNTRACK_SYN_SENT) return NF_ACCEPT;
    // Picked up mid-stream and never answered: don't hold it for days.
    if (newState === TCP_CONNTRACK_ESTABLISHED && timeout > unackTimeout) timeout = unackTimeout;
  } else if (!(status & IPS_ASSURED) && (oldState === TCP_CONNTRACK_SYN_RECV || oldState === TCP_CONNTRACK_ESTABLISHED) &&
             newState === TCP_CONNTRACK_ESTABLISHED) {
    // A valid ACK after SYN_RECV, or an answer to a picked-up connection.
    t.setStatus(idx, status | IPS_ASSURED);
    ctx.events |= IPCT_ASSURED;
  }
  ctx.refresh(idx, timeout);
  return NF_ACCEPT;
}
