/**
 * Expectations (nf_conntrack_expect.c): a helper that read "the data connection
 * will come from A to B:port" leaves a tuple and a mask; the first packet of a
 * new connection matching it is RELATED to the helper's connection (its master).
 * An expectation is used once (unless PERMANENT), lives for its helper policy's
 * timeout, is dropped with its master, and each master may hold at most the
 * policy's max_expected of a class (the oldest is evicted). The whole table is
 * capped by nf_conntrack_expect_max. Rare path: plain objects are fine here.
 */
import { TUPLE_WORDS, T_META, T_PORTS } from '../tuple/tuple.js';

export const NF_CT_EXPECT_PERMANENT = 0x1;
export const NF_CT_EXPECT_INACTIVE = 0x2;
export const NF_CT_EXPECT_USERSPACE = 0x4;

export interface Expectation {
  /** Stable id (ctnetlink CTA_EXPECT_ID stand-in). */
  id: number;
  /** The expected tuple (10 words, see tuple.ts) and its mask. */
  tuple: Uint32Array;
  mask: Uint32Array;
  /** Master entry: table slot and conntrack id (the slot is only valid while the master lives). */
  master: number;
  masterId: number;
  helper: string;
  /** Expectation class (index into the helper's policies) and the policy's name. */
  cls: number;
  policyName: string;
  flags: number;
  deadlineMs: number;
  /** exp->expectfn: run on the new entry this expectation made RELATED (PPTP's pptp_expectfn). */
  expectfn?: (conn: number, exp: Expectation) => void;
}

/** Why an expectation could not be added (nf_ct_expect_related's errors). */
export type ExpectRefusal = 'exists' | 'clash' | 'master-limit' | 'table-full';

export type ExpectListener = (kind: 'NEW' | 'DESTROY', e: Expectation, timeMs: number) => void;

function maskedEqual(t: Uint32Array, tb: number, e: Expectation): boolean {
  for (let i = 0; i < TUPLE_WORDS; i++) if ((t[tb + i]! & e.mask[i]!) !== (e.tuple[i]! & e.mask[i]!)) return false;
  return true;
}

export class ExpectTable {
  /** Newest first, like the kernel's hlist_add_head (evict_oldest takes the last of a class). */
  readonly list: Expectation[] = [];
  private nextId = 1;
  private readonly listeners: ExpectListener[] = [];
  /** Counters shown by conntrack -S expect. */
  created = 0;
  deleted = 0;

  constructor(private readonly max: () => number) {}

  get count(): number {
    return this.list.length;
  }

  onEvent(l: ExpectListener): void {
    this.listeners.push(l);
  }

  /**
   * nf_ct_expect_related(): adds `e` unless an identical one of another master
   * exists or a different one clashes; an identical one of the same master is
   * replaced; past the master's limit the oldest of its class goes first.
   */
  add(e: Omit<Expectation, 'id'>, maxExpected: number, nowMs: number): Expectation | ExpectRefusal {
    for (const i of [...this.list]) {
      if (sameTuple(i, e)) {
        if (i.cls !== e.cls || i.master !== e.master) return 'exists';
        this.remove(i, nowMs);
        break;
      }
      if (clash(i, e)) return 'clash';
    }
    if (maxExpected > 0) {
      const mine = this.list.filter((x) => x.master === e.master && x.cls === e.cls);
      if (mine.length >= maxExpected) {
        this.remove(mine[mine.length - 1]!, nowMs);
        if (mine.length - 1 >= maxExpected) return 'master-limit';
      }
    }
    if (this.list.length >= this.max()) return 'table-full';
    const exp: Expectation = { ...e, id: this.nextId++ };
    this.list.unshift(exp);
    this.created++;
    for (const l of this.listeners) l('NEW', exp, nowMs);
    return exp;
  }

  /** nf_ct_find_expectation(): the first active expectation the tuple matches, unlinked unless PERMANENT. */
  take(t: Uint32Array, tb: number, nowMs: number, masterAlive: (e: Expectation) => boolean): Expectation | null {
    for (const e of this.list) {
      if (e.flags & NF_CT_EXPECT_INACTIVE || !maskedEqual(t, tb, e)) continue;
      if (!masterAlive(e)) return null;
      if (!(e.flags & NF_CT_EXPECT_PERMANENT)) this.remove(e, nowMs);
      return e;
    }
    return null;
  }

  /** __nf_ct_expect_find(): the first expectation the tuple matches (active or not), not unlinked. */
  find(t: Uint32Array, tb: number): Expectation | null {
    for (const e of this.list) if (maskedEqual(t, tb, e)) return e;
    return null;
  }

  /** nf_ct_remove_expectations(): the master is going away. */
  removeMaster(master: number, nowMs: number): void {
    for (const e of [...this.list]) if (e.master === master) this.remove(e, nowMs);
  }

  /** Drops every expectation whose timeout ran out by `nowMs` (at its own deadline). */
  expire(nowMs: number): void {
    if (this.list.length === 0) return;
    const due = this.list.filter((e) => e.deadlineMs <= nowMs).sort((a, b) => a.deadlineMs - b.deadlineMs);
    for (const e of due) this.remove(e, e.deadlineMs);
  }

  remove(e: Expectation, nowMs: number): void {
    const i = this.list.indexOf(e);
    if (i < 0) return;
    this.list.splice(i, 1);
    this.deleted++;
    for (const l of this.listeners) l('DESTROY', e, nowMs);
  }
}

function sameTuple(a: Expectation, b: Omit<Expectation, 'id'>): boolean {
  for (let i = 0; i < TUPLE_WORDS; i++) if (a.tuple[i] !== b.tuple[i] || a.mask[i] !== b.mask[i]) return false;
  return true;
}

/** expect_clash(): equal where both masks care, on the source side; the rest must be equal. */
function clash(a: Expectation, b: Omit<Expectation, 'id'>): boolean {
  for (let i = 0; i < TUPLE_WORDS; i++) {
    let m: number;
    if (i < 4) m = a.mask[i]! & b.mask[i]!; // source address
    else if (i === T_PORTS) m = ((a.mask[i]! & b.mask[i]! & 0xffff0000) | 0xffff) >>> 0; // source port masked, dport compared
    else m = 0xffffffff;
    if (i === T_META) m = 0xffffffff;
    if (((a.tuple[i]! ^ b.tuple[i]!) & m) !== 0) return false;
  }
  return true;
}
