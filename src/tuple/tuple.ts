/**
 * The conntrack tuple (struct nf_conntrack_tuple) as 10 unsigned 32-bit words,
 * so it can be hashed, compared and stored without objects:
 *
 *   [0..3] source address (IPv4 in word 0, the rest 0)
 *   [4..7] destination address
 *   [8]    L4 identity: sport << 16 | dport (TCP, UDP, UDP-Lite, SCTP),
 *          id << 16 | type << 8 | code (ICMP, ICMPv6), 0 for the generic tracker
 *   [9]    zone << 16 | l3num << 8 | protonum
 *
 * Like the kernel's tuple hash, nothing here depends on the direction.
 */
export const TUPLE_WORDS = 10;
export const T_PORTS = 8;
export const T_META = 9;

export function tupleL3num(t: Uint32Array, base: number): number {
  return (t[base + T_META]! >>> 8) & 0xff;
}

export function tupleProtonum(t: Uint32Array, base: number): number {
  return t[base + T_META]! & 0xff;
}

export function tupleZone(t: Uint32Array, base: number): number {
  return t[base + T_META]! >>> 16;
}

/** Seeded hash of a tuple (a multiply-xorshift over its words). */
export function hashTuple(t: Uint32Array, base: number, seed: number): number {
  let h = seed | 0;
  for (let i = 0; i < TUPLE_WORDS; i++) {
    h = Math.imul(h ^ t[base + i]!, 0x9e3779b1);
    h ^= h >>> 15;
  }
  h = Math.imul(h ^ (h >>> 13), 0x85ebca6b);
  h ^= h >>> 16;
  return h >>> 0;
}

export function tupleEquals(a: Uint32Array, aBase: number, b: Uint32Array, bBase: number): boolean {
  for (let i = 0; i < TUPLE_WORDS; i++) if (a[aBase + i] !== b[bBase + i]) return false;
  return true;
}

export function copyTuple(dst: Uint32Array, dstBase: number, src: Uint32Array, srcBase: number): void {
  for (let i = 0; i < TUPLE_WORDS; i++) dst[dstBase + i] = src[srcBase + i]!;
}

/** Reads an address (4 or 16 bytes at off) into 4 tuple words. */
export function loadAddr(t: Uint32Array, base: number, dv: DataView, off: number, family: number): void {
  if (family === 4) {
    t[base] = dv.getUint32(off);
    t[base + 1] = 0;
    t[base + 2] = 0;
    t[base + 3] = 0;
  } else {
    t[base] = dv.getUint32(off);
    t[base + 1] = dv.getUint32(off + 4);
    t[base + 2] = dv.getUint32(off + 8);
    t[base + 3] = dv.getUint32(off + 12);
  }
}

/** The address of a tuple as bytes (cold path: printing). */
export function addrBytes(t: Uint32Array, base: number, family: number): Uint8Array {
  const n = family === 4 ? 1 : 4;
  // Byte by byte: no DataView, so the small array never needs its own ArrayBuffer.
  const out = new Uint8Array(n * 4);
  for (let i = 0; i < n; i++) {
    const w = t[base + i]!;
    out[i * 4] = w >>> 24;
    out[i * 4 + 1] = (w >>> 16) & 0xff;
    out[i * 4 + 2] = (w >>> 8) & 0xff;
    out[i * 4 + 3] = w & 0xff;
  }
  return out;
}

/** Addresses equal (4 words at a and b). */
export function addrEquals(a: Uint32Array, aBase: number, b: Uint32Array, bBase: number): boolean {
  return a[aBase] === b[bBase] && a[aBase + 1] === b[bBase + 1] && a[aBase + 2] === b[bBase + 2] &&
    a[aBase + 3] === b[bBase + 3];
}
