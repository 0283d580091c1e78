/**
 * GRE: port of nf_conntrack_proto_gre.c (Linux 6.18). Version 0 (RFC 1701/2784)
 * is tracked like the generic tracker, with keys 0; version 1 (PPTP's enhanced
 * GRE, RFC 2637) is keyed by the call id: the header's call id is the tuple's
 * destination key, and the source key comes from the GRE key map the PPTP
 * helper fills when it sees a call set up (0 when nothing matches, always 0
 * without helpers). 30 s until both directions were seen, then 180 s and
 * ASSURED; a GRE entry expected by PPTP gets the same (pptp_expectfn raises them
 * when the entry is created, and this tracker sets the sysctls right after, as
 * 6.18 does).
 *
 * Protocol words per entry: 0 timeout, 1 stream timeout (seconds, fixed at creation).
 */
import { IPS_ASSURED, IPS_NAT_CLASH, IPS_SEEN_REPLY, IPCT_ASSURED, NF_ACCEPT } from '../core/consts.js';
import type { TrackerContext } from './l4proto.js';
import { TUPLE_WORDS, T_META, T_PORTS } from '../tuple/tuple.js';

const GRE_VERSION_1 = 1;
const GRE_PROTO_PPP = 0x880b;

/**
 * One key map entry (struct nf_ct_gre_keymap): a GRE tuple announced by a PPTP
 * master. A packet with the same addresses, family and destination key gets its
 * source key.
 */
export interface GreKeymapEntry {
  readonly tuple: Uint32Array;
  readonly hash: number;
}

/** The per-master slots of the key map (nf_ct_pptp_master.keymap[IP_CT_DIR_MAX]). */
export interface GreKeymapOwner {
  readonly keymap: [GreKeymapEntry | null, GreKeymapEntry | null];
}

/**
 * The key map of a network namespace (the kernel's keymap_list). The kernel
 * walks one list and takes the first entry (in insertion order) that matches;
 * here the entries are bucketed by a hash of the compared fields, each bucket in
 * insertion order, so the first match is the same and a lookup costs one Map
 * probe with a number key (no allocation). Consulted for every GREv1 packet.
 */
export class GreKeymap {
  private readonly buckets = new Map<number, GreKeymapEntry[]>();
  /** Entries in the map. */
  size = 0;

  /** gre_keymap_lookup(): the source key for the tuple at t[base] (its L4 word holds the destination key), or 0. */
  lookup(t: Uint32Array, base: number, dstKey: number): number {
    if (this.size === 0) return 0;
    const list = this.buckets.get(keyHash(t, base, dstKey));
    if (list === undefined) return 0;
    for (let i = 0; i < list.length; i++) {
      const e = list[i]!.tuple;
      if (matches(e, t, base, dstKey)) return e[T_PORTS]! >>> 16;
    }
    return 0;
  }

  /**
   * nf_ct_gre_keymap_add(): records `t` (a GRE tuple) for the master's direction
   * `dir`. The slot already holding the same tuple is a retransmission (true);
   * holding another, the new one is refused (false).
   */
  add(owner: GreKeymapOwner, dir: number, t: Uint32Array, base: number): boolean {
    const cur = owner.keymap[dir] ?? null;
    if (cur !== null) {
      // Is it a retransmission? The slot's entry must still be listed and match.
      return matches(cur.tuple, t, base, t[base + T_PORTS]! & 0xffff) && this.buckets.get(cur.hash)?.includes(cur) === true;
    }
    const tuple = new Uint32Array(TUPLE_WORDS);
    for (let i = 0; i < TUPLE_WORDS; i++) tuple[i] = t[base + i]!;
    const hash = keyHash(tuple, 0, tuple[T_PORTS]! & 0xffff);
    const entry: GreKeymapEntry = { tuple, hash };
    owner.keymap[dir] = entry;
    const list = this.buckets.get(hash);
    if (list === undefined) this.buckets.set(hash, [entry]);
    else list.push(entry); // list_add_tail
    this.size++;
    return true;
  }

  /** nf_ct_gre_keymap_destroy(): drops the master's entries (both directions). */
  destroy(owner: GreKeymapOwner): void {
    for (let dir = 0; dir < 2; dir++) {
      const e = owner.keymap[dir] ?? null;
      if (e === null) continue;
      owner.keymap[dir] = null;
      const list = this.buckets.get(e.hash);
      if (list === undefined) continue;
      const i = list.indexOf(e);
      if (i < 0) continue;
      list.splice(i, 1);
      if (list.length === 0) this.buckets.delete(e.hash);
      this.size--;
    }
  }
}

/** gre_key_cmpfn(): family, addresses, protocol and destination key (the zone is not compared). */
function matches(e: Uint32Array, t: Uint32Array, base: number, dstKey: number): boolean {
  if ((e[T_PORTS]! & 0xffff) !== dstKey || (e[T_META]! & 0xffff) !== (t[base + T_META]! & 0xffff)) return false;
  for (let i = 0; i < 8; i++) if (e[i] !== t[base + i]) return false;
  return true;
}

function keyHash(t: Uint32Array, base: number, dstKey: number): number {
  let h = dstKey | 0;
  for (let i = 0; i < 8; i++) {
    h = Math.imul(h ^ t[base + i]!, 0x9e3779b1);
    h ^= h >>> 15;
  }
  return h | 0;
}

/**
 * gre_pkt_to_tuple(): the tuple's L4 word (srckey << 16 | dstkey), or -1 when the
 * packet can't be tracked (a version 1 header that doesn't carry PPP). The
 * tuple's addresses and meta word at t[base] must be filled already: the source
 * key is looked up in `keymap` by them (null: no key map, source key 0).
 */
export function greKeyWord(dv: DataView, l4: number, end: number, keymap: GreKeymap | null, t: Uint32Array, base: number): number {
  if (l4 + 4 > end || (dv.getUint16(l4) & 7) !== GRE_VERSION_1) return 0; // behave like generic
  if (l4 + 8 > end) return 0;
  if (dv.getUint16(l4 + 2) !== GRE_PROTO_PPP) return -1;
  const dstKey = dv.getUint16(l4 + 6);
  if (keymap === null || keymap.size === 0) return dstKey;
  return ((keymap.lookup(t, base, dstKey) << 16) | dstKey) >>> 0;
}

/** nf_conntrack_gre_packet() */
export function grePacket(ctx: TrackerContext, idx: number, confirmed: boolean): number {
  const t = ctx.table;
  const b = t.pwBase(idx);
  if (!confirmed) {
    // The sysctls, also over what pptp_expectfn set when the entry was created (as 6.18 does).
    t.pw[b] = ctx.sysctl.nf_conntrack_gre_timeout;
    t.pw[b + 1] = ctx.sysctl.nf_conntrack_gre_timeout_stream;
  }
  const status = t.statusOf(idx);
  if (status & IPS_SEEN_REPLY) {
    ctx.refresh(idx, t.pw[b + 1]!);
    if (status & IPS_NAT_CLASH) return NF_ACCEPT;
    if (!(status & IPS_ASSURED)) {
      t.setStatus(idx, status | IPS_ASSURED);
      ctx.events |= IPCT_ASSURED;
    }
  } else {
    ctx.refresh(idx, t.pw[b]!);
  }
  return NF_ACCEPT;
}
