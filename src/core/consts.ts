/**
 * Kernel constants, with the kernel's names so this file can be read next to
 * include/uapi/linux/netfilter/nf_conntrack_common.h and friends.
 */

/** enum ip_conntrack_dir */
export const IP_CT_DIR_ORIGINAL = 0;
export const IP_CT_DIR_REPLY = 1;

/** enum ip_conntrack_info: what the packet is to its entry. */
export const IP_CT_ESTABLISHED = 0;
export const IP_CT_RELATED = 1;
export const IP_CT_NEW = 2;
export const IP_CT_IS_REPLY = 3;
export const IP_CT_ESTABLISHED_REPLY = IP_CT_ESTABLISHED + IP_CT_IS_REPLY;
export const IP_CT_RELATED_REPLY = IP_CT_RELATED + IP_CT_IS_REPLY;
export const IP_CT_UNTRACKED = 7;

/** enum ip_conntrack_status bits. */
export const IPS_EXPECTED = 1 << 0;
export const IPS_SEEN_REPLY = 1 << 1;
export const IPS_ASSURED = 1 << 2;
export const IPS_CONFIRMED = 1 << 3;
export const IPS_SRC_NAT = 1 << 4;
export const IPS_DST_NAT = 1 << 5;
export const IPS_SEQ_ADJUST = 1 << 6;
export const IPS_SRC_NAT_DONE = 1 << 7;
export const IPS_DST_NAT_DONE = 1 << 8;
export const IPS_DYING = 1 << 9;
export const IPS_FIXED_TIMEOUT = 1 << 10;
export const IPS_TEMPLATE = 1 << 11;
/** Bit 12: UNTRACKED in uapi, reused in-kernel as NAT_CLASH (never ASSURED). */
export const IPS_NAT_CLASH = 1 << 12;
export const IPS_HELPER = 1 << 13;
export const IPS_OFFLOAD = 1 << 14;
export const IPS_HW_OFFLOAD = 1 << 15;

/** enum ip_conntrack_events, as a bit mask. */
export const IPCT_NEW = 1 << 0;
export const IPCT_RELATED = 1 << 1;
export const IPCT_DESTROY = 1 << 2;
export const IPCT_REPLY = 1 << 3;
export const IPCT_ASSURED = 1 << 4;
export const IPCT_PROTOINFO = 1 << 5;
export const IPCT_HELPER = 1 << 6;
export const IPCT_MARK = 1 << 7;

/** Netfilter verdicts; handlers return their negation for "invalid" (-NF_ACCEPT). */
export const NF_DROP = 0;
export const NF_ACCEPT = 1;
export const NF_REPEAT = 4;

/** Address families (l3num) as printed in /proc/net/nf_conntrack. */
export const AF_INET = 2;
export const AF_INET6 = 10;

export const IPPROTO_ICMP = 1;
export const IPPROTO_TCP = 6;
export const IPPROTO_UDP = 17;
export const IPPROTO_GRE = 47;
export const IPPROTO_ICMPV6 = 58;
export const IPPROTO_SCTP = 132;
export const IPPROTO_UDPLITE = 136;

/**
 * What a packet is to the firewall's `ct state` / `-m state` match. The numbers
 * are ctscope's, the names are the ruleset's.
 */
export const CTSTATE_NEW = 0;
export const CTSTATE_ESTABLISHED = 1;
export const CTSTATE_RELATED = 2;
export const CTSTATE_INVALID = 3;
export const CTSTATE_UNTRACKED = 4;
/** The packet never reached conntrack (not IP, dropped by the IP layer, unreadable). */
export const CTSTATE_SKIPPED = 5;
export const CTSTATE_NAMES = ['new', 'established', 'related', 'invalid', 'untracked', 'skipped'] as const;
export type CtStateName = (typeof CTSTATE_NAMES)[number];

export const DIR_NAMES = ['original', 'reply'] as const;

/** Status bit names in conntrack-tools spelling (IPS_ prefix dropped), by bit number. */
export const IPS_NAMES = [
  'EXPECTED', 'SEEN_REPLY', 'ASSURED', 'CONFIRMED', 'SRC_NAT', 'DST_NAT', 'SEQ_ADJUST',
  'SRC_NAT_DONE', 'DST_NAT_DONE', 'DYING', 'FIXED_TIMEOUT', 'TEMPLATE', 'NAT_CLASH', 'HELPER',
  'OFFLOAD', 'HW_OFFLOAD',
] as const;

/** Jiffies per second of the reference kernel (CONFIG_HZ=250); only numbers the kernel prints in jiffies use it. */
export const HZ = 250;
