/**
 * The net.netfilter.nf_conntrack_* knobs, with Linux 6.18's defaults
 * (nf_conntrack_standalone.c and the per-protocol *_init_net functions).
 * Timeouts are in seconds, as the sysctl files show them.
 */
export interface Sysctls {
  nf_conntrack_checksum: number;
  nf_conntrack_log_invalid: number;
  nf_conntrack_acct: number;
  nf_conntrack_timestamp: number;
  nf_conntrack_events: number;
  nf_conntrack_max: number;
  nf_conntrack_buckets: number;
  nf_conntrack_expect_max: number;
  nf_conntrack_generic_timeout: number;
  nf_conntrack_icmp_timeout: number;
  nf_conntrack_icmpv6_timeout: number;
  nf_conntrack_udp_timeout: number;
  nf_conntrack_udp_timeout_stream: number;
  nf_conntrack_gre_timeout: number;
  nf_conntrack_gre_timeout_stream: number;
  nf_conntrack_tcp_timeout_syn_sent: number;
  nf_conntrack_tcp_timeout_syn_recv: number;
  nf_conntrack_tcp_timeout_established: number;
  nf_conntrack_tcp_timeout_fin_wait: number;
  nf_conntrack_tcp_timeout_close_wait: number;
  nf_conntrack_tcp_timeout_last_ack: number;
  nf_conntrack_tcp_timeout_time_wait: number;
  nf_conntrack_tcp_timeout_close: number;
  nf_conntrack_tcp_timeout_max_retrans: number;
  nf_conntrack_tcp_timeout_unacknowledged: number;
  nf_conntrack_tcp_loose: number;
  nf_conntrack_tcp_be_liberal: number;
  nf_conntrack_tcp_ignore_invalid_rst: number;
  nf_conntrack_tcp_max_retrans: number;
  nf_conntrack_sctp_timeout_closed: number;
  nf_conntrack_sctp_timeout_cookie_wait: number;
  nf_conntrack_sctp_timeout_cookie_echoed: number;
  nf_conntrack_sctp_timeout_established: number;
  nf_conntrack_sctp_timeout_shutdown_sent: number;
  nf_conntrack_sctp_timeout_shutdown_recd: number;
  nf_conntrack_sctp_timeout_shutdown_ack_sent: number;
  nf_conntrack_sctp_timeout_heartbeat_sent: number;
  nf_conntrack_frag6_timeout: number;
  nf_conntrack_frag6_low_thresh: number;
  nf_conntrack_frag6_high_thresh: number;
  /**
   * Automatic helper assignment by well-known port. It left the kernel in 6.0
   * (helpers are attached by the ruleset now); ctscope keeps it to replay the
   * tutorial's world. Defaults to 0.
   */
  nf_conntrack_helper: number;
}

export const SYSCTL_DEFAULTS: Readonly<Sysctls> = Object.freeze({
  nf_conntrack_checksum: 1,
  nf_conntrack_log_invalid: 0,
  nf_conntrack_acct: 0,
  nf_conntrack_timestamp: 0,
  nf_conntrack_events: 2,
  nf_conntrack_max: 262144,
  nf_conntrack_buckets: 262144,
  nf_conntrack_expect_max: 4096,
  nf_conntrack_generic_timeout: 600,
  nf_conntrack_icmp_timeout: 30,
  nf_conntrack_icmpv6_timeout: 30,
  nf_conntrack_udp_timeout: 30,
  nf_conntrack_udp_timeout_stream: 120,
  nf_conntrack_gre_timeout: 30,
  nf_conntrack_gre_timeout_stream: 180,
  nf_conntrack_tcp_timeout_syn_sent: 120,
  nf_conntrack_tcp_timeout_syn_recv: 60,
  nf_conntrack_tcp_timeout_established: 432000,
  nf_conntrack_tcp_timeout_fin_wait: 120,
  nf_conntrack_tcp_timeout_close_wait: 60,
  nf_conntrack_tcp_timeout_last_ack: 30,
  nf_conntrack_tcp_timeout_time_wait: 120,
  nf_conntrack_tcp_timeout_close: 10,
  nf_conntrack_tcp_timeout_max_retrans: 300,
  nf_conntrack_tcp_timeout_unacknowledged: 300,
  nf_conntrack_tcp_loose: 1,
  nf_conntrack_tcp_be_liberal: 0,
  nf_conntrack_tcp_ignore_invalid_rst: 0,
  nf_conntrack_tcp_max_retrans: 3,
  nf_conntrack_sctp_timeout_closed: 10,
  nf_conntrack_sctp_timeout_cookie_wait: 3,
  nf_conntrack_sctp_timeout_cookie_echoed: 3,
  nf_conntrack_sctp_timeout_established: 210,
  nf_conntrack_sctp_timeout_shutdown_sent: 3,
  nf_conntrack_sctp_timeout_shutdown_recd: 3,
  nf_conntrack_sctp_timeout_shutdown_ack_sent: 3,
  nf_conntrack_sctp_timeout_heartbeat_sent: 30,
  nf_conntrack_frag6_timeout: 60,
  nf_conntrack_frag6_low_thresh: 3145728,
  nf_conntrack_frag6_high_thresh: 4194304,
  nf_conntrack_helper: 0,
});

/**
 * Timeout profiles from other eras, for learners.
 * - `tutorial`: the "Internal states" table of Oskar Andreasson's Iptables Tutorial
 *   (NONE 30 min, ESTABLISHED 5 days, SYN_SENT 2 min, SYN_RECV 60 s, FIN_WAIT 2 min,
 *   TIME_WAIT 2 min, CLOSE 10 s, CLOSE_WAIT 12 h, LAST_ACK 30 s, LISTEN 2 min).
 * - `linux-2.4`: the values in Linux 2.4.0's ip_conntrack_proto_tcp.c/udp.c where they
 *   differ from the tutorial: CLOSE_WAIT 60 s, UDP replied 180 s.
 * Only timeouts change: the state machine stays 6.18's. 2.4.0 had no window tracking,
 * so its profiles also lift the RETRANS/UNACK caps (they only shorten timeouts).
 */
/** What the tutorial and 2.4.0 share (no window tracking, so no UNACK/RETRANS caps). */
const ERA_2_4: Partial<Sysctls> = {
  nf_conntrack_tcp_timeout_syn_sent: 120,
  nf_conntrack_tcp_timeout_syn_recv: 60,
  nf_conntrack_tcp_timeout_established: 432000,
  nf_conntrack_tcp_timeout_fin_wait: 120,
  nf_conntrack_tcp_timeout_time_wait: 120,
  nf_conntrack_tcp_timeout_close: 10,
  nf_conntrack_tcp_timeout_last_ack: 30,
  nf_conntrack_tcp_timeout_max_retrans: 432000,
  nf_conntrack_tcp_timeout_unacknowledged: 432000,
  nf_conntrack_udp_timeout_stream: 180,
};

export const PROFILES: Readonly<Record<string, Partial<Sysctls>>> = Object.freeze({
  tutorial: { ...ERA_2_4, nf_conntrack_tcp_timeout_close_wait: 43200 },
  'linux-2.4': { ...ERA_2_4, nf_conntrack_tcp_timeout_close_wait: 60 },
});

const PREFIX = 'net.netfilter.';

/** Error for a bad sysctl name or value; the CLI prints its message. */
export class SysctlError extends Error {
  override readonly name = 'SysctlError';
}

/** Accepts `net.netfilter.nf_conntrack_x`, `nf_conntrack_x` or `net/netfilter/nf_conntrack_x`. */
export function sysctlKey(name: string): keyof Sysctls {
  const key = name.replace(/\//g, '.').replace(PREFIX, '');
  if (!Object.prototype.hasOwnProperty.call(SYSCTL_DEFAULTS, key)) {
    throw new SysctlError(`unknown sysctl ${name}`);
  }
  return key as keyof Sysctls;
}

/** Builds a full sysctl set from defaults, an optional profile and overrides. */
export function makeSysctls(overrides: Readonly<Record<string, number>> = {}, profile?: string): Sysctls {
  const out: Sysctls = { ...SYSCTL_DEFAULTS };
  if (profile !== undefined) {
    const p = PROFILES[profile];
    if (p === undefined) throw new SysctlError(`unknown profile ${profile} (known: ${Object.keys(PROFILES).join(', ')})`);
    Object.assign(out, p);
  }
  for (const [name, value] of Object.entries(overrides)) {
    if (!Number.isInteger(value) || value < 0) throw new SysctlError(`bad value for ${name}: ${value}`);
    out[sysctlKey(name)] = value;
  }
  return out;
}
