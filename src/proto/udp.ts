/**
 * UDP and UDP-Lite: port of nf_conntrack_proto_udp.c (Linux 6.18).
 * A UDP entry lives 30 s until both directions have been seen; once they have,
 * traffic more than 2 s after the entry was created makes it a "stream":
 * 120 s and ASSURED. UDP-Lite skips the 2-second rule.
 */
import { IPS_ASSURED, IPS_NAT_CLASH, IPS_SEEN_REPLY, IPCT_ASSURED, NF_ACCEPT, IPPROTO_UDP } from '../core/consts.js';
import { R_BAD_CHECKSUM, R_SHORT_PACKET, R_UDP_MALFORMED, R_UDPLITE_CSCOV, R_UDPLITE_NO_CSUM } from '../core/reasons.js';
import { checksumOk, pseudoHeaderSum, sumWords } from '../packet/checksum.js';
import { l4ChecksumOk } from '../packet/l4-checksum.js';
import type { TrackerContext } from './l4proto.js';

/** The stream rule's delay (2 * HZ). */
const UDP_STREAM_DELAY_MS = 2000;

/** udp_error(): true = invalid. */
function udpError(ctx: TrackerContext): boolean {
  const m = ctx.meta;
  const udplen = m.end - m.l4Off;
  if (udplen < 8) {
    ctx.log(R_SHORT_PACKET);
    return true;
  }
  const len = m.dv.getUint16(m.l4Off + 4);
  if (len > udplen || len < 8) {
    ctx.log(R_UDP_MALFORMED);
    return true;
  }
  if (m.dv.getUint16(m.l4Off + 6) === 0) return false; // no checksum
  if (ctx.sysctl.nf_conntrack_checksum && !l4ChecksumOk(m, IPPROTO_UDP)) {
    ctx.log(R_BAD_CHECKSUM);
    return true;
  }
  return false;
}

/** nf_conntrack_udp_packet() */
export function udpPacket(ctx: TrackerContext, idx: number, confirmed: boolean): number {
  if (udpError(ctx)) return -NF_ACCEPT;
  const t = ctx.table;
  const s = ctx.sysctl;
  const status = t.statusOf(idx);
  if (!confirmed) t.setAux(idx, ctx.nowMs + UDP_STREAM_DELAY_MS);
  if (status & IPS_SEEN_REPLY) {
    let extra = s.nf_conntrack_udp_timeout;
    let stream = false;
    // Still talking two seconds after the start: a stream.
    if (ctx.nowMs > t.auxOf(idx)) {
      extra = s.nf_conntrack_udp_timeout_stream;
      stream = (status & IPS_ASSURED) === 0;
    }
    ctx.refresh(idx, extra);
    if (status & IPS_NAT_CLASH) return NF_ACCEPT; // clash entries never become ASSURED
    if (stream) {
      t.setStatus(idx, t.statusOf(idx) | IPS_ASSURED);
      ctx.events |= IPCT_ASSURED;
    }
  } else {
    ctx.refresh(idx, s.nf_conntrack_udp_timeout);
  }
  return NF_ACCEPT;
}

/** udplite_error(): true = invalid. */
function udpliteError(ctx: TrackerContext): boolean {
  const m = ctx.meta;
  const udplen = m.end - m.l4Off;
  if (udplen < 8) {
    ctx.log(R_SHORT_PACKET);
    return true;
  }
  let cscov = m.dv.getUint16(m.l4Off + 4);
  if (cscov === 0) cscov = udplen;
  else if (cscov < 8 || cscov > udplen) {
    ctx.log(R_UDPLITE_CSCOV);
    return true;
  }
  if (m.dv.getUint16(m.l4Off + 6) === 0) {
    ctx.log(R_UDPLITE_NO_CSUM);
    return true;
  }
  // The kernel checks UDP-Lite against a pseudo-header that says UDP (17), not 136. Over IPv4,
  // nf_ip_checksum_partial() also passes the length where csum_tcpudp_nofold() takes the u8
  // protocol (and the protocol where it takes the length), so only the length's low byte counts:
  // UDP-Lite datagrams of 256 bytes or more fail "bad checksum" on IPv4 (seen on 6.18).
  const pseudoLen = m.family === 4 ? udplen & 0xff : udplen;
  const pseudo = pseudoHeaderSum(m.buf, m.family, m.srcOff, m.dstOff, IPPROTO_UDP, pseudoLen);
  if (ctx.sysctl.nf_conntrack_checksum && !checksumOk(sumWords(m.dv, m.l4Off, cscov, pseudo))) {
    ctx.log(R_BAD_CHECKSUM);
    return true;
  }
  return false;
}

/** nf_conntrack_udplite_packet() */
export function udplitePacket(ctx: TrackerContext, idx: number): number {
  if (udpliteError(ctx)) return -NF_ACCEPT;
  const t = ctx.table;
  const s = ctx.sysctl;
  const status = t.statusOf(idx);
  if (status & IPS_SEEN_REPLY) {
    ctx.refresh(idx, s.nf_conntrack_udp_timeout_stream);
    if (status & IPS_NAT_CLASH) return NF_ACCEPT;
    if (!(status & IPS_ASSURED)) {
      t.setStatus(idx, status | IPS_ASSURED);
      ctx.events |= IPCT_ASSURED;
    }
  } else {
    ctx.refresh(idx, s.nf_conntrack_udp_timeout);
  }
  return NF_ACCEPT;
}
