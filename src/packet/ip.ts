/**
 * IPv4/IPv6 decoding into a reusable PacketMeta: what ip_rcv()/ipv6_rcv() check
 * before PREROUTING, and where nf_conntrack finds the L4 header
 * (ipv4_get_l4proto / ipv6_get_l4proto in nf_conntrack_core.c). Never throws,
 * never allocates.
 */
import { sumWords, checksumOk } from './checksum.js';

/** Why ip_rcv()/ipv6_rcv() would drop the packet before conntrack saw it. */
export const IP_OK = 0;
export const IP_TRUNCATED_HEADER = 1;
export const IP_BAD_VERSION = 2;
export const IP_BAD_IHL = 3;
export const IP_BAD_HEADER_CHECKSUM = 4;
export const IP_BAD_TOTAL_LENGTH = 5;
export const IP_TRUNCATED_BY_SNAPLEN = 6;
export const IP_DROP_REASONS = [
  '',
  'truncated IP header (dropped by the IP layer before conntrack)',
  'bad IP version (dropped by the IP layer before conntrack)',
  'bad IPv4 header length (dropped by ip_rcv before conntrack)',
  'bad IPv4 header checksum (dropped by ip_rcv before conntrack)',
  'IP total length larger than the packet (dropped by the IP layer before conntrack)',
  'packet truncated by the capture\'s snaplen (the kernel saw bytes the capture does not have)',
] as const;

export class PacketMeta {
  buf: Uint8Array = new Uint8Array(0);
  dv: DataView = new DataView(new ArrayBuffer(0));
  /** 4 or 6. */
  family = 0;
  /** Offset of the IP header in buf. */
  l3Off = 0;
  /** End of the IP datagram in buf (after trimming link padding): skb->len's end. */
  end = 0;
  /** Offset of the L4 header, or -1 when conntrack can't find one (invalid). */
  l4Off = -1;
  /** Protocol number of the L4 header (after IPv6 extension headers). */
  protonum = 0;
  /** Offsets of the source and destination addresses in buf. */
  srcOff = 0;
  dstOff = 0;
  /** IPv6 hop limit / IPv4 TTL. */
  hopLimit = 0;
  /** Length of the whole datagram (IP header included), as counted by conntrack's byte counters. */
  get length(): number {
    return this.end - this.l3Off;
  }
}

/**
 * Decodes the IP header at `off` (captured bytes up to `capEnd`; `wireLen` is the
 * length on the wire from `off`, to tell snaplen truncation from a short packet).
 * Returns IP_OK or the reason the IP layer would have dropped it.
 */
export function decodeIp(
  meta: PacketMeta, buf: Uint8Array, dv: DataView, off: number, capEnd: number, wireLen: number,
): number {
  meta.buf = buf;
  meta.dv = dv;
  meta.l3Off = off;
  meta.l4Off = -1;
  meta.protonum = 0;
  const caplen = capEnd - off;
  if (caplen < 1) return IP_TRUNCATED_HEADER;
  const version = buf[off]! >> 4;
  if (version === 4) return decodeIpv4(meta, buf, dv, off, caplen, wireLen);
  if (version === 6) return decodeIpv6(meta, buf, dv, off, caplen, wireLen);
  return IP_BAD_VERSION;
}

function decodeIpv4(meta: PacketMeta, buf: Uint8Array, dv: DataView, off: number, caplen: number, wireLen: number): number {
  meta.family = 4;
  if (caplen < 20) return wireLen > caplen ? IP_TRUNCATED_BY_SNAPLEN : IP_TRUNCATED_HEADER;
  const ihl = (buf[off]! & 0x0f) * 4;
  if (ihl < 20) return IP_BAD_IHL;
  if (caplen < ihl) return wireLen > caplen ? IP_TRUNCATED_BY_SNAPLEN : IP_BAD_IHL;
  if (!checksumOk(sumWords(dv, off, ihl, 0))) return IP_BAD_HEADER_CHECKSUM;
  const totLen = dv.getUint16(off + 2);
  if (totLen < ihl) return IP_BAD_TOTAL_LENGTH;
  if (totLen > caplen) return wireLen >= totLen ? IP_TRUNCATED_BY_SNAPLEN : IP_BAD_TOTAL_LENGTH;
  meta.end = off + totLen;
  meta.hopLimit = buf[off + 8]!;
  meta.protonum = buf[off + 9]!;
  meta.srcOff = off + 12;
  meta.dstOff = off + 16;
  // Non-first fragments carry no L4 header: conntrack can't classify them.
  if ((dv.getUint16(off + 6) & 0x1fff) !== 0) return IP_OK;
  meta.l4Off = off + ihl;
  return IP_OK;
}

const NEXTHDR_HOP = 0;
const NEXTHDR_ROUTING = 43;
const NEXTHDR_FRAGMENT = 44;
const NEXTHDR_AUTH = 51;
const NEXTHDR_NONE = 59;
const NEXTHDR_DEST = 60;

function decodeIpv6(meta: PacketMeta, buf: Uint8Array, dv: DataView, off: number, caplen: number, wireLen: number): number {
  meta.family = 6;
  if (caplen < 40) return wireLen > caplen ? IP_TRUNCATED_BY_SNAPLEN : IP_TRUNCATED_HEADER;
  const payloadLen = dv.getUint16(off + 4);
  let nexthdr = buf[off + 6]!;
  // A zero payload length with hop-by-hop options announces a jumbogram: take the capture's length.
  let total = 40 + payloadLen;
  if (payloadLen === 0 && nexthdr === NEXTHDR_HOP) total = caplen;
  if (total > caplen) return wireLen >= total ? IP_TRUNCATED_BY_SNAPLEN : IP_BAD_TOTAL_LENGTH;
  meta.end = off + total;
  meta.hopLimit = buf[off + 7]!;
  meta.srcOff = off + 8;
  meta.dstOff = off + 24;
  // ipv6_skip_exthdr(): walk extension headers; stop at a non-first fragment.
  let pos = off + 40;
  const end = meta.end;
  for (;;) {
    if (nexthdr !== NEXTHDR_HOP && nexthdr !== NEXTHDR_ROUTING && nexthdr !== NEXTHDR_FRAGMENT &&
        nexthdr !== NEXTHDR_AUTH && nexthdr !== NEXTHDR_NONE && nexthdr !== NEXTHDR_DEST) break;
    if (nexthdr === NEXTHDR_NONE || pos + 2 > end) return IP_OK;
    let hdrlen: number;
    if (nexthdr === NEXTHDR_FRAGMENT) {
      if (pos + 4 > end) return IP_OK;
      if ((dv.getUint16(pos + 2) & 0xfff8) !== 0) {
        meta.protonum = buf[pos]!;
        return IP_OK;
      }
      hdrlen = 8;
    } else if (nexthdr === NEXTHDR_AUTH) {
      hdrlen = (buf[pos + 1]! + 2) << 2;
    } else {
      hdrlen = (buf[pos + 1]! + 1) << 3;
    }
    nexthdr = buf[pos]!;
    pos += hdrlen;
  }
  // Past the end is still an L4 offset to the kernel; the L4 readers bound-check it.
  meta.protonum = nexthdr;
  meta.l4Off = pos;
  return IP_OK;
}
