/**
 * The messages conntrack logs for a packet (nf_l4proto_log_invalid and friends),
 * kept as a code plus numbers on the hot path and turned into the kernel's exact
 * text only when printed.
 */
import { TCP_CONNTRACK_NAMES } from '../proto/tcp-states.js';
import { TABLE_FULL_MESSAGE } from './early-drop.js';

export const R_TCP_TRUNCATED = 1;
export const R_BAD_CHECKSUM = 2;
export const R_TCP_INVALID_FLAGS = 3;
export const R_TCP_INVALID_NEW = 4;
export const R_TCP_IGNORED = 5;
export const R_TCP_INVALID_STATE = 6;
export const R_TCP_CHALLENGE_ACK = 7;
export const R_TCP_INVALID_RST = 8;
export const R_TCP_BYTES_MORE = 9;
export const R_TCP_SEQ_OVER = 10;
export const R_TCP_ACK_OVER = 11;
export const R_TCP_SEQ_UNDER = 12;
export const R_TCP_ACK_UNDER = 13;
export const R_TCP_LOWER_TIMEOUT = 14;
export const R_SHORT_PACKET = 15;
export const R_UDP_MALFORMED = 16;
export const R_UDPLITE_CSCOV = 17;
export const R_UDPLITE_NO_CSUM = 18;
export const R_ICMP_BAD_CSUM = 19;
export const R_ICMP_INVALID_TYPE = 20;
export const R_OUTER_DADDR4 = 21;
export const R_ICMPV6_BAD_CSUM = 22;
export const R_ICMPV6_SHORT_REDIRECT = 23;
export const R_ICMPV6_REDIRECT_SADDR = 24;
export const R_ICMPV6_REDIRECT_NOOPT = 25;
export const R_OUTER_DADDR6 = 26;
export const R_SCTP_SHORT = 27;
export const R_SCTP_BAD_CRC = 28;
export const R_SCTP_BASIC_CHECKS = 29;
export const R_SCTP_VTAG = 30;
export const R_SCTP_INVALID_STATE = 31;
/** A helper's nf_ct_helper_log() text (PacketResult.helperMessage). */
export const R_HELPER = 32;
/** __nf_conntrack_alloc() found the table full and nothing to evict. */
export const R_TABLE_FULL = 33;
/** net_ratelimit() opened a new window after refusing messages: "N callbacks suppressed", logged first. */
export const R_RATELIMIT_SUPPRESSED = 34;

/** Numbers a message carries: at most 8 (two IPv6 addresses as 4 words each). */
export const REASON_ARGS = 8;

function ip4(n: number): string {
  return `${n >>> 24}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;
}

/** The kernel's %pI6: eight groups of four hex digits, uncompressed. */
function ip6(a: ArrayLike<number>, o: number): string {
  const parts: string[] = [];
  for (let i = 0; i < 4; i++) {
    const w = a[o + i]!;
    parts.push((w >>> 16).toString(16).padStart(4, '0'), (w & 0xffff).toString(16).padStart(4, '0'));
  }
  return parts.join(':');
}

/** The text the kernel logs, without the `nf_ct_proto_N: ` prefix. */
export function formatReason(code: number, a: ArrayLike<number>, o: number): string {
  const n = (i: number): number => a[o + i]!;
  switch (code) {
    case R_TCP_TRUNCATED: return 'truncated packet';
    case R_BAD_CHECKSUM: return 'bad checksum';
    case R_TCP_INVALID_FLAGS: return 'invalid tcp flag combination';
    case R_TCP_INVALID_NEW: return 'invalid new';
    case R_TCP_IGNORED: return `packet (index ${n(0)}) in dir ${n(1)} ignored, state ${TCP_CONNTRACK_NAMES[n(2)]}`;
    case R_TCP_INVALID_STATE: return `packet (index ${n(0)}) in dir ${n(1)} invalid, state ${TCP_CONNTRACK_NAMES[n(2)]}`;
    case R_TCP_CHALLENGE_ACK: return 'challenge-ack ignored';
    case R_TCP_INVALID_RST: return 'invalid rst';
    case R_TCP_BYTES_MORE: return `${n(0)} bytes more than expected`;
    case R_TCP_SEQ_OVER: return `SEQ is over upper bound ${n(0)} (over the window of the receiver)`;
    case R_TCP_ACK_OVER: return `ACK is over upper bound ${n(0)} (ACKed data not seen yet)`;
    case R_TCP_SEQ_UNDER: return `SEQ is under lower bound ${n(0)} (already ACKed data retransmitted)`;
    case R_TCP_ACK_UNDER: return `ignored ACK under lower bound ${n(0)} (possible overly delayed)`;
    case R_TCP_LOWER_TIMEOUT:
      return `packet (index ${n(0)}, dir ${n(1)}) response for index ${n(2)} lower timeout to ${n(3)}`;
    case R_SHORT_PACKET: return 'short packet';
    case R_UDP_MALFORMED: return 'truncated/malformed packet';
    case R_UDPLITE_CSCOV: return 'invalid checksum coverage';
    case R_UDPLITE_NO_CSUM: return 'checksum missing';
    case R_ICMP_BAD_CSUM: return 'bad hw icmp checksum';
    case R_ICMP_INVALID_TYPE: return 'invalid icmp type';
    case R_OUTER_DADDR4: return `outer daddr ${ip4(n(0))} != inner ${ip4(n(1))}`;
    case R_OUTER_DADDR6: return `outer daddr ${ip6(a, o)} != inner ${ip6(a, o + 4)}`;
    case R_ICMPV6_BAD_CSUM: return 'ICMPv6 checksum failed';
    case R_ICMPV6_SHORT_REDIRECT: return 'short redirect';
    case R_ICMPV6_REDIRECT_SADDR: return 'invalid saddr or hoplimit for redirect';
    case R_ICMPV6_REDIRECT_NOOPT: return 'redirect without options';
    // SCTP's own prefixes and layout are part of its messages (nf_conntrack_proto_sctp.c);
    // the kernel prints verification tags as raw big-endian words read on a little-endian host.
    case R_SCTP_SHORT: return 'nf_ct_sctp: short packet';
    case R_SCTP_BAD_CRC: return 'nf_ct_sctp: bad CRC';
    case R_SCTP_BASIC_CHECKS: return `do_basic_checks failed. chunk num ${n(0)}, type ${n(1)}, len ${n(2)} flag ${n(3)}`;
    case R_SCTP_VTAG: return `verification tag check failed ${n(0).toString(16)} vs ${n(1).toString(16)} for dir ${n(2)}`;
    case R_SCTP_INVALID_STATE: return `Invalid, old_state ${n(0)}, dir ${n(1)}, type ${n(2)}`;
    case R_TABLE_FULL: return TABLE_FULL_MESSAGE;
    case R_RATELIMIT_SUPPRESSED: return `net_ratelimit: ${n(0)} callbacks suppressed`;
    default: return `unknown reason ${code}`;
  }
}
