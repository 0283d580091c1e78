/**
 * Input type of every formatter in src/format: a read-only picture of one
 * conntrack entry at one instant. The engine produces it (cold path only).
 */

/** One direction of an entry (orig or reply tuple) plus its acct counters. */
export interface TupleSnapshot {
  /** 4 bytes (IPv4) or 16 bytes (IPv6), network order. */
  src: Uint8Array;
  dst: Uint8Array;
  /** tcp/udp/udplite/sctp (0 otherwise). */
  sport: number;
  dport: number;
  /** icmp/icmpv6 (0 otherwise). */
  icmpType: number;
  icmpCode: number;
  icmpId: number;
  /** gre keys (later issue). */
  greKeySrc?: number;
  greKeyDst?: number;
  /** Per-direction counters, present only when accounting is on. */
  packets?: number;
  bytes?: number;
}

/** A read-only picture of one conntrack entry at one instant: what formatters print. Cold path only. */
export interface ConnSnapshot {
  /** AF_INET / AF_INET6. */
  l3num: 2 | 10;
  /** 6 tcp, 17 udp, 136 udplite, 1 icmp, 58 icmpv6, 47 gre, 132 sctp, other = generic. */
  protonum: number;
  /** Remaining time; formatters print Math.floor(timeoutMs/1000) (kernel: nf_ct_expires/HZ, truncated). */
  timeoutMs: number;
  /** Protocol state name for tcp/sctp ("SYN_SENT"...), null otherwise. */
  state: string | null;
  /** IPS_* bits (see status.ts). */
  status: number;
  orig: TupleSnapshot;
  reply: TupleSnapshot;
  mark: number;
  zone: number;
  /** Refcount as /proc shows it (2 for an idle entry); conntrack -L shows 1. */
  use: number;
  /** u32, for -o id. */
  id: number;
  /** Helper name (conntrack -L prints helper=). */
  helper: string | null;
  /** Entry start time (CLOCK_REALTIME ns), only when the tstamp extension is on. */
  startNs?: bigint | number;
  extra?: { greTimeout?: number; greStreamTimeout?: number };
}
