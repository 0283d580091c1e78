/**
 * conntrack-tools 1.4.7 text (`conntrack -L`, `conntrack -E`, `conntrack -S`),
 * ported from libnetfilter_conntrack src/conntrack/snprintf_default.c
 * (__snprintf_conntrack_default) and conntrack-tools src/conntrack.c.
 *
 * Line layout (every field is printed followed by one space; the last space
 * is removed, so lines never end in a space):
 *   "%9s " event tag  ("    [NEW] ", " [UPDATE] ", "[DESTROY] ") — events only
 *   "%-8s %u " l3 name/number — `-o extended` only
 *   "%-8s %u " l4 name/number (tcp udp udplite icmp icmpv6 sctp gre dccp, else unknown)
 *   "%u " timeout                       — when the message carries CTA_TIMEOUT
 *   "%s " tcp/sctp state                — when it carries CTA_PROTOINFO
 *   orig "src= dst= " (inet_ntoa / inet_ntop: compressed IPv6) + "sport= dport= "
 *        | "type= code= id= " | "srckey=0x dstkey=0x " | nothing
 *   "packets= bytes= "                  — when it carries counters
 *   "[UNREPLIED] "  reply tuple  reply counters  "[HW_OFFLOAD] "|"[OFFLOAD] "|"[ASSURED] "
 *   "mark=%u "  "zone=%u " (only a non-default zone: the kernel omits CTA_ZONE for 0)
 *   "delta-time=%llu " (tstamp ext)  "helper=%s "  "use=%u "  "id=%u " (-o id)
 *
 * What the 6.18 kernel puts in each message (net/netfilter/nf_conntrack_netlink.c):
 * - Dump (`-L`, ctnetlink_fill_info with extinfo): status, mark (always, also 0),
 *   id, use, timeout and protoinfo (both skipped for IPS_OFFLOAD entries),
 *   counters (acct ext), timestamps (tstamp ext), helper. `use` printed by
 *   conntrack -L is one less than /proc's (the /proc reader holds a reference):
 *   an idle entry shows use=1 here, use=2 in /proc.
 * - Events (ctnetlink_conntrack_event), all types: tuples, zone (non-default),
 *   id, status; never `use`. mark only when non-zero or IPCT_MARK is among the
 *   event bits (opts.markEvent).
 *   * NEW / UPDATE: timeout always (0 too; confirmed entries print
 *     nf_ct_expires/HZ, i.e. the full configured value right after a refresh:
 *     `432000`); protoinfo ONLY when IPCT_PROTOINFO is among the event bits —
 *     TCP/SCTP set it when the packet changed the protocol state (also the
 *     first packet: NONE -> SYN_SENT, so NEW events of tcp carry it); an event
 *     caused only by e.g. IPCT_ASSURED/IPCT_REPLY/IPCT_MARK or a status change
 *     without state change has none → set opts.noProtoinfo (`[UPDATE] tcp 6 300
 *     src=…`); helper when the entry has one; no counters, no timestamps.
 *   * DESTROY: timeout only when > 0 s (skip_zero), counters when acct is on,
 *     start/stop timestamps (→ delta-time), protoinfo always (state), no helper.
 * Events caused by a userspace request also get ` [USERSPACE] portid=N
 * progname=X` from conntrack -E; replayed packets never do, so it is not modelled.
 */
import type { ConnSnapshot } from './snapshot.js';
import { IPS_ASSURED, IPS_HW_OFFLOAD, IPS_OFFLOAD, IPS_SEEN_REPLY } from './status.js';
import { countersText, l3Name, l4Kind, pad8, seconds, toBigNs, tupleText, NS_PER_SEC } from './common.js';
import { l4protoName } from '../proto/l4proto.js';

/** libnetfilter_conntrack __proto2str(): the kernel's names, plus dccp. */
export function ctL4Name(protonum: number): string {
  return protonum === 33 ? 'dccp' : l4protoName(protonum);
}

export type CtEvent = 'NEW' | 'UPDATE' | 'DESTROY';

export interface ConntrackOptions {
  /** Format as a `conntrack -E` event line of this type; absent = `conntrack -L` line. */
  event?: CtEvent;
  /** `-o extended`: print the l3 column. */
  extended?: boolean;
  /** `-o id`: print `id=`. */
  id?: boolean;
  /** Override the remaining timeout (ms) — e.g. the exact value at event time. */
  timeoutMs?: number;
  /** NEW/UPDATE events only: the event bits lack IPCT_PROTOINFO → no state printed. */
  noProtoinfo?: boolean;
  /** Events only: IPCT_MARK is among the event bits → `mark=` printed even when 0. */
  markEvent?: boolean;
  /**
   * Listings: "now" (CLOCK_REALTIME ns) for delta-time (libnetfilter:
   * floor(now s) - floor(start s)); DESTROY events: the stop time. Defaults to startNs.
   */
  nowNs?: bigint | number;
}

const TAGS: Record<CtEvent, string> = {
  NEW: '    [NEW] ',
  UPDATE: ' [UPDATE] ',
  DESTROY: '[DESTROY] ',
};

/** One conntrack-tools 1.4.7 `-L` or `-E` line (no trailing newline). */
export function formatConntrack(s: ConnSnapshot, opts: ConntrackOptions = {}): string {
  const ev = opts.event;
  const offload = (s.status & IPS_OFFLOAD) !== 0;
  const kind = l4Kind(s.protonum, true);
  const timeoutS = seconds(opts.timeoutMs ?? s.timeoutMs);

  let showTimeout: boolean;
  let showProto: boolean;
  let showCounters: boolean;
  let showMark: boolean;
  let showStamp: boolean;
  let showHelper: boolean;
  let showUse: boolean;
  if (ev === undefined) {
    showTimeout = !offload;
    showProto = !offload;
    showCounters = true;
    showMark = true;
    showStamp = true;
    showHelper = true;
    showUse = true;
  } else if (ev === 'DESTROY') {
    showTimeout = timeoutS > 0;
    showProto = true;
    showCounters = true;
    showMark = s.mark !== 0 || opts.markEvent === true;
    showStamp = true;
    showHelper = false;
    showUse = false;
  } else {
    showTimeout = true;
    showProto = opts.noProtoinfo !== true;
    showCounters = false;
    showMark = s.mark !== 0 || opts.markEvent === true;
    showStamp = false;
    showHelper = true;
    showUse = false;
  }

  let out = ev === undefined ? '' : TAGS[ev];
  if (opts.extended) out += `${pad8(l3Name(s.l3num))} ${s.l3num} `;
  out += `${pad8(ctL4Name(s.protonum))} ${s.protonum} `;
  if (showTimeout) out += `${timeoutS} `;
  if (showProto && (s.protonum === 6 || s.protonum === 132) && s.state !== null) out += `${s.state} `;
  out += tupleText(s.orig, 'compressed', kind);
  if (showCounters) out += countersText(s.orig);
  if (!(s.status & IPS_SEEN_REPLY)) out += '[UNREPLIED] ';
  out += tupleText(s.reply, 'compressed', kind);
  if (showCounters) out += countersText(s.reply);
  if (s.status & IPS_HW_OFFLOAD) out += '[HW_OFFLOAD] ';
  else if (offload) out += '[OFFLOAD] ';
  else if (s.status & IPS_ASSURED) out += '[ASSURED] ';
  if (showMark) out += `mark=${s.mark >>> 0} `;
  if (s.zone !== 0) out += `zone=${s.zone} `;
  if (showStamp && s.startNs !== undefined) {
    const startS = toBigNs(s.startNs) / NS_PER_SEC;
    const stopS = (opts.nowNs === undefined ? toBigNs(s.startNs) : toBigNs(opts.nowNs)) / NS_PER_SEC;
    out += `delta-time=${stopS - startS} `;
  }
  if (showHelper && s.helper !== null) out += `helper=${s.helper} `;
  if (showUse) out += `use=${Math.max(0, s.use - 1)} `;
  if (opts.id) out += `id=${s.id >>> 0} `;
  return out.slice(0, -1);
}

/** Order in which 6.18 sends CTA_STATS_* for `conntrack -S` (and conntrack prints them). */
export const CT_STATS_KEYS = [
  'found',
  'invalid',
  'insert',
  'insert_failed',
  'drop',
  'early_drop',
  'error',
  'search_restart',
  'clash_resolve',
  'chaintoolong',
] as const;

export const CT_EXP_STATS_KEYS = ['expect_new', 'expect_create', 'expect_delete'] as const;

function statsLine(keys: readonly string[], stats: Readonly<Record<string, number>>, cpu: number): string {
  let out = `cpu=${String(cpu).padEnd(4, ' ')}\t`;
  for (const k of keys) out += `${k}=${(stats[k] ?? 0) >>> 0} `;
  return out;
}

/**
 * One `conntrack -S` line: `cpu=%-4u\t` then `name=%u ` for each counter in
 * kernel order (missing keys print 0). The line ends with a space (observed).
 */
export function formatStats(stats: Readonly<Record<string, number>>, cpu = 0): string {
  return statsLine(CT_STATS_KEYS, stats, cpu);
}

/** One `conntrack -S expect` line (same layout; ends with a space). */
export function formatExpectStats(stats: Readonly<Record<string, number>>, cpu = 0): string {
  return statsLine(CT_EXP_STATS_KEYS, stats, cpu);
}
