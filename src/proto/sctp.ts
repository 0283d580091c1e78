/**
 * SCTP: port of nf_conntrack_proto_sctp.c (Linux 6.18). The packet's chunks are
 * walked in order; each moves the association through the table in
 * sctp-states.ts, and the verification tags of both directions are learnt from
 * INIT/INIT_ACK (or HEARTBEATs) and checked as RFC 2960 section 8.5 says.
 *
 * Protocol words per entry: 0 vtag original, 1 vtag reply (raw big-endian reads),
 * 2: init[orig] | init[reply] << 1 | heartbeat-vtag-failed << 8 | last_dir << 16.
 */
import { IPS_ASSURED, IPCT_ASSURED, IPCT_PROTOINFO, NF_ACCEPT } from '../core/consts.js';
import { R_SCTP_BAD_CRC, R_SCTP_BASIC_CHECKS, R_SCTP_INVALID_STATE, R_SCTP_SHORT, R_SCTP_VTAG } from '../core/reasons.js';
import type { Sysctls } from '../core/sysctl.js';
import { crc32c } from '../packet/crc32c.js';
import type { TrackerContext } from './l4proto.js';
import {
  SCTP_CID_ABORT, SCTP_CID_COOKIE_ACK, SCTP_CID_COOKIE_ECHO, SCTP_CID_DATA, SCTP_CID_HEARTBEAT,
  SCTP_CID_HEARTBEAT_ACK, SCTP_CID_INIT, SCTP_CID_INIT_ACK, SCTP_CID_SHUTDOWN_ACK, SCTP_CID_SHUTDOWN_COMPLETE,
  SCTP_CONNTRACK_CLOSED, SCTP_CONNTRACK_COOKIE_ECHOED, SCTP_CONNTRACK_COOKIE_WAIT, SCTP_CONNTRACK_ESTABLISHED,
  SCTP_CONNTRACK_HEARTBEAT_SENT, SCTP_CONNTRACK_MAX, SCTP_CONNTRACK_NONE, SCTP_CONNTRACK_SHUTDOWN_ACK_SENT,
  SCTP_CONNTRACK_SHUTDOWN_RECD, SCTP_CONNTRACK_SHUTDOWN_SENT, sctpNewState,
} from './sctp-states.js';

const SCTP_HDR = 12;
const CHUNK_HDR = 4;
const SCTP_CHUNK_FLAG_T = 0x01;
const HEARTBEAT_VTAG_FAILED = 1;

/** Chunk types present in the packet: a 256-bit set, reused. */
const map = new Uint32Array(8);
function has(type: number): boolean {
  return (map[type >>> 5]! & (1 << (type & 31))) !== 0;
}

/** Timeout of a state, seconds (timeouts[NONE] is the CLOSED one). */
export function sctpTimeoutSec(s: Sysctls, state: number): number {
  switch (state) {
    case SCTP_CONNTRACK_COOKIE_WAIT: return s.nf_conntrack_sctp_timeout_cookie_wait;
    case SCTP_CONNTRACK_COOKIE_ECHOED: return s.nf_conntrack_sctp_timeout_cookie_echoed;
    case SCTP_CONNTRACK_ESTABLISHED: return s.nf_conntrack_sctp_timeout_established;
    case SCTP_CONNTRACK_SHUTDOWN_SENT: return s.nf_conntrack_sctp_timeout_shutdown_sent;
    case SCTP_CONNTRACK_SHUTDOWN_RECD: return s.nf_conntrack_sctp_timeout_shutdown_recd;
    case SCTP_CONNTRACK_SHUTDOWN_ACK_SENT: return s.nf_conntrack_sctp_timeout_shutdown_ack_sent;
    case SCTP_CONNTRACK_HEARTBEAT_SENT: return s.nf_conntrack_sctp_timeout_heartbeat_sent;
    default: return s.nf_conntrack_sctp_timeout_closed;
  }
}

function swap32(v: number): number {
  return (((v & 0xff) << 24) | ((v & 0xff00) << 8) | ((v >>> 8) & 0xff00) | (v >>> 24)) >>> 0;
}

/**
 * do_basic_checks(): no zero-length chunk, COOKIE_ECHO/COOKIE_ACK only first,
 * INIT/INIT_ACK/SHUTDOWN_COMPLETE alone. Fills `map`. True = the packet fails.
 */
function basicChecks(ctx: TrackerContext): boolean {
  const m = ctx.meta;
  map.fill(0);
  let flag = 0;
  let count = 0;
  for (let off = m.l4Off + SCTP_HDR; off < m.end && off + CHUNK_HDR <= m.end; count++) {
    const type = m.buf[off]!;
    const len = m.dv.getUint16(off + 2);
    if (type === SCTP_CID_INIT || type === SCTP_CID_INIT_ACK || type === SCTP_CID_SHUTDOWN_COMPLETE) flag = 1;
    if (((type === SCTP_CID_COOKIE_ACK || type === SCTP_CID_COOKIE_ECHO || flag) && count !== 0) || len === 0) {
      // The kernel prints the length field as read, in host (little-endian) order.
      ctx.log(R_SCTP_BASIC_CHECKS, count, type, ((len & 0xff) << 8) | (len >>> 8), flag);
      return true;
    }
    map[type >>> 5] = map[type >>> 5]! | (1 << (type & 31));
    off += (len + 3) & ~3;
  }
  return count === 0;
}

/** sctp_new(): may these chunks open an entry? Notes the tags they carry. */
function sctpNew(ctx: TrackerContext, idx: number, vtag: number): boolean {
  const m = ctx.meta;
  const pw = ctx.table.pw;
  const b = ctx.table.pwBase(idx);
  for (let off = m.l4Off + SCTP_HDR; off < m.end && off + CHUNK_HDR <= m.end; off += (m.dv.getUint16(off + 2) + 3) & ~3) {
    const type = m.buf[off]!;
    const st = sctpNewState(0, SCTP_CONNTRACK_NONE, type);
    if (st === SCTP_CONNTRACK_NONE || st === SCTP_CONNTRACK_MAX) return false;
    if (type === SCTP_CID_INIT) {
      if (vtag !== 0) return false; // 8.5.1 (A)
      if (off + CHUNK_HDR + 4 > m.end) return false;
      pw[b + 1] = m.dv.getUint32(off + CHUNK_HDR); // the initiate tag: what the reply side must use
    } else if (type === SCTP_CID_HEARTBEAT) {
      pw[b] = vtag; // a secondary path of an existing association
    } else if (type === SCTP_CID_SHUTDOWN_ACK) {
      pw[b + 1] = vtag; // out of the blue: expect SHUTDOWN_COMPLETE or ABORT back (8.4)
    }
    ctx.table.setState(idx, SCTP_CONNTRACK_NONE);
  }
  return true;
}

/** nf_conntrack_sctp_packet() */
export function sctpPacket(ctx: TrackerContext, idx: number, dir: number, confirmed: boolean): number {
  const m = ctx.meta;
  const l4 = m.l4Off;
  if (m.end < l4 + SCTP_HDR) {
    ctx.log(R_SCTP_SHORT);
    return -NF_ACCEPT;
  }
  if (ctx.sysctl.nf_conntrack_checksum && m.dv.getUint32(l4 + 8, true) !== crc32c(m.buf, l4, m.end - l4, l4 + 8)) {
    ctx.log(R_SCTP_BAD_CRC);
    return -NF_ACCEPT;
  }
  if (basicChecks(ctx)) return -NF_ACCEPT;
  const vtag = m.dv.getUint32(l4 + 4);
  if (!confirmed) {
    // Out-of-the-blue packets with these chunks are discarded (8.4).
    if (has(SCTP_CID_ABORT) || has(SCTP_CID_SHUTDOWN_COMPLETE) || has(SCTP_CID_COOKIE_ACK)) return -NF_ACCEPT;
    if (!sctpNew(ctx, idx, vtag)) return -NF_ACCEPT;
  }
  const t = ctx.table;
  const pw = t.pw;
  const b = t.pwBase(idx);
  // Verification tag (8.5), except for chunks with rules of their own.
  if (!has(SCTP_CID_INIT) && !has(SCTP_CID_SHUTDOWN_COMPLETE) && !has(SCTP_CID_COOKIE_ECHO) && !has(SCTP_CID_ABORT) &&
      !has(SCTP_CID_SHUTDOWN_ACK) && !has(SCTP_CID_HEARTBEAT) && !has(SCTP_CID_HEARTBEAT_ACK) && vtag !== pw[b + dir]) {
    ctx.log(R_SCTP_VTAG, swap32(vtag), swap32(pw[b + dir]!), dir);
    return -NF_ACCEPT;
  }

  let oldState = SCTP_CONNTRACK_NONE;
  let newState = SCTP_CONNTRACK_NONE;
  let ignore = false;
  const other = 1 - dir;
  for (let off = l4 + SCTP_HDR; off < m.end && off + CHUNK_HDR <= m.end; off += (m.dv.getUint16(off + 2) + 3) & ~3) {
    const type = m.buf[off]!;
    const flagT = (m.buf[off + 1]! & SCTP_CHUNK_FLAG_T) !== 0;
    let misc = pw[b + 2]!;
    if (type === SCTP_CID_INIT) {
      if (vtag !== 0) return -NF_ACCEPT; // (A) must be zero
    } else if (type === SCTP_CID_ABORT || type === SCTP_CID_SHUTDOWN_COMPLETE) {
      // (B)/(C): our own tag, or the peer's when the T bit says it was reflected.
      if (vtag !== pw[b + (flagT ? other : dir)]) return -NF_ACCEPT;
    } else if (type === SCTP_CID_COOKIE_ECHO) {
      if (vtag !== pw[b + dir]) return -NF_ACCEPT; // (D) the tag from the INIT_ACK
    } else if (type === SCTP_CID_COOKIE_ACK) {
      misc &= ~3; // init[] of both sides cleared
      pw[b + 2] = misc;
    } else if (type === SCTP_CID_HEARTBEAT) {
      if (pw[b + dir] === 0) pw[b + dir] = vtag;
      else if (vtag !== pw[b + dir]) {
        if (has(SCTP_CID_DATA) || ignore) return -NF_ACCEPT;
        // Maybe a new association on a secondary path: wait for the answer.
        pw[b + 2] = (misc & ~0xff0000 & ~(0xff << 8)) | (HEARTBEAT_VTAG_FAILED << 8) | (dir << 16);
        ignore = true;
        continue;
      } else if ((misc >>> 8) & HEARTBEAT_VTAG_FAILED) {
        pw[b + 2] = misc & ~(HEARTBEAT_VTAG_FAILED << 8);
      }
    } else if (type === SCTP_CID_HEARTBEAT_ACK) {
      if (pw[b + dir] === 0) pw[b + dir] = vtag;
      else if (vtag !== pw[b + dir]) {
        if (has(SCTP_CID_DATA) || ignore) return -NF_ACCEPT;
        if (!((misc >>> 8) & HEARTBEAT_VTAG_FAILED) || ((misc >>> 16) & 0xff) === dir) return -NF_ACCEPT;
        pw[b + 2] = misc & ~(HEARTBEAT_VTAG_FAILED << 8);
        pw[b + dir] = vtag;
        pw[b + other] = 0;
      } else if ((misc >>> 8) & HEARTBEAT_VTAG_FAILED) {
        pw[b + 2] = misc & ~(HEARTBEAT_VTAG_FAILED << 8);
      }
    }

    oldState = t.stateOf(idx);
    newState = sctpNewState(dir, oldState, type);
    if (newState === SCTP_CONNTRACK_MAX) {
      ctx.log(R_SCTP_INVALID_STATE, oldState, dir, type);
      return -NF_ACCEPT;
    }
    if (type === SCTP_CID_INIT) {
      if (off + CHUNK_HDR + 4 > m.end) return -NF_ACCEPT;
      let mm = pw[b + 2]!;
      if (mm & (1 << dir) && mm & (1 << other)) mm &= ~(1 << other);
      pw[b + 2] = mm | (1 << dir);
      pw[b + other] = m.dv.getUint32(off + CHUNK_HDR);
      // A retransmitted INIT does not extend the entry's life.
      if (newState === SCTP_CONNTRACK_CLOSED && oldState === SCTP_CONNTRACK_CLOSED && confirmed) ignore = true;
    } else if (type === SCTP_CID_INIT_ACK) {
      if (off + CHUNK_HDR + 4 > m.end) return -NF_ACCEPT;
      const initTag = m.dv.getUint32(off + CHUNK_HDR);
      const mm = pw[b + 2]!;
      const peerVtag = pw[b + other]!;
      if (!(mm & (1 << other)) && peerVtag !== 0 && peerVtag !== initTag) return -NF_ACCEPT;
      if (mm & (1 << dir) && mm & (1 << other) && peerVtag !== initTag) return -NF_ACCEPT; // collision
      pw[b + other] = initTag;
    }
    t.setState(idx, newState);
    if (oldState !== newState) {
      ctx.events |= IPCT_PROTOINFO;
      if (newState === SCTP_CONNTRACK_ESTABLISHED && !(t.statusOf(idx) & IPS_ASSURED)) {
        t.setStatus(idx, t.statusOf(idx) | IPS_ASSURED);
        ctx.events |= IPCT_ASSURED;
      }
    }
  }
  if (ignore) return NF_ACCEPT; // allowed, timeout not refreshed
  ctx.refresh(idx, sctpTimeoutSec(ctx.sysctl, newState));
  return NF_ACCEPT;
}

