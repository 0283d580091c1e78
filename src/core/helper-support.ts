/**
 * Helpers and expectations around the packet path (nf_conntrack_helper.c,
 * nf_conntrack_expect.c): which helper a new entry gets (the ruleset's
 * `ct helper set`, or the legacy automatic assignment), whether a new entry was
 * expected (RELATED), running the helper before confirmation, and cleaning up
 * when a master goes. Created only when helpers are configured, so plain
 * tracking pays nothing for it.
 */
import { IPPROTO_GRE, IPS_EXPECTED, NF_ACCEPT } from './consts.js';
import { ExpectTable, type Expectation, type ExpectRefusal } from '../expect/expectations.js';
import type { ConntrackHelper, HelperContext, HelperRule } from '../helpers/helper.js';
import type { ConnTable } from '../table/conn-table.js';
import type { PacketMeta } from '../packet/ip.js';
import { TUPLE_WORDS, T_META, T_PORTS } from '../tuple/tuple.js';
import { GreKeymap, type GreKeymapOwner } from '../proto/gre.js';

interface Attached {
  helper: ConntrackHelper;
  state: object;
}

export class HelperSupport implements HelperContext {
  readonly expectations: ExpectTable;
  /** Helpers attached to entries, by table slot. */
  private readonly attached = new Map<number, Attached>();
  /** Expected entries and their master (a child holds a reference on its master: use=). */
  private readonly masterOf = new Map<number, number>();
  private readonly children = new Map<number, number>();
  /**
   * Expected GRE entries and their PPTP master's helper data (which outlives the
   * master's slot, as a reference would): destroy_gre_conntrack() empties the
   * master's key map entries when such an entry goes.
   */
  private readonly greMasters = new Map<number, GreKeymapOwner>();
  /** Entries being deleted whose helper has a destroy hook, until it has run (afterDestroy). */
  private readonly dying = new Map<number, Attached>();
  /** The GRE key map of this table's namespace (filled by the PPTP helper). */
  readonly keymap = new GreKeymap();
  meta!: PacketMeta;
  nowMs = 0;
  /** The message of a helper that dropped the current packet. */
  dropMessage: string | null = null;

  constructor(readonly table: ConnTable, private readonly rules: readonly HelperRule[], expectMax: () => number,
    private readonly isAlive: (conn: number, id: number) => boolean, private readonly killConn: (conn: number, atMs: number) => void) {
    this.expectations = new ExpectTable(expectMax);
  }

  /** Live expected entries whose master is `conn` (each holds a reference: /proc's use= grows). */
  childCount(conn: number): number {
    return this.children.get(conn) ?? 0;
  }

  helperOf(conn: number): ConntrackHelper | null {
    return this.attached.get(conn)?.helper ?? null;
  }

  /**
   * init_conntrack(): an expected tuple makes the new entry RELATED to its
   * master (mark copied); otherwise a rule may attach a helper. Returns the
   * expectation used, if any.
   */
  initConntrack(conn: number, nowMs: number): Expectation | null {
    const t = this.table;
    const base = t.origBase(conn);
    const exp = this.expectations.count === 0 ? null
      : this.expectations.take(t.rec, base, nowMs, (e) => this.isAlive(e.master, e.masterId));
    if (exp !== null) {
      t.setStatus(conn, t.statusOf(conn) | IPS_EXPECTED);
      t.setMark(conn, t.markOf(exp.master));
      this.masterOf.set(conn, exp.master);
      this.children.set(exp.master, (this.children.get(exp.master) ?? 0) + 1);
      const ms = this.attached.get(exp.master)?.state;
      if (ms !== undefined && 'keymap' in ms && (t.rec[base + T_META]! & 0xff) === IPPROTO_GRE) this.greMasters.set(conn, ms as GreKeymapOwner);
      if (exp.expectfn !== undefined) {
        this.nowMs = nowMs;
        exp.expectfn(conn, exp);
      }
      return exp;
    }
    const proto = t.rec[base + T_META]! & 0xff;
    const family = ((t.rec[base + T_META]! >>> 8) & 0xff) === 2 ? 4 : 6;
    const dport = t.rec[base + T_PORTS]! & 0xffff;
    for (const r of this.rules) {
      if (r.protonum === proto && r.port === dport && (r.helper.families?.includes(family) ?? true)) {
        this.attached.set(conn, { helper: r.helper, state: r.helper.createState() });
        break;
      }
    }
    return null;
  }

  /** nf_confirm()'s helper call. NF_ACCEPT or NF_DROP. */
  help(conn: number, dir: number, established: boolean, meta: PacketMeta, nowMs: number): number {
    const a = this.attached.get(conn);
    if (a === undefined) return NF_ACCEPT;
    this.meta = meta;
    this.nowMs = nowMs;
    this.dropMessage = null;
    this.currentHelper = a.helper;
    return a.helper.help(this, conn, dir, established, a.state);
  }

  /** The entry is gone (or was never confirmed): its helper data and expectations go with it. */
  forget(conn: number, nowMs: number): void {
    const a = this.attached.get(conn);
    const deferred = a !== undefined && a.helper.destroy !== undefined && this.table.isConfirmed(conn);
    if (deferred) this.dying.set(conn, a);
    this.attached.delete(conn);
    const owner = this.greMasters.get(conn);
    if (owner !== undefined) {
      this.greMasters.delete(conn);
      this.keymap.destroy(owner);
    }
    const master = this.masterOf.get(conn);
    if (master !== undefined) {
      this.masterOf.delete(conn);
      const n = (this.children.get(master) ?? 1) - 1;
      if (n > 0) this.children.set(master, n);
      else this.children.delete(master);
    }
    this.children.delete(conn);
    if (deferred) return; // the helper's destroy hook runs first (afterDestroy)
    if (this.expectations.count > 0) this.expectations.removeMaster(conn, nowMs);
  }

  /**
   * nf_ct_delete_from_lists(), after the DESTROY event: the helper's destroy hook
   * (PPTP: pptp_destroy_siblings), then clean_from_lists() drops what is left of
   * the entry's expectations.
   */
  afterDestroy(conn: number, nowMs: number): void {
    if (this.dying.size === 0) return;
    const a = this.dying.get(conn);
    if (a === undefined) return;
    this.dying.delete(conn);
    this.nowMs = nowMs;
    this.currentHelper = a.helper;
    a.helper.destroy!(this, conn, a.state);
    if (this.expectations.count > 0) this.expectations.removeMaster(conn, nowMs);
  }

  expire(nowMs: number): void {
    this.expectations.expire(nowMs);
  }

  // ---- HelperContext ----------------------------------------------------------

  private currentHelper: ConntrackHelper | null = null;

  expect(master: number, l3num: number, protonum: number, src: Uint32Array | null, srcBase: number,
    dst: Uint32Array, dstBase: number, dport: number, cls: number, sport = -1): Expectation | ExpectRefusal {
    const h = this.currentHelper!;
    const policy = h.policies[cls]!;
    const tuple = new Uint32Array(TUPLE_WORDS);
    const mask = new Uint32Array(TUPLE_WORDS);
    const alen = l3num === 2 ? 1 : 4;
    for (let i = 0; i < alen; i++) {
      if (src !== null) {
        tuple[i] = src[srcBase + i]!;
        mask[i] = 0xffffffff;
      }
      tuple[4 + i] = dst[dstBase + i]!;
    }
    for (let i = 4; i < 8; i++) mask[i] = 0xffffffff;
    if (sport < 0) {
      tuple[T_PORTS] = dport & 0xffff; // any source port
      mask[T_PORTS] = 0xffff;
    } else {
      tuple[T_PORTS] = (((sport & 0xffff) << 16) | (dport & 0xffff)) >>> 0;
      mask[T_PORTS] = 0xffffffff;
    }
    const zone = this.table.rec[this.table.origBase(master) + T_META]! >>> 16;
    tuple[T_META] = ((zone << 16) | (l3num << 8) | protonum) >>> 0;
    mask[T_META] = 0xffffffff;
    return this.expectations.add({
      tuple, mask, master, masterId: this.table.idOf(master), helper: h.name, cls, policyName: policy.name, flags: 0,
      deadlineMs: this.nowMs + policy.timeoutSec * 1000,
    }, policy.maxExpected, this.nowMs);
  }

  logDrop(text: string): void {
    this.dropMessage = `dropping packet: ${text}`;
  }

  unexpect(e: Expectation): void {
    this.expectations.remove(e, this.nowMs);
  }

  findExpectation(t: Uint32Array, base: number): Expectation | null {
    return this.expectations.count === 0 ? null : this.expectations.find(t, base);
  }

  findConn(t: Uint32Array, base: number): number {
    const e = this.table.lookup(t, base);
    return e < 0 ? -1 : e >> 1;
  }

  kill(conn: number): void {
    this.killConn(conn, this.nowMs);
  }
}
