/**
 * Conntrack helpers (struct nf_conntrack_helper): protocol parsers attached to
 * an entry that read its payload and set up expectations for the connections it
 * announces. Since Linux 6.0 a helper is attached only by the ruleset (nft
 * `ct helper set`, iptables `-j CT --helper`), which ctscope models as rules
 * (`--helper ftp`, `--helper ftp:2121`); `nf_conntrack_helper=1` brings back the
 * tutorial era's automatic assignment by well-known port.
 */
import type { PacketMeta } from '../packet/ip.js';
import type { ConnTable } from '../table/conn-table.js';
import type { Expectation, ExpectRefusal } from '../expect/expectations.js';
import type { GreKeymap } from '../proto/gre.js';

export interface ExpectPolicy {
  /** Shown after the helper name in /proc/net/nf_conntrack_expect when not empty. */
  name: string;
  maxExpected: number;
  timeoutSec: number;
}

/** What a helper may do while it looks at a packet. */
export interface HelperContext {
  readonly meta: PacketMeta;
  readonly table: ConnTable;
  readonly nowMs: number;
  /**
   * nf_ct_expect_init + nf_ct_expect_related: expect a connection from `src`
   * (any port; any address when `src` is null) to `dst`:`dport` (addresses as 4
   * words like tuples), of class `cls`.
   */
  expect(master: number, l3num: number, protonum: number, src: Uint32Array | null, srcBase: number,
    dst: Uint32Array, dstBase: number, dport: number, cls: number, sport?: number): Expectation | ExpectRefusal;
  /** nf_ct_helper_log(): the kernel logs "nf_ct_NAME: dropping packet: TEXT". */
  logDrop(text: string): void;
  /** nf_ct_unexpect_related(): withdraws an expectation (DESTROY event). */
  unexpect(e: Expectation): void;
  /** nf_ct_expect_find_get(): the first expectation the tuple at t[base] matches, or null. */
  findExpectation(t: Uint32Array, base: number): Expectation | null;
  /** nf_conntrack_find_get(): the confirmed entry holding the tuple at t[base] (either direction), or -1. */
  findConn(t: Uint32Array, base: number): number;
  /** nf_ct_kill(): the entry goes now (DESTROY). */
  kill(conn: number): void;
  /** The GRE key map (nf_conntrack_proto_gre.c), which the PPTP helper fills. */
  readonly keymap: GreKeymap;
}

export interface ConntrackHelper {
  readonly name: string;
  readonly protonum: number;
  /** Well-known ports (for nf_conntrack_helper=1 and `--helper NAME`). */
  readonly ports: readonly number[];
  /** Address families it is registered for (IRC: IPv4 only). Defaults to both. */
  readonly families?: readonly (4 | 6)[];
  readonly policies: readonly ExpectPolicy[];
  /** Per-entry private data (struct nf_conn_help's data). */
  createState(): object;
  /**
   * helper->help(): called when the entry's packet leaves (nf_confirm), after
   * tracking. `established` is ctinfo ESTABLISHED or ESTABLISHED_REPLY.
   * Returns NF_ACCEPT, or NF_DROP to drop the packet.
   */
  help(ctx: HelperContext, conn: number, dir: number, established: boolean, state: object): number;
  /** helper->destroy(): the entry is being deleted (after its DESTROY event, before its expectations go). */
  destroy?(ctx: HelperContext, conn: number, state: object): void;
}

/** A rule attaching a helper to new connections: protocol and destination port. */
export interface HelperRule {
  helper: ConntrackHelper;
  protonum: number;
  port: number;
}
