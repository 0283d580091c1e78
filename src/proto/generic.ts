/**
 * The generic tracker (nf_conntrack_proto_generic.c): every protocol without a
 * tracker of its own. The tuple is just the addresses and the protocol number;
 * each packet refreshes the entry to nf_conntrack_generic_timeout; never ASSURED.
 */
import { NF_ACCEPT } from '../core/consts.js';
import type { TrackerContext } from './l4proto.js';

export function genericPacket(ctx: TrackerContext, idx: number): number {
  ctx.refresh(idx, ctx.sysctl.nf_conntrack_generic_timeout);
  return NF_ACCEPT;
}
