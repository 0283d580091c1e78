/** Small shared helpers for the text formatters (internal). */
import { formatAddr, type AddrStyle } from './addr.js';
import type { ConnSnapshot, TupleSnapshot } from './snapshot.js';

/** C `%-8s`: left-justify in 8 columns, never truncate. */
export function pad8(s: string): string {
  return s.padEnd(8, ' ');
}

export function l3Name(l3num: number): string {
  return l3num === 2 ? 'ipv4' : l3num === 10 ? 'ipv6' : 'unknown';
}

/** Whole seconds as the kernel prints them (nf_ct_expires/HZ, truncated, never negative). */
export function seconds(ms: number): number {
  return ms > 0 ? Math.floor(ms / 1000) : 0;
}

/** True when the protocol prints `sport= dport=`. */
export function hasPorts(protonum: number, withDccp: boolean): boolean {
  return protonum === 6 || protonum === 17 || protonum === 136 || protonum === 132 || (withDccp && protonum === 33);
}

/**
 * Which L4 fields a tuple prints. `withDccp`: libnetfilter_conntrack still prints
 * ports for DCCP (0 0, from the generic tracker of 6.18), the kernel's /proc does not.
 */
export function l4Kind(protonum: number, withDccp: boolean): 'ports' | 'icmp' | 'gre' | 'none' {
  if (hasPorts(protonum, withDccp)) return 'ports';
  if (protonum === 1 || protonum === 58) return 'icmp';
  return protonum === 47 ? 'gre' : 'none';
}

/** `src=… dst=… ` + the L4 part of one tuple, each field followed by one space. */
export function tupleText(
  t: TupleSnapshot,
  style: AddrStyle,
  l4: 'ports' | 'icmp' | 'gre' | 'none',
): string {
  let out = `src=${formatAddr(t.src, style)} dst=${formatAddr(t.dst, style)} `;
  switch (l4) {
    case 'ports':
      out += `sport=${t.sport} dport=${t.dport} `;
      break;
    case 'icmp':
      out += `type=${t.icmpType} code=${t.icmpCode} id=${t.icmpId} `;
      break;
    case 'gre':
      out += `srckey=0x${(t.greKeySrc ?? 0).toString(16)} dstkey=0x${(t.greKeyDst ?? 0).toString(16)} `;
      break;
    case 'none':
      break;
  }
  return out;
}

export function countersText(t: TupleSnapshot): string {
  if (t.packets === undefined || t.bytes === undefined) return '';
  return `packets=${t.packets} bytes=${t.bytes} `;
}

export function hasCounters(s: ConnSnapshot): boolean {
  return s.orig.packets !== undefined && s.orig.bytes !== undefined;
}

export function toBigNs(v: bigint | number): bigint {
  return typeof v === 'bigint' ? v : BigInt(Math.trunc(v));
}

export const NS_PER_SEC = 1_000_000_000n;
