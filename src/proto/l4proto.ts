/**
 * What an L4 tracker sees of the engine (the parts of struct net, nf_conn and
 * the hook state that nf_conntrack_*_packet() use). The hot path dispatches on
 * the protocol number with a switch (nf_conntrack_handle_packet); this file
 * holds the shared context type and the cold per-protocol facts.
 */
import type { ConnTable } from '../table/conn-table.js';
import { TCP_CONNTRACK_NAMES } from './tcp-states.js';
import { SCTP_CONNTRACK_NAMES } from './sctp-states.js';
import type { Sysctls } from '../core/sysctl.js';
import type { PacketMeta } from '../packet/ip.js';
import type { PacketResult } from '../core/packet-result.js';
import { IPPROTO_ICMP, IPPROTO_ICMPV6, IPPROTO_TCP, IPPROTO_UDP, IPPROTO_UDPLITE, IPPROTO_GRE, IPPROTO_SCTP } from '../core/consts.js';

export interface TrackerContext {
  readonly table: ConnTable;
  readonly sysctl: Sysctls;
  /** The capture clock, ms. */
  readonly nowMs: number;
  /** The packet being tracked. */
  readonly meta: PacketMeta;
  /** The verdict being built for it. */
  readonly result: PacketResult;
  /** IPCT_* events cached for the entry during this packet (nf_conntrack_event_cache). */
  events: number;
  /** nf_l4proto_log_invalid / nf_ct_l4proto_log_invalid: record a message for this packet. */
  log(code: number, a0?: number, a1?: number, a2?: number, a3?: number): void;
  /** nf_ct_refresh_acct: set the timeout (seconds) and count the packet. */
  refresh(idx: number, timeoutSec: number): void;
  /** nf_ct_kill_acct: count the packet and destroy the entry now. */
  killAcct(idx: number): void;
  /** nf_ct_kill: destroy the entry now (DESTROY event). */
  kill(idx: number): void;
}

/** l4proto_name() of nf_conntrack_standalone.c. */
export function l4protoName(protonum: number): string {
  switch (protonum) {
    case IPPROTO_TCP: return 'tcp';
    case IPPROTO_UDP: return 'udp';
    case IPPROTO_UDPLITE: return 'udplite';
    case IPPROTO_ICMP: return 'icmp';
    case IPPROTO_ICMPV6: return 'icmpv6';
    case IPPROTO_GRE: return 'gre';
    case IPPROTO_SCTP: return 'sctp';
    default: return 'unknown';
  }
}

/** The printed name of an entry's protocol state (tcp_conntrack_names, sctp_conntrack_names), or null. */
export function stateName(protonum: number, state: number): string | null {
  if (protonum === IPPROTO_TCP) return TCP_CONNTRACK_NAMES[state] ?? null;
  if (protonum === IPPROTO_SCTP) return SCTP_CONNTRACK_NAMES[state] ?? null;
  return null;
}

/** Protocols whose entries have a state machine (TCP, SCTP). */
export function hasStates(protonum: number): boolean {
  return protonum === IPPROTO_TCP || protonum === IPPROTO_SCTP;
}

/** Protocols whose entries keep protocol-private words (ConnTable.attachPrivate): TCP, SCTP, GRE. */
export function keepsPrivate(protonum: number): boolean {
  return protonum === IPPROTO_TCP || protonum === IPPROTO_SCTP || protonum === IPPROTO_GRE;
}

/** Protocols whose tuple carries ports (nf_ct_get_tuple_ports in 6.18). */
export function hasPorts(protonum: number): boolean {
  return protonum === IPPROTO_TCP || protonum === IPPROTO_UDP || protonum === IPPROTO_UDPLITE || protonum === IPPROTO_SCTP;
}
