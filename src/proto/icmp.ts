/**
 * ICMP and ICMPv6: ports of nf_conntrack_proto_icmp.c and
 * nf_conntrack_proto_icmpv6.c (Linux 6.18).
 *
 * Queries (echo, timestamp, info, address mask; ICMPv6 echo and node
 * information) are tracked by type/code/id with a 30 s timeout; their replies
 * match the inverted tuple. Errors are never entries of their own: the packet
 * they quote is looked up and the error is RELATED to that entry (see
 * core/conntrack.ts, which owns the lookup). Neighbour discovery and MLD are
 * untracked.
 */
import { NF_ACCEPT } from '../core/consts.js';
import type { TrackerContext } from './l4proto.js';

/** invmap[]: the reply type of each query type, for ICMPv4 (-1: not invertible). */
export const ICMP_INVMAP: Int16Array = (() => {
  const t = new Int16Array(256).fill(-1);
  const pairs = [[8, 0], [13, 14], [15, 16], [17, 18]] as const;
  for (const [a, b] of pairs) {
    t[a] = b;
    t[b] = a;
  }
  return t;
})();

/** invmap[] for ICMPv6: echo 128/129, node information 139/140. */
export const ICMPV6_INVMAP: Int16Array = (() => {
  const t = new Int16Array(256).fill(-1);
  for (const [a, b] of [[128, 129], [139, 140]] as const) {
    t[a] = b;
    t[b] = a;
  }
  return t;
})();

/** icmp_is_err(): destination unreachable, source quench, redirect, time exceeded, parameter problem. */
export function icmpIsError(type: number): boolean {
  return type === 3 || type === 4 || type === 5 || type === 11 || type === 12;
}

/** NR_ICMP_TYPES: 18 is the highest type the kernel knows. */
export const NR_ICMP_TYPES = 18;

/** ICMPv6 types conntrack marks untracked (noct_valid_new[]): MLD, router/neighbour discovery, MRD. */
export function icmpv6IsUntracked(type: number): boolean {
  return (type >= 130 && type <= 136) || type === 143 || type === 151 || type === 152;
}

/** nf_conntrack_icmp_packet(): only queries may create an entry; replies refresh it. */
export function icmpPacket(ctx: TrackerContext, idx: number): number {
  const type = (ctx.table.rec[ctx.table.origBase(idx) + 8]! >>> 8) & 0xff;
  if (type !== 8 && type !== 13 && type !== 15 && type !== 17) return -NF_ACCEPT;
  ctx.refresh(idx, ctx.sysctl.nf_conntrack_icmp_timeout);
  return NF_ACCEPT;
}

/** nf_conntrack_icmpv6_packet(): on an unconfirmed entry, only echo request and node information query. */
export function icmpv6Packet(ctx: TrackerContext, idx: number, confirmed: boolean): number {
  if (!confirmed) {
    const type = (ctx.table.rec[ctx.table.origBase(idx) + 8]! >>> 8) & 0xff;
    if (type !== 128 && type !== 139) return -NF_ACCEPT;
  }
  ctx.refresh(idx, ctx.sysctl.nf_conntrack_icmpv6_timeout);
  return NF_ACCEPT;
}
