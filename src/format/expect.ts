/**
 * The expectation table as the kernel and conntrack-tools print it:
 * /proc/net/nf_conntrack_expect (nf_conntrack_expect.c exp_seq_show) and
 * `conntrack -L expect` / `conntrack -E expect` (libnetfilter_conntrack's
 * expect snprintf_default).
 */
import { formatAddr } from './addr.js';
import { IPPROTO_GRE } from '../core/consts.js';

/** A read-only picture of one expectation. */
export interface ExpectSnapshot {
  l3num: 2 | 10;
  protonum: number;
  /** Remaining time, ms. */
  timeoutMs: number;
  src: Uint8Array;
  dst: Uint8Array;
  sport: number;
  dport: number;
  maskSrc: Uint8Array;
  maskSport: number;
  maskDport: number;
  masterSrc: Uint8Array;
  masterDst: Uint8Array;
  masterSport: number;
  masterDport: number;
  cls: number;
  flags: number;
  helper: string | null;
  policyName: string;
}

function flagText(flags: number): string {
  const out: string[] = [];
  if (flags & 1) out.push('PERMANENT');
  if (flags & 2) out.push('INACTIVE');
  if (flags & 4) out.push('USERSPACE');
  return out.join(',');
}

/** The tuple's L4 part: GRE keys (PPTP's expectations) or ports. */
function l4Text(protonum: number, sport: number, dport: number): string {
  if (protonum === IPPROTO_GRE) return `srckey=0x${sport.toString(16)} dstkey=0x${dport.toString(16)} `;
  return `sport=${sport} dport=${dport} `;
}

/** One /proc/net/nf_conntrack_expect line. */
export function formatExpectProc(e: ExpectSnapshot): string {
  let s = `${Math.max(0, Math.floor(e.timeoutMs / 1000))} l3proto = ${e.l3num} proto=${e.protonum} `;
  s += `src=${formatAddr(e.src, 'proc')} dst=${formatAddr(e.dst, 'proc')} ${l4Text(e.protonum, e.sport, e.dport)}`;
  s += flagText(e.flags);
  if (e.helper !== null) s += `${e.flags ? ' ' : ''}${e.helper}${e.policyName ? `/${e.policyName}` : ''}`;
  return s;
}

/** One `conntrack -L expect` line, or a `conntrack -E expect` line with `event`. */
export function formatExpectConntrack(e: ExpectSnapshot, event?: 'NEW' | 'DESTROY'): string {
  const c = (b: Uint8Array): string => formatAddr(b, 'compressed');
  let s = event === undefined ? '' : `${`[${event}]`.padStart(9)} `;
  s += `${Math.max(0, Math.floor(e.timeoutMs / 1000))} proto=${e.protonum} `;
  s += `src=${c(e.src)} dst=${c(e.dst)} ${l4Text(e.protonum, e.sport, e.dport)}`;
  s += `mask-src=${c(e.maskSrc)} mask-dst=${c(e.l3num === 2 ? new Uint8Array([255, 255, 255, 255]) : new Uint8Array(16).fill(255))} ${l4Text(e.protonum, e.maskSport, e.maskDport)}`;
  s += `master-src=${c(e.masterSrc)} master-dst=${c(e.masterDst)} sport=${e.masterSport} dport=${e.masterDport} `;
  s += `class=${e.cls} `;
  const f = flagText(e.flags);
  if (f) s += `${f} `;
  if (e.helper !== null) s += `helper=${e.helper}`;
  return s.trimEnd();
}
