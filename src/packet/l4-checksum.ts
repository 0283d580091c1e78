/**
 * nf_checksum() / nf_checksum_partial(): verify a transport checksum against the
 * IPv4 or IPv6 pseudo-header, over the bytes of the datagram (no copies).
 */
import { pseudoHeaderSum, sumWords, checksumOk } from './checksum.js';
import type { PacketMeta } from './ip.js';

/** True when the L4 checksum of the whole segment verifies. */
export function l4ChecksumOk(meta: PacketMeta, protocol: number): boolean {
  const len = meta.end - meta.l4Off;
  return checksumOk(sumWords(meta.dv, meta.l4Off, len, pseudoHeaderSum(meta.buf, meta.family, meta.srcOff, meta.dstOff, protocol, len)));
}

/** ICMPv4 has no pseudo-header. */
export function icmpChecksumOk(meta: PacketMeta): boolean {
  return checksumOk(sumWords(meta.dv, meta.l4Off, meta.end - meta.l4Off, 0));
}
