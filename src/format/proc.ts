/**
 * /proc formats.
 *
 * formatProc — one line of Linux 6.18 /proc/net/nf_conntrack, ported from
 * net/netfilter/nf_conntrack_standalone.c ct_seq_show()/print_tuple() and the
 * l4proto print_conntrack() hooks. Field order:
 *   "%-8s %u %-8s %u " l3 name/number, l4 name/number
 *   "%ld "             nf_ct_expires/HZ — omitted when IPS_OFFLOAD is set
 *   state              tcp/sctp: "%s " state name; gre: "timeout=%u, stream_timeout=%u "
 *   orig tuple         "src=%pI4|%pI6 dst=… " + "sport=%hu dport=%hu " (tcp udp udplite sctp)
 *                      | "type=%u code=%u id=%u " (icmp icmpv6) | "srckey=0x%x dstkey=0x%x " (gre)
 *                      | nothing (generic)
 *   "packets=%llu bytes=%llu "   only with the acct extension
 *   "[UNREPLIED] "     when !SEEN_REPLY
 *   reply tuple, reply counters
 *   "[HW_OFFLOAD] " else "[OFFLOAD] " else "[ASSURED] "
 *   "mark=%u " "zone=%u " (always, also zone=0) "delta-time=%llu " (tstamp ext only)
 *   "use=%u\n"         — the line ends "use=N" with NO trailing space.
 * (Direction-specific zones `zone-orig=`/`zone-reply=` and `secctx=` are not modelled.)
 * l4 names: icmp tcp udp udplite gre sctp icmpv6, else "unknown" (the 6.18 kernel
 * on this VM prints `udplite`, observed).
 *
 * formatLegacy — Linux 2.4.32 /proc/net/ip_conntrack (net/ipv4/netfilter/
 * ip_conntrack_standalone.c print_conntrack()).
 *
 * formatProcStat — /proc/net/stat/nf_conntrack (ct_cpu_seq_show()).
 */
import type { ConnSnapshot } from './snapshot.js';
import { IPS_ASSURED, IPS_HW_OFFLOAD, IPS_OFFLOAD, IPS_SEEN_REPLY } from './status.js';
import { countersText, l3Name, l4Kind, pad8, seconds, toBigNs, tupleText, NS_PER_SEC } from './common.js';
import { l4protoName } from '../proto/l4proto.js';

/** Kernel 6.18 l4proto_name(). */
export const procL4Name = l4protoName;

export interface ProcOptions {
  /**
   * "Now" (CLOCK_REALTIME ns) for `delta-time=` — printed only when the
   * snapshot has startNs (tstamp extension). Kernel: (now - start)/1e9 truncated,
   * 0 when negative. Defaults to startNs (delta-time=0).
   */
  nowNs?: bigint | number;
}

/** One /proc/net/nf_conntrack line of Linux 6.18, without the trailing newline. */
export function formatProc(s: ConnSnapshot, opts: ProcOptions = {}): string {
  const kind = l4Kind(s.protonum, false);
  let out = `${pad8(l3Name(s.l3num))} ${s.l3num} ${pad8(procL4Name(s.protonum))} ${s.protonum} `;
  if (!(s.status & IPS_OFFLOAD)) out += `${seconds(s.timeoutMs)} `;
  if ((s.protonum === 6 || s.protonum === 132) && s.state !== null) out += `${s.state} `;
  if (s.protonum === 47) {
    // gre_print_conntrack(): per-entry timeouts in seconds; packet-created entries
    // get the gre sysctls (30 / 180), ctnetlink-created ones print 0 / 0.
    out += `timeout=${s.extra?.greTimeout ?? 30}, stream_timeout=${s.extra?.greStreamTimeout ?? 180} `;
  }
  out += tupleText(s.orig, 'proc', kind);
  out += countersText(s.orig);
  if (!(s.status & IPS_SEEN_REPLY)) out += '[UNREPLIED] ';
  out += tupleText(s.reply, 'proc', kind);
  out += countersText(s.reply);
  if (s.status & IPS_HW_OFFLOAD) out += '[HW_OFFLOAD] ';
  else if (s.status & IPS_OFFLOAD) out += '[OFFLOAD] ';
  else if (s.status & IPS_ASSURED) out += '[ASSURED] ';
  out += `mark=${s.mark >>> 0} zone=${s.zone} `;
  if (s.startNs !== undefined) {
    const start = toBigNs(s.startNs);
    const now = opts.nowNs === undefined ? start : toBigNs(opts.nowNs);
    const d = now - start;
    out += `delta-time=${d > 0n ? d / NS_PER_SEC : 0n} `;
  }
  out += `use=${s.use}`;
  return out;
}

export interface LegacyOptions {
  /** CONFIG_IP_NF_CONNTRACK_MARK: append "mark=%ld " (off in the tutorial's output). */
  mark?: boolean;
}

/**
 * One Linux 2.4.32 /proc/net/ip_conntrack line (no trailing newline):
 *   "%-8s %u %lu " proto name, protonum, remaining seconds (truncated)
 *   tcp: "%s " state name (udp/icmp/generic print nothing)
 *   orig tuple, "packets= bytes= " (CONFIG_IP_NF_CT_ACCT), "[UNREPLIED] ", reply tuple,
 *   counters, "[ASSURED] ", "use=%u ", optional "mark=%ld ".
 * The 2.4 line DOES end with a space ("use=1 " then "\n"); it is kept here.
 * No l3 column, no zone, no offload flags. Protocols: tcp udp icmp (mainline 2.4
 * had no GRE/SCTP tracker; every other protocol is the generic "unknown" with
 * no L4 part). `use` is s.use - 1: 2.4's reader took no reference, so an idle
 * entry read 1 where 6.18's /proc reads 2.
 * IPv6 did not exist in ip_conntrack; for an IPv6 snapshot the same layout is
 * returned with 6.18-style full `%pI6` addresses (a ctscope extension, not 2.4 output).
 */
export function formatLegacy(s: ConnSnapshot, opts: LegacyOptions = {}): string {
  const name = s.protonum === 6 ? 'tcp' : s.protonum === 17 ? 'udp' : s.protonum === 1 ? 'icmp' : 'unknown';
  const kind = s.protonum === 6 || s.protonum === 17 ? 'ports' : s.protonum === 1 ? 'icmp' : 'none';
  let out = `${pad8(name)} ${s.protonum} ${seconds(s.timeoutMs)} `;
  if (s.protonum === 6 && s.state !== null) out += `${s.state} `;
  out += tupleText(s.orig, 'proc', kind);
  out += countersText(s.orig);
  if (!(s.status & IPS_SEEN_REPLY)) out += '[UNREPLIED] ';
  out += tupleText(s.reply, 'proc', kind);
  out += countersText(s.reply);
  if (s.status & IPS_ASSURED) out += '[ASSURED] ';
  out += `use=${Math.max(0, s.use - 1)} `;
  if (opts.mark) out += `mark=${s.mark | 0} `;
  return out;
}

/** Per-CPU counters of struct ip_conntrack_stat that /proc/net/stat/nf_conntrack shows. */
export interface ProcStatCpu {
  clash_resolve?: number;
  found?: number;
  invalid?: number;
  chaintoolong?: number;
  insert?: number;
  insert_failed?: number;
  drop?: number;
  early_drop?: number;
  /** printed in the icmp_error column */
  error?: number;
  expect_new?: number;
  expect_create?: number;
  expect_delete?: number;
  search_restart?: number;
}

/** Header line of /proc/net/stat/nf_conntrack (6.18; note the two double spaces). */
export const PROC_STAT_HEADER =
  'entries  clashres found new invalid ignore delete chainlength insert insert_failed drop early_drop icmp_error  expect_new expect_create expect_delete search_restart';

function hex8(n: number | undefined): string {
  return ((n ?? 0) >>> 0).toString(16).padStart(8, '0');
}

/**
 * /proc/net/stat/nf_conntrack of 6.18: the header, then one line per CPU
 * (lines joined with "\n", no trailing newline). Each line is "%08x" values;
 * two spaces after `entries` and before `expect_new`. `entries` is the
 * namespace's entry count (same on every line); `new`, `ignore`, `delete` are
 * constant 0 in 6.18 and the `chainlength` column holds chaintoolong.
 */
export function formatProcStat(perCpu: readonly ProcStatCpu[], entries: number): string {
  const lines = [PROC_STAT_HEADER];
  for (const st of perCpu) {
    const a = [hex8(entries)];
    const b = [
      hex8(st.clash_resolve),
      hex8(st.found),
      hex8(0),
      hex8(st.invalid),
      hex8(0),
      hex8(0),
      hex8(st.chaintoolong),
      hex8(st.insert),
      hex8(st.insert_failed),
      hex8(st.drop),
      hex8(st.early_drop),
      hex8(st.error),
    ];
    const c = [hex8(st.expect_new), hex8(st.expect_create), hex8(st.expect_delete), hex8(st.search_restart)];
    lines.push(`${a.join(' ')}  ${b.join(' ')}  ${c.join(' ')}`);
  }
  return lines.join('\n');
}
