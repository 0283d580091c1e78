/**
 * Internet checksum (RFC 1071) over the capture buffer, no copies.
 * Sums are kept unfolded in a float-safe range: each 16-bit word adds at most
 * 0xffff, so even a 64 KiB segment stays far below 2^53.
 */

/** One's-complement sum of bytes [off, off+len) as 16-bit big-endian words (odd byte padded). */
export function sum16(buf: Uint8Array, off: number, len: number, initial: number): number {
  let sum = initial;
  const end = off + len - 1;
  let i = off;
  for (; i < end; i += 2) sum += (buf[i]! << 8) | buf[i + 1]!;
  if (i === end) sum += buf[i]! << 8;
  return sum;
}

/**
 * The same sum as sum16 (equal modulo 0xffff, so it folds to the same checksum),
 * read eight bytes at a time into four 16-bit column sums (independent
 * additions the CPU runs side by side), which stay small integers (no float
 * arithmetic) for anything up to 256 KiB.
 */
export function sumWords(dv: DataView, off: number, len: number, initial: number): number {
  let hi = 0;
  let lo = 0;
  let hi2 = 0;
  let lo2 = 0;
  let i = off;
  const end8 = off + (len & ~7);
  for (; i < end8; i += 8) {
    const w = dv.getInt32(i);
    const v = dv.getInt32(i + 4);
    hi += w >>> 16;
    lo += w & 0xffff;
    hi2 += v >>> 16;
    lo2 += v & 0xffff;
  }
  let sum = initial + hi + lo + hi2 + lo2;
  if (len & 4) {
    const w = dv.getInt32(i);
    sum += (w >>> 16) + (w & 0xffff);
    i += 4;
  }
  if (len & 2) {
    sum += dv.getUint16(i);
    i += 2;
  }
  if (len & 1) sum += dv.getUint8(i) << 8;
  return sum;
}

export function fold16(sum: number): number {
  while (sum > 0xffff) sum = (sum & 0xffff) + Math.floor(sum / 0x10000);
  return sum;
}

/** The pseudo-header sum for a transport checksum (IPv4 or IPv6, per RFC 768/2460). */
export function pseudoHeaderSum(
  buf: Uint8Array, family: number, srcOff: number, dstOff: number, protocol: number, l4len: number,
): number {
  const alen = family === 4 ? 4 : 16;
  let sum = sum16(buf, srcOff, alen, 0);
  sum = sum16(buf, dstOff, alen, sum);
  // IPv4: zero, protocol, 16-bit length; IPv6: 32-bit length, zeros, next header.
  return sum + protocol + (l4len & 0xffff) + Math.floor(l4len / 0x10000);
}

/** True when a received checksum verifies: the folded sum of everything is 0xffff. */
export function checksumOk(sum: number): boolean {
  return fold16(sum) === 0xffff;
}

/** Computes the checksum field value for a region whose checksum field is zero (for builders). */
export function checksumOf(sum: number): number {
  const v = ~fold16(sum) & 0xffff;
  return v;
}
