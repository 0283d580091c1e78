/**
 * What a full table does (nf_conntrack_core.c, Linux 6.18), as constants and the
 * protocol rule the gc worker's early-drop mode asks. The packet path itself is
 * in conntrack.ts (earlyDrop, dropFull, chainTooLong), the gc worker in
 * gc-worker.ts, the warning's rate limit in ratelimit.ts.
 *
 * - A new entry that would take nf_conntrack_count past nf_conntrack_max first
 *   tries early drop: up to NF_CT_EVICTION_RANGE buckets from the bucket of the
 *   packet's tuple; in the first one holding any entry that is neither ASSURED
 *   nor dying, all such entries are deleted (DESTROY) and counted in early_drop.
 * - If none could go, the packet is dropped (stat drop) and the kernel warns
 *   TABLE_FULL_MESSAGE (through net_ratelimit); the gc worker is switched to
 *   early-drop mode.
 * - At confirmation, a bucket chain longer than a random limit in
 *   [MIN_CHAINLEN, MIN_CHAINLEN + MAX_CHAINLEN_SPAN) refuses the entry:
 *   chaintoolong and insert_failed, the packet is dropped.
 */
import { IPPROTO_SCTP, IPPROTO_TCP, IPS_ASSURED } from './consts.js';
import { tcpCanEarlyDrop } from '../proto/tcp.js';
import { sctpCanEarlyDrop } from '../proto/sctp-states.js';

/** Buckets early drop looks at, from the new tuple's own. */
export const NF_CT_EVICTION_RANGE = 8;
/** The chain-length limit at confirmation is MIN_CHAINLEN + random below MAX_CHAINLEN_SPAN. */
export const MIN_CHAINLEN = 50;
export const MAX_CHAINLEN_SPAN = 30;
/**
 * Average tuplehash nodes per bucket from which ctscope keeps the kernel chains
 * for the length check. Below it, a chain of MIN_CHAINLEN + 2 nodes is
 * practically impossible with a seeded hash (Poisson tail under 1e-20 per bucket).
 */
export const CHAINS_LOAD = 8;
/**
 * The kernel's warning when a packet is dropped because the table is full, as
 * 6.18 prints it in the initial namespace (the one a replay stands for): the
 * file's pr_fmt puts the module name before a text that starts with it already.
 * Other namespaces get "... table full in netns N, dropping packet" (recorded).
 */
export const TABLE_FULL_MESSAGE = 'nf_conntrack: nf_conntrack: table full, dropping packet';

/**
 * gc_worker_can_early_drop(): in the gc worker's early-drop mode (table at least
 * 95 % full after a table-full drop) an entry may go when it is not ASSURED, or
 * when its protocol says it is closing (TCP FIN_WAIT, CLOSE_WAIT, LAST_ACK,
 * TIME_WAIT, CLOSE; SCTP SHUTDOWN_*).
 */
export function gcCanEarlyDrop(status: number, protonum: number, state: number): boolean {
  if (!(status & IPS_ASSURED)) return true;
  if (protonum === IPPROTO_TCP) return tcpCanEarlyDrop(state);
  if (protonum === IPPROTO_SCTP) return sctpCanEarlyDrop(state);
  return false;
}

/** nf_conntrack_max / 100 * 95, in the kernel's integer arithmetic. */
export function max95(max: number): number {
  return Math.floor(max / 100) * 95;
}
