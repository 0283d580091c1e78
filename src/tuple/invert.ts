/**
 * nf_ct_invert_tuple(): the tuple of the other direction. Without NAT an
 * entry's reply tuple is always the inverse of its original, so the table keeps
 * only the original and derives the reply here (on lookup, by comparing
 * against the inverse in place; for printing, by writing it out).
 */
import { IPPROTO_GRE, IPPROTO_ICMP, IPPROTO_ICMPV6 } from '../core/consts.js';
import { ICMP_INVMAP, ICMPV6_INVMAP } from '../proto/icmp.js';
import { hasPorts } from '../proto/l4proto.js';
import { T_META, T_PORTS } from './tuple.js';

const AF_INET = 2;
const AF_INET6 = 10;

/**
 * The L4 word of the inverse tuple (l4proto->invert_tuple): ports or GRE keys
 * swap, an ICMP query's type becomes its reply's. -1 when the type has no
 * inverse (such a packet never gets an entry).
 */
export function invertL4Word(meta: number, l4: number): number {
  const proto = meta & 0xff;
  const l3 = (meta >>> 8) & 0xff;
  if ((proto === IPPROTO_ICMP && l3 === AF_INET) || (proto === IPPROTO_ICMPV6 && l3 === AF_INET6)) {
    const inv = (proto === IPPROTO_ICMP ? ICMP_INVMAP : ICMPV6_INVMAP)[(l4 >>> 8) & 0xff]!;
    return inv < 0 ? -1 : ((l4 & 0xffff00ff) | (inv << 8)) >>> 0;
  }
  if (hasPorts(proto) || proto === IPPROTO_GRE) return ((l4 << 16) | (l4 >>> 16)) >>> 0;
  return l4;
}

/** Writes the inverse of `src[sBase..]` to `dst[dBase..]` (they may be the same words); false if it has none. */
export function invertTuple(dst: Uint32Array, dBase: number, src: Uint32Array, sBase: number): boolean {
  const meta = src[sBase + T_META]!;
  const l4 = invertL4Word(meta, src[sBase + T_PORTS]!);
  if (l4 < 0) return false;
  for (let i = 0; i < 4; i++) {
    const s = src[sBase + i]!;
    dst[dBase + i] = src[sBase + 4 + i]!;
    dst[dBase + 4 + i] = s;
  }
  dst[dBase + T_PORTS] = l4;
  dst[dBase + T_META] = meta;
  return true;
}

/** The tuple at `t[base..]` equals the inverse of the (invertible) tuple at `orig[oBase..]`. */
export function tupleEqualsInverse(orig: Uint32Array, oBase: number, t: Uint32Array, base: number): boolean {
  for (let i = 0; i < 4; i++) {
    if (t[base + i] !== orig[oBase + 4 + i] || t[base + 4 + i] !== orig[oBase + i]) return false;
  }
  const meta = orig[oBase + T_META]!;
  return t[base + T_META] === meta && t[base + T_PORTS] === invertL4Word(meta, orig[oBase + T_PORTS]!);
}

/** One round of the endpoint and connection hashes (multiply-xorshift, as hashTuple). */
function mix(h: number, w: number): number {
  h = Math.imul(h ^ w, 0x9e3779b1);
  return h ^ (h >>> 15);
}

/**
 * Seeded hash of a connection: the same for a tuple and its inverse, so one
 * hash slot finds an entry from either direction. Each endpoint (address and
 * its port or GRE key) is hashed alone under the seed and the two are combined
 * in sorted order: the direction drops out, and without the seed an attacker
 * still cannot make tuples collide. An ICMP query and its reply hash the lower
 * of the two types. (The kernel hashes each direction apart and keeps two
 * nodes; the kernel's own buckets are modelled beside this, with hashTuple.)
 */
export function hashConn(t: Uint32Array, base: number, seed: number): number {
  const meta = t[base + T_META]!;
  const proto = meta & 0xff;
  let l4 = t[base + T_PORTS]!;
  let portA = 0;
  let portB = 0;
  if (hasPorts(proto) || proto === IPPROTO_GRE) {
    portA = l4 >>> 16;
    portB = l4 & 0xffff;
    l4 = 0;
  } else if (proto === IPPROTO_ICMP || proto === IPPROTO_ICMPV6) {
    const inv = invertL4Word(meta, l4);
    if (inv >= 0 && inv < l4) l4 = inv;
  }
  let a = mix(seed, t[base]!);
  let b = mix(seed, t[base + 4]!);
  if (((meta >>> 8) & 0xff) === AF_INET6) {
    for (let i = 1; i < 4; i++) {
      a = mix(a, t[base + i]!);
      b = mix(b, t[base + 4 + i]!);
    }
  }
  a = mix(a, portA) >>> 0;
  b = mix(b, portB) >>> 0;
  let h = mix(mix(mix(seed ^ meta, a < b ? a : b), a < b ? b : a), l4);
  h = Math.imul(h ^ (h >>> 13), 0x85ebca6b);
  h ^= h >>> 16;
  return h >>> 0;
}
