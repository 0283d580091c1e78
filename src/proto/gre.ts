/**
 * GRE: port of nf_conntrack_proto_gre.c (Linux 6.18). Version 0 (RFC 1701/2784)
 * is tracked like the generic tracker, with keys 0; version 1 (PPTP's enhanced
 * GRE, RFC 2637) is keyed by the call id, the source key coming from the PPTP
 * helper's key map (empty without the helper: 0). 30 s until both directions
 * were seen, then 180 s and ASSURED.
 *
 * Protocol words per entry: 0 timeout, 1 stream timeout (seconds, fixed at creation).
 */
import { IPS_ASSURED, IPS_NAT_CLASH, IPS_SEEN_REPLY, IPCT_ASSURED, NF_ACCEPT } from '../core/consts.js';
import type { TrackerContext } from './l4proto.js';

const GRE_VERSION_1 = 1;
const GRE_PROTO_PPP = 0x880b;

/**
 * gre_pkt_to_tuple(): the tuple's L4 word (srckey << 16 | dstkey), or -1 when the
 * packet can't be tracked (a version 1 header that doesn't carry PPP).
 */
export function greKeyWord(dv: DataView, l4: number, end: number): number {
  if (l4 + 4 > end || (dv.getUint16(l4) & 7) !== GRE_VERSION_1) return 0; // behave like generic
  if (l4 + 8 > end) return 0;
  if (dv.getUint16(l4 + 2) !== GRE_PROTO_PPP) return -1;
  return dv.getUint16(l4 + 6); // dst key = call id; src key from the (empty) PPTP key map
}

/** nf_conntrack_gre_packet() */
export function grePacket(ctx: TrackerContext, idx: number, confirmed: boolean): number {
  const t = ctx.table;
  const b = t.pwBase(idx);
  if (!confirmed) {
    // A PPTP helper would raise these; without one they are the sysctls.
    t.pw[b] = ctx.sysctl.nf_conntrack_gre_timeout;
    t.pw[b + 1] = ctx.sysctl.nf_conntrack_gre_timeout_stream;
  }
  const status = t.statusOf(idx);
  if (status & IPS_SEEN_REPLY) {
    ctx.refresh(idx, t.pw[b + 1]!);
    if (status & IPS_NAT_CLASH) return NF_ACCEPT;
    if (!(status & IPS_ASSURED)) {
      t.setStatus(idx, status | IPS_ASSURED);
      ctx.events |= IPCT_ASSURED;
    }
  } else {
    ctx.refresh(idx, t.pw[b]!);
  }
  return NF_ACCEPT;
}
