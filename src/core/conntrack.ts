/**
 * The engine: nf_conntrack_in() for one packet at a time, on the capture clock.
 * Port of the packet path of nf_conntrack_core.c (Linux 6.18): find the L4
 * header, let ICMP errors relate to the entry they quote, build the tuple, look
 * it up or create an entry, let the L4 tracker decide, then confirm the entry
 * (insert it, deliver NEW) or deliver the cached events (UPDATE). Entries expire
 * at their deadline on the capture clock and emit DESTROY at that instant.
 */
import {
  AF_INET, AF_INET6, CTSTATE_ESTABLISHED, CTSTATE_INVALID, CTSTATE_NEW, CTSTATE_RELATED, CTSTATE_SKIPPED,
  CTSTATE_UNTRACKED, IP_CT_DIR_REPLY, IPCT_DESTROY, IPCT_NEW, IPCT_REPLY, IPPROTO_ICMP, IPPROTO_ICMPV6,
  IPPROTO_TCP, IPPROTO_UDP, IPPROTO_UDPLITE, IPS_CONFIRMED, IPS_DYING, IPS_EXPECTED, IPS_FIXED_TIMEOUT,
  IPS_SEEN_REPLY, NF_ACCEPT, NF_REPEAT, IPPROTO_SCTP, IPPROTO_GRE, IPS_ASSURED,
} from './consts.js';
import { PacketResult, MAX_REASONS } from './packet-result.js';
import {
  REASON_ARGS, R_ICMP_BAD_CSUM, R_ICMP_INVALID_TYPE, R_ICMPV6_BAD_CSUM, R_ICMPV6_REDIRECT_NOOPT,
  R_ICMPV6_REDIRECT_SADDR, R_ICMPV6_SHORT_REDIRECT, R_OUTER_DADDR4, R_OUTER_DADDR6, R_SHORT_PACKET, R_HELPER, R_TABLE_FULL,
  R_RATELIMIT_SUPPRESSED,
} from './reasons.js';
import { makeSysctls, type Sysctls } from './sysctl.js';
import { Stats } from './stats.js';
import { ConnTable } from '../table/conn-table.js';
import { CHAINS_LOAD, MAX_CHAINLEN_SPAN, MIN_CHAINLEN, NF_CT_EVICTION_RANGE } from './early-drop.js';
import { GcWorker } from './gc-worker.js';
import { NetRatelimit } from './ratelimit.js';
import { KEEP_EVICTIONS, TableFullLog, type EvictedBy } from './table-full.js';
import { PacketMeta, decodeIp, IP_OK, IP_DROP_REASONS } from '../packet/ip.js';
import { icmpChecksumOk, l4ChecksumOk } from '../packet/l4-checksum.js';
import { TUPLE_WORDS, T_META, T_PORTS, addrEquals, copyTuple, loadAddr } from '../tuple/tuple.js';
import { invertL4Word, invertTuple } from '../tuple/invert.js';
import { hasPorts, hasStates, keepsPrivate, type TrackerContext } from '../proto/l4proto.js';
import { sctpPacket } from '../proto/sctp.js';
import { grePacket, greKeyWord } from '../proto/gre.js';
import { HelperSupport } from './helper-support.js';
import { helperRules } from '../helpers/registry.js';
import { tcpPacket } from '../proto/tcp.js';
import { udpPacket, udplitePacket } from '../proto/udp.js';
import { genericPacket } from '../proto/generic.js';
import {
  NR_ICMP_TYPES, icmpIsError, icmpPacket, icmpv6IsUntracked, icmpv6Packet,
} from '../proto/icmp.js';

/** Event kinds as conntrack -E names them. */
export const EVENT_NEW = 0;
export const EVENT_UPDATE = 1;
export const EVENT_DESTROY = 2;

/**
 * Called for each event, synchronously: the entry can be read (snapshot) during
 * the call. `mask` holds the IPCT_* bits behind the event.
 */
export type EventListener = (kind: number, conn: number, mask: number, timeMs: number) => void;

export interface EngineOptions {
  /** sysctl overrides by name (`net.netfilter.nf_conntrack_tcp_loose` or `nf_conntrack_tcp_loose`). */
  sysctl?: Readonly<Record<string, number>>;
  /** A timeout profile: `tutorial` or `linux-2.4`. */
  profile?: string;
  /** Conntrack zone for every packet. Defaults to 0. */
  zone?: number;
  /** Initial table capacity (grows as needed). Defaults to 1024. */
  initialCapacity?: number;
  /**
   * Seed of the tuple hash. Random by default (like the kernel's
   * nf_conntrack_hash_rnd), so crafted tuples can't flood one hash chain; the
   * conntrack ids don't depend on it and stay deterministic.
   */
  hashSeed?: number;
  /**
   * Helpers to attach, as a ruleset would (nft `ct helper set`): `ftp` (tcp/21),
   * `ftp:2121`, `tftp` (udp/69), `NAME:PORT`. Defaults to none.
   */
  helpers?: readonly string[];
  /**
   * How many evicted entries the table-full report keeps in full (the rest are
   * only counted). Defaults to KEEP_EVICTIONS (1000).
   */
  keepEvictions?: number;
}

/** Frames taking part in a NF_REPEAT loop (TCP reopen) repeat at most this often. */
const MAX_REPEAT = 4;

export class ConntrackEngine implements TrackerContext {
  readonly table: ConnTable;
  readonly sysctl: Sysctls;
  readonly stats = new Stats();
  readonly zone: number;
  meta = new PacketMeta();
  nowMs = 0;
  events = 0;
  /** True once a packet has set the clock. */
  private started = false;

  /** Helpers and expectations; null when no helper is configured (nothing to pay for). */
  readonly helpers: HelperSupport | null;
  /** The verdict being built for the current packet (trackers add detail to it). */
  readonly result: PacketResult;
  private readonly tuple = new Uint32Array(TUPLE_WORDS * 2);
  private readonly listeners: EventListener[] = [];
  /** The packet being processed counts in the entry's counters once (refresh or kill). */
  private pktDir = 0;
  /** Nodes of the chain early drop is scanning (grows to the longest chain met). */
  private chainScratch = new Int32Array(64);
  /** Deterministic stand-in for get_random_u32_below() of the chain-length limit. */
  private chainRnd: number;
  /** The garbage collector on the capture clock: its early-drop mode after a table-full drop (gc-worker.ts). */
  readonly gc: GcWorker;
  /** net_ratelimit(), which the table-full warning goes through. */
  readonly netRatelimit = new NetRatelimit();
  /** When the table was full and what was evicted (the "table full" summary); describe is set by the library. */
  readonly tableFull: TableFullLog<unknown>;

  constructor(options: EngineOptions = {}) {
    this.sysctl = makeSysctls(options.sysctl, options.profile);
    this.zone = options.zone ?? 0;
    const seed = options.hashSeed ?? randomSeed();
    this.table = new ConnTable(options.initialCapacity ?? 1024, seed);
    this.result = new PacketResult(this.table);
    this.table.setBuckets(this.sysctl.nf_conntrack_buckets);
    // The acct extension: entries carry counters only while accounting is on.
    if (this.sysctl.nf_conntrack_acct !== 0) this.table.enableCounters();
    this.chainRnd = (seed ^ 0x9e3779b9) >>> 0;
    this.gc = new GcWorker((idx, timeMs) => this.evict(idx, timeMs, 'gc_worker'));
    this.tableFull = new TableFullLog(null, options.keepEvictions ?? KEEP_EVICTIONS);
    const rules = helperRules(options.helpers ?? [], this.sysctl.nf_conntrack_helper !== 0);
    this.helpers = rules.length === 0 ? null : new HelperSupport(this.table, rules, () => this.sysctl.nf_conntrack_expect_max,
      (conn, id) => this.table.isConfirmed(conn) && this.table.idOf(conn) === id && !(this.table.statusOf(conn) & IPS_DYING),
      (conn, atMs) => this.killAt(conn, atMs));
  }

  onEvent(listener: EventListener): void {
    this.listeners.push(listener);
  }

  /** Advances the capture clock, expiring every entry whose deadline has passed (DESTROY at its deadline). */
  advance(nowMs: number): void {
    if (!this.started) {
      this.started = true;
      this.nowMs = nowMs;
    } else if (nowMs > this.nowMs) this.nowMs = nowMs;
    const t = this.table;
    if (this.helpers !== null) this.helpers.expire(this.nowMs);
    // Lazy timers: the top key is a lower bound of every deadline; the gc's next run is one more comparison.
    const gc = this.gc;
    if (t.nextKey() > this.nowMs && gc.nextRunMs > this.nowMs) return;
    for (;;) {
      // In time order; an entry expiring at the instant of a gc run goes first (the run would reap it).
      const idx = t.earliest();
      const d = idx < 0 ? Infinity : t.deadlineOf(idx);
      if (d <= this.nowMs && d <= gc.nextRunMs) this.destroy(idx, d);
      else if (gc.nextRunMs <= this.nowMs) gc.run(this, gc.nextRunMs);
      else break;
    }
  }

  /**
   * Tracks one IP packet: `buf[off .. capEnd)` are the captured bytes of the IP
   * datagram, `wireLen` its length on the wire from `off`. The clock must already
   * be advanced to the packet's time.
   */
  processIp(buf: Uint8Array, dv: DataView, off: number, capEnd: number, wireLen: number): PacketResult {
    const r = this.result;
    r.reset();
    const m = this.meta;
    const err = decodeIp(m, buf, dv, off, capEnd, wireLen);
    if (err !== IP_OK) {
      r.skip = IP_DROP_REASONS[err]!;
      return r;
    }
    r.protonum = m.protonum;
    this.conntrackIn(r);
    return r;
  }

  /** Marks a packet that never reached conntrack. */
  skipped(reason: string): PacketResult {
    const r = this.result;
    r.reset();
    r.skip = reason;
    r.ctstate = CTSTATE_SKIPPED;
    return r;
  }

  // ---- TrackerContext -------------------------------------------------------

  log(code: number, a0 = 0, a1 = 0, a2 = 0, a3 = 0): void {
    const r = this.result;
    if (r.reasonCount >= MAX_REASONS) return;
    const o = r.reasonCount * REASON_ARGS;
    r.reasonCodes[r.reasonCount++] = code;
    r.reasonArgs[o] = a0;
    r.reasonArgs[o + 1] = a1;
    r.reasonArgs[o + 2] = a2;
    r.reasonArgs[o + 3] = a3;
  }

  refresh(idx: number, timeoutSec: number): void {
    const t = this.table;
    this.account(idx);
    if (t.statusOf(idx) & IPS_FIXED_TIMEOUT) return;
    t.setDeadline(idx, this.nowMs + timeoutSec * 1000);
  }

  killAcct(idx: number): void {
    this.account(idx);
    this.kill(idx);
  }

  kill(idx: number): void {
    this.killAt(idx, this.nowMs);
  }

  /** nf_ct_kill() at `timeMs` (a helper killing an entry while another goes at its deadline). */
  private killAt(idx: number, timeMs: number): void {
    const t = this.table;
    if (t.statusOf(idx) & IPS_DYING) return;
    t.setStatus(idx, t.statusOf(idx) | IPS_DYING);
    if (t.isConfirmed(idx)) this.destroy(idx, timeMs);
  }

  // ---- nf_conntrack_in ------------------------------------------------------

  private account(idx: number): void {
    this.table.account(idx, this.pktDir, this.meta.length);
  }

  private destroy(idx: number, timeMs: number): void {
    const t = this.table;
    t.setStatus(idx, t.statusOf(idx) | IPS_DYING);
    // clean_from_lists(): the entry's expectations go first, then the entry.
    if (this.helpers !== null) this.helpers.forget(idx, timeMs);
    for (const l of this.listeners) l(EVENT_DESTROY, idx, IPCT_DESTROY, timeMs);
    // nf_ct_delete_from_lists(): a helper's destroy hook (PPTP) runs after the event.
    if (this.helpers !== null) this.helpers.afterDestroy(idx, timeMs);
    t.remove(idx);
  }

  private emit(kind: number, idx: number, mask: number): void {
    for (const l of this.listeners) l(kind, idx, mask, this.nowMs);
  }

  private conntrackIn(r: PacketResult): void {
    const m = this.meta;
    const family = m.family;
    if (m.l4Off < 0) {
      // A non-first fragment or an IPv6 header chain without an end.
      this.invalid(r);
      return;
    }
    const proto = m.protonum;
    if (proto === IPPROTO_ICMP && family === 4) {
      if (this.icmpError(r)) return;
    } else if (proto === IPPROTO_ICMPV6 && family === 6) {
      if (this.icmpv6Error(r)) return;
    }
    const tp = this.tuple;
    if (!this.buildTuple(tp, 0, family, proto, m.srcOff, m.dstOff, m.l4Off, m.end)) {
      this.invalid(r);
      return;
    }
    for (let attempt = 0; attempt < MAX_REPEAT; attempt++) {
      let idx: number;
      let dir = 0;
      let confirmed: boolean;
      const e = this.table.lookup(tp, 0);
      if (e < 0) {
        // init_conntrack(): an entry is created only if the tuple can be inverted.
        if (invertL4Word(tp[T_META]!, tp[T_PORTS]!) < 0) {
          this.invalid(r);
          return;
        }
        // __nf_conntrack_alloc(): past nf_conntrack_max, evict or drop the packet.
        const max = this.sysctl.nf_conntrack_max;
        if (max !== 0 && this.table.count + 1 > max) {
          this.tableFull.hit(this.nowMs);
          if (!this.earlyDrop(tp)) {
            this.dropFull(r);
            return;
          }
        }
        idx = this.table.alloc();
        const base = this.table.origBase(idx);
        copyTuple(this.table.rec, base, tp, 0);
        if (keepsPrivate(proto)) this.table.attachPrivate(idx);
        this.table.setStart(idx, this.nowMs);
        confirmed = false;
        if (this.helpers !== null && this.helpers.initConntrack(idx, this.nowMs) !== null) this.stats.expect_new++;
      } else {
        idx = e >> 1;
        dir = e & 1;
        confirmed = true;
      }
      const status = this.table.statusOf(idx);
      // ctinfo: reply direction = ESTABLISHED; original = ESTABLISHED once a
      // reply was seen, RELATED if expected, else NEW.
      const ctstate = dir === IP_CT_DIR_REPLY || status & IPS_SEEN_REPLY ? CTSTATE_ESTABLISHED
        : status & IPS_EXPECTED ? CTSTATE_RELATED : CTSTATE_NEW;
      this.events = 0;
      this.pktDir = dir;
      const ret = this.handlePacket(idx, dir, confirmed);
      if (ret <= 0) {
        if (!confirmed) this.discardUnconfirmed(idx);
        if (ret === -NF_REPEAT) continue;
        this.invalid(r);
        if (confirmed) {
          // The packet loses its entry, but the entry stays: say which one and its state.
          r.idSlot = idx;
          r.state = hasStates(proto) ? this.table.stateOf(idx) : -1;
        }
        return;
      }
      const t = this.table;
      if (dir === IP_CT_DIR_REPLY && !(t.statusOf(idx) & IPS_SEEN_REPLY)) {
        t.setStatus(idx, t.statusOf(idx) | IPS_SEEN_REPLY);
        this.events |= IPCT_REPLY;
      }
      r.ctstate = ctstate;
      r.dir = dir;
      r.protonum = proto;
      r.idSlot = idx;
      r.state = hasStates(proto) ? t.stateOf(idx) : -1;
      if (t.statusOf(idx) & IPS_DYING) {
        // Killed while tracking this packet (a RST answering a SYN): the packet
        // keeps its state, the entry is gone; an unconfirmed one was never seen.
        if (!confirmed) this.discardUnconfirmed(idx);
        return;
      }
      r.conn = idx;
      // nf_confirm(): the entry's helper sees the packet before it leaves; a drop
      // keeps the packet's ctstate but it never leaves (a new entry is never confirmed).
      if (this.helpers !== null && this.helpers.help(idx, dir, ctstate === CTSTATE_ESTABLISHED, this.meta, this.nowMs) !== NF_ACCEPT) {
        r.dropped = true;
        r.helperMessage = this.helpers.dropMessage;
        if (r.helperMessage !== null) this.log(R_HELPER); // (not a conntrack -S drop: that counter is nf_conntrack_in's)
        if (!confirmed) {
          this.discardUnconfirmed(idx);
          r.conn = -1;
        }
        return;
      }
      if (!confirmed) {
        // __nf_conntrack_confirm(): a chain past its length limit refuses the entry.
        if (this.chainTooLong(idx)) {
          this.stats.chaintoolong++;
          this.stats.insert_failed++;
          r.dropped = true;
          r.conn = -1;
          this.discardUnconfirmed(idx);
          return;
        }
        // Insert both tuples, deliver NEW with what was cached.
        t.setStatus(idx, t.statusOf(idx) | IPS_CONFIRMED);
        t.confirm(idx);
        this.emit(EVENT_NEW, idx, this.events | IPCT_NEW);
      } else if (this.events !== 0) {
        this.emit(EVENT_UPDATE, idx, this.events);
      }
      return;
    }
    this.invalid(r);
  }

  /**
   * early_drop(): scans up to NF_CT_EVICTION_RANGE chains from the new tuple's
   * bucket and, in the first chain holding any, kills every entry that is not
   * ASSURED (DESTROY now, counted in early_drop). An expired entry met on the
   * way is reaped (none survives advance() here). True when something went.
   */
  private earlyDrop(tp: Uint32Array): boolean {
    const t = this.table;
    t.ensureChains();
    const hsize = t.kernelBuckets;
    let bucket = t.bucketOf(tp, 0);
    for (let i = 0; i < NF_CT_EVICTION_RANGE; i++) {
      if (i > 0) bucket = (bucket + 1) % hsize;
      const len = t.chainLength(bucket);
      if (len === 0) continue;
      if (len > this.chainScratch.length) this.chainScratch = new Int32Array(len * 2);
      const nodes = this.chainScratch;
      const n = t.chainNodes(bucket, nodes);
      let drops = 0;
      for (let k = 0; k < n; k++) {
        const idx = nodes[k]! >> 1;
        // Both tuples of one entry may share the chain: the second visit finds it gone.
        if (!t.isConfirmed(idx)) continue;
        if (t.deadlineOf(idx) <= this.nowMs) {
          this.destroy(idx, t.deadlineOf(idx));
          continue;
        }
        const st = t.statusOf(idx);
        if (st & (IPS_ASSURED | IPS_DYING)) continue;
        this.evict(idx, this.nowMs, 'early_drop');
        drops++;
      }
      if (drops > 0) {
        this.stats.early_drop += drops;
        return true;
      }
    }
    return false;
  }

  /**
   * Nothing could be evicted: the packet is dropped before it gets an entry
   * (NF_DROP, stat drop), the gc worker goes into early-drop mode, and the
   * warning is logged if net_ratelimit() lets it through.
   */
  private dropFull(r: PacketResult): void {
    this.gc.earlyDrop = true;
    this.stats.drop++;
    r.ctstate = CTSTATE_NEW;
    r.dir = -1;
    r.conn = -1;
    r.dropped = true;
    const logged = this.netRatelimit.allow(this.nowMs);
    if (logged) {
      const missed = this.netRatelimit.suppressedReport;
      if (missed > 0) this.log(R_RATELIMIT_SUPPRESSED, missed);
      this.log(R_TABLE_FULL);
    }
    this.tableFull.drop(logged);
  }

  /** An entry goes to make room (early drop or the gc worker): DESTROY now, noted for the table-full report. */
  private evict(idx: number, timeMs: number, by: EvictedBy): void {
    this.tableFull.evict(idx, timeMs, by);
    this.destroy(idx, timeMs);
  }

  /**
   * The chain-length check of __nf_conntrack_confirm(): a chain (original or
   * reply bucket) already holding more than max_chainlen + 1 nodes refuses the
   * entry; max_chainlen is drawn in [50, 80) per confirmation.
   */
  private chainTooLong(idx: number): boolean {
    const t = this.table;
    // Until the chains are built, the load is too low for any chain to near the
    // limit: 2 nodes per entry over the buckets, below CHAINS_LOAD on average.
    if (!t.chainsOn && 2 * (t.count + 1) < CHAINS_LOAD * t.kernelBuckets) return false;
    const longest = this.table.longestChainFor(idx);
    if (longest < MIN_CHAINLEN + 2) return false;
    this.chainRnd = (Math.imul(this.chainRnd, 1664525) + 1013904223) >>> 0;
    const maxChainlen = MIN_CHAINLEN + ((this.chainRnd >>> 8) % MAX_CHAINLEN_SPAN);
    return longest > maxChainlen + 1;
  }

  /** An entry that never got confirmed is freed, with whatever a helper attached to it. */
  private discardUnconfirmed(idx: number): void {
    if (this.helpers !== null) this.helpers.forget(idx, this.nowMs);
    this.table.free(idx);
  }

  private invalid(r: PacketResult): void {
    this.stats.invalid++;
    r.ctstate = CTSTATE_INVALID;
    r.dir = -1;
    r.conn = -1;
  }

  /** nf_conntrack_handle_packet(): a switch keeps each call site monomorphic. */
  private handlePacket(idx: number, dir: number, confirmed: boolean): number {
    switch (this.meta.protonum) {
      case IPPROTO_TCP: return tcpPacket(this, idx, dir, confirmed);
      case IPPROTO_UDP: return udpPacket(this, idx, confirmed);
      case IPPROTO_UDPLITE: return udplitePacket(this, idx);
      case IPPROTO_ICMP: return this.meta.family === 4 ? icmpPacket(this, idx) : -NF_ACCEPT;
      case IPPROTO_ICMPV6: return this.meta.family === 6 ? icmpv6Packet(this, idx, confirmed) : -NF_ACCEPT;
      case IPPROTO_SCTP: return sctpPacket(this, idx, dir, confirmed);
      case IPPROTO_GRE: return grePacket(this, idx, confirmed);
      default: return genericPacket(this, idx);
    }
  }

  /**
   * nf_ct_get_tuple(): fills 10 words at t[base]. False when the L4 header is too
   * short to hold what the tuple needs.
   */
  private buildTuple(
    t: Uint32Array, base: number, family: number, proto: number, srcOff: number, dstOff: number, l4: number, end: number,
  ): boolean {
    const m = this.meta;
    loadAddr(t, base, m.dv, srcOff, family);
    loadAddr(t, base + 4, m.dv, dstOff, family);
    let l4word = 0;
    if (hasPorts(proto)) {
      if (l4 + 4 > end) return false;
      l4word = m.dv.getUint32(l4);
    } else if (proto === IPPROTO_GRE) {
      // The key map is searched by the tuple's addresses and family: fill those first.
      t[base + T_META] = ((this.zone << 16) | ((family === 4 ? AF_INET : AF_INET6) << 8) | proto) >>> 0;
      l4word = greKeyWord(m.dv, l4, end, this.helpers === null ? null : this.helpers.keymap, t, base);
      if (l4word < 0) return false;
    } else if ((proto === IPPROTO_ICMP && family === 4) || (proto === IPPROTO_ICMPV6 && family === 6)) {
      if (l4 + 8 > end) return false;
      // id << 16 | type << 8 | code
      l4word = ((m.dv.getUint16(l4 + 4) << 16) | (m.buf[l4]! << 8) | m.buf[l4 + 1]!) >>> 0;
    }
    t[base + T_PORTS] = l4word;
    t[base + T_META] = ((this.zone << 16) | ((family === 4 ? AF_INET : AF_INET6) << 8) | proto) >>> 0;
    return true;
  }

  /**
   * nf_conntrack_icmpv4_error(). Returns true when the packet is settled here
   * (related, or invalid); false to track it as a query.
   */
  private icmpError(r: PacketResult): boolean {
    const m = this.meta;
    const l4 = m.l4Off;
    if (l4 + 8 > m.end) return this.icmpFail(r, R_SHORT_PACKET);
    if (this.sysctl.nf_conntrack_checksum && !icmpChecksumOk(m)) return this.icmpFail(r, R_ICMP_BAD_CSUM);
    const type = m.buf[l4]!;
    if (type > NR_ICMP_TYPES) return this.icmpFail(r, R_ICMP_INVALID_TYPE);
    if (!icmpIsError(type)) return false;
    return this.inetError(r, l4 + 8, 4);
  }

  /** nf_conntrack_icmpv6_error() */
  private icmpv6Error(r: PacketResult): boolean {
    const m = this.meta;
    const l4 = m.l4Off;
    if (l4 + 8 > m.end) return this.icmpFail(r, R_SHORT_PACKET);
    if (this.sysctl.nf_conntrack_checksum && !l4ChecksumOk(m, IPPROTO_ICMPV6)) return this.icmpFail(r, R_ICMPV6_BAD_CSUM);
    const type = m.buf[l4]!;
    if (icmpv6IsUntracked(type)) {
      r.ctstate = CTSTATE_UNTRACKED;
      return true;
    }
    if (type === 137) return this.icmpv6Redirect(r);
    if (type >= 128) return false;
    return this.inetError(r, l4 + 8, 6);
  }

  /** nf_conntrack_icmpv6_redirect(): validated like ndisc, then related to the quoted packet. */
  private icmpv6Redirect(r: PacketResult): boolean {
    const m = this.meta;
    const l4 = m.l4Off;
    // struct rd_msg: icmp6 header (8) + target (16) + destination (16)
    if (l4 + 40 > m.end) return this.icmpFail(r, R_ICMPV6_SHORT_REDIRECT);
    if (m.buf[l4 + 1] !== 0) return false;
    const linkLocal = m.buf[m.srcOff] === 0xfe && (m.buf[m.srcOff + 1]! & 0xc0) === 0x80;
    if (m.hopLimit !== 255 || !linkLocal) return this.icmpFail(r, R_ICMPV6_REDIRECT_SADDR);
    const opt = l4 + 40;
    if (opt + 2 > m.end || m.buf[opt + 1] === 0) return this.icmpFail(r, R_ICMPV6_REDIRECT_NOOPT);
    if (m.buf[opt] !== 4) return false; // not ND_OPT_REDIRECT_HDR
    return this.inetError(r, opt + 8, 6);
  }

  private icmpFail(r: PacketResult, code: number): boolean {
    this.log(code);
    this.stats.error++;
    r.ctstate = CTSTATE_INVALID;
    return true;
  }

  /**
   * nf_conntrack_inet_error(): the inner packet's tuple, inverted, must find an
   * entry whose destination in that direction is the outer destination.
   */
  private inetError(r: PacketResult, innerOff: number, family: number): boolean {
    const m = this.meta;
    const tp = this.tuple;
    const end = m.end;
    let proto: number;
    let l4: number;
    let srcOff: number;
    let dstOff: number;
    if (family === 4) {
      if (innerOff + 20 > end) return this.relatedFail(r);
      if ((m.dv.getUint16(innerOff + 6) & 0x1fff) !== 0) return this.relatedFail(r);
      l4 = innerOff + (m.buf[innerOff]! & 0x0f) * 4;
      if (l4 > end) return this.relatedFail(r);
      proto = m.buf[innerOff + 9]!;
      srcOff = innerOff + 12;
      dstOff = innerOff + 16;
    } else {
      if (innerOff + 40 > end) return this.relatedFail(r);
      const walked = walkInnerIpv6(m.buf, m.dv, innerOff, end);
      if (walked < 0) return this.relatedFail(r);
      l4 = walked;
      proto = innerNexthdr;
      srcOff = innerOff + 8;
      dstOff = innerOff + 24;
    }
    if (!this.buildTuple(tp, TUPLE_WORDS, family, proto, srcOff, dstOff, l4, end)) return this.relatedFail(r);
    // The quoted packet went the other way: look up its inverse.
    if (!invertTuple(tp, 0, tp, TUPLE_WORDS)) return this.relatedFail(r);
    const e = this.table.lookup(tp, 0);
    if (e < 0) return this.relatedFail(r);
    const idx = e >> 1;
    const dir = e & 1;
    const t = this.table;
    // The entry's destination in that direction: the reply's is the original's source.
    const ctDst = t.origBase(idx) + (dir === 0 ? 4 : 0);
    loadAddr(tp, TUPLE_WORDS, m.dv, m.dstOff, family);
    if (!addrEquals(tp, TUPLE_WORDS, t.rec, ctDst)) {
      if (family === 4) this.log(R_OUTER_DADDR4, tp[TUPLE_WORDS]!, t.rec[ctDst]!);
      else {
        this.log(R_OUTER_DADDR6);
        const o = (r.reasonCount - 1) * REASON_ARGS;
        for (let i = 0; i < 4; i++) {
          r.reasonArgs[o + i] = tp[TUPLE_WORDS + i]!;
          r.reasonArgs[o + 4 + i] = t.rec[ctDst + i]!;
        }
      }
      return this.relatedFail(r);
    }
    r.ctstate = CTSTATE_RELATED;
    r.dir = dir;
    r.conn = idx;
    r.idSlot = idx;
    r.protonum = t.rec[t.origBase(idx) + T_META]! & 0xff;
    r.state = hasStates(r.protonum) ? t.stateOf(idx) : -1;
    return true;
  }

  private relatedFail(r: PacketResult): boolean {
    this.stats.error++;
    r.ctstate = CTSTATE_INVALID;
    return true;
  }
}

/** A random 32-bit hash seed (browser-safe). */
function randomSeed(): number {
  const c = (globalThis as { crypto?: { getRandomValues?(a: Uint32Array): Uint32Array } }).crypto;
  if (c?.getRandomValues) return c.getRandomValues(new Uint32Array(1))[0]!;
  return (Math.random() * 0x100000000) >>> 0;
}

/** Next-header value found by walkInnerIpv6 (module scope: no allocation). */
let innerNexthdr = 0;

/** ipv6_skip_exthdr() over a quoted IPv6 header; returns the L4 offset or -1. */
function walkInnerIpv6(buf: Uint8Array, dv: DataView, off: number, end: number): number {
  let nexthdr = buf[off + 6]!;
  let pos = off + 40;
  for (;;) {
    if (nexthdr !== 0 && nexthdr !== 43 && nexthdr !== 44 && nexthdr !== 51 && nexthdr !== 59 && nexthdr !== 60) break;
    if (nexthdr === 59 || pos + 2 > end) return -1;
    let hdrlen: number;
    if (nexthdr === 44) {
      if (pos + 4 > end) return -1;
      if ((dv.getUint16(pos + 2) & 0xfff8) !== 0) return -1;
      hdrlen = 8;
    } else if (nexthdr === 51) hdrlen = (buf[pos + 1]! + 2) << 2;
    else hdrlen = (buf[pos + 1]! + 1) << 3;
    nexthdr = buf[pos]!;
    pos += hdrlen;
  }
  innerNexthdr = nexthdr;
  return pos;
}

