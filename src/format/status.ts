/**
 * IPS_* status bits (enum ip_conntrack_status, include/uapi/linux/netfilter/
 * nf_conntrack_common.h, Linux 6.18) — re-exported from the engine's
 * src/core/consts.ts so there is one definition — and statusNames().
 */
import { IPS_NAMES } from '../core/consts.js';

export {
  IPS_EXPECTED,
  IPS_SEEN_REPLY,
  IPS_ASSURED,
  IPS_CONFIRMED,
  IPS_SRC_NAT,
  IPS_DST_NAT,
  IPS_SEQ_ADJUST,
  IPS_SRC_NAT_DONE,
  IPS_DST_NAT_DONE,
  IPS_DYING,
  IPS_FIXED_TIMEOUT,
  IPS_TEMPLATE,
  IPS_NAT_CLASH,
  IPS_HELPER,
  IPS_OFFLOAD,
  IPS_HW_OFFLOAD,
} from '../core/consts.js';

/**
 * Bit index -> kernel name without the IPS_ prefix. Bit 12 is NAT_CLASH (its
 * only meaning in 6.18; the uapi alias UNTRACKED is obsolete).
 */
export const STATUS_BIT_NAMES: readonly string[] = IPS_NAMES;

/** Names of the set bits, lowest bit first. Unknown bits are named BIT_<n>. */
export function statusNames(status: number): string[] {
  const out: string[] = [];
  for (let bit = 0; bit < 32; bit++) {
    if ((status >>> bit) & 1) out.push(STATUS_BIT_NAMES[bit] ?? `BIT_${bit}`);
  }
  return out;
}
