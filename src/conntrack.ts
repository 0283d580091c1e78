/**
 * The library's front door: a connection tracker you feed packets and ask
 * questions. Wraps the engine (src/core) with friendly types; everything here
 * is browser-safe.
 *
 * ```ts
 * import { Conntrack } from 'ctscope';
 * const ct = new Conntrack({ sysctl: { 'net.netfilter.nf_conntrack_tcp_loose': 0 } });
 * ct.on('event', (e) => console.log(e.type, e.entry.state));
 * const r = ct.processPacket(ipBytes, 1700000000.25);   // raw IPv4/IPv6 bytes, time in seconds
 * console.log(r.ctstateName, r.dirName, r.reasons());
 * ```
 */
import { ConntrackEngine, EVENT_DESTROY, type EngineOptions } from './core/conntrack.js';
import { IPCT_PROTOINFO, IPPROTO_GRE } from './core/consts.js';
import type { Expectation } from './expect/expectations.js';
import type { ExpectSnapshot } from './format/expect.js';
import { stateName } from './proto/l4proto.js';
import type { PacketResult } from './core/packet-result.js';
import type { Sysctls } from './core/sysctl.js';
import { TUPLE_WORDS, T_META, T_PORTS, addrBytes } from './tuple/tuple.js';
import type { ConnSnapshot, TupleSnapshot } from './format/snapshot.js';
import type { CaptureFrame } from './io/frame.js';
import { createLinkResult, decodeLink } from './packet/link.js';
import { LINKTYPE_RAW } from './io/linktypes.js';
import { formatConntrack } from './format/conntrack.js';
import { formatLegacy, formatProc } from './format/proc.js';
import { toJson, type JsonConn } from './format/json.js';
import { hasPorts } from './proto/l4proto.js';
import { Defragmenter, DEFRAG_COMPLETE, DEFRAG_DROPPED, DEFRAG_HELD, DEFRAG_NOT_FRAGMENT } from './defrag/defrag.js';
import { FRAGMENT_COMPLETED, FRAGMENT_DISCARDED, FRAGMENT_HELD } from './core/packet-result.js';
import { PacketMeta, decodeIp, IP_OK, IP_DROP_REASONS } from './packet/ip.js';
import type { TableFullReport } from './core/table-full.js';

/** A cheap first look: could this IP packet be a fragment? (IPv4 MF/offset, IPv6 extension headers first.) */
function mayBeFragment(buf: Uint8Array, dv: DataView, off: number, len: number): boolean {
  if (len < 8) return false;
  const v = buf[off]! >> 4;
  if (v === 4) return (dv.getUint16(off + 6) & 0x3fff) !== 0;
  if (v !== 6) return false;
  const nh = buf[off + 6]!;
  return nh === 44 || nh === 0 || nh === 43 || nh === 60 || nh === 51;
}

export type ConntrackOptions = EngineOptions;

export type EventType = 'NEW' | 'UPDATE' | 'DESTROY';

export interface ConntrackEvent {
  type: EventType;
  /** Capture time of the event, seconds (DESTROY: the instant the entry expired). */
  time: number;
  /** The entry as the event message describes it. */
  entry: ConnSnapshot;
  /** False when the kernel's message carries no protocol state (UPDATE without a state change). */
  protoinfo: boolean;
  /** The IPCT_* bits behind the event. */
  mask: number;
}

const EVENT_TYPES: readonly EventType[] = ['NEW', 'UPDATE', 'DESTROY'];

export class Conntrack {
  readonly engine: ConntrackEngine;
  private readonly link = createLinkResult();
  private readonly ipCheck = new PacketMeta();
  private readonly defrag: Defragmenter;

  constructor(options: ConntrackOptions = {}) {
    this.engine = new ConntrackEngine(options);
    this.engine.tableFull.describe = (conn, timeMs) => this.snapshot(conn, timeMs);
    this.defrag = new Defragmenter(this.engine.sysctl.nf_conntrack_frag6_timeout * 1000);
  }

  get sysctl(): Readonly<Sysctls> {
    return this.engine.sysctl;
  }

  /** The capture clock, seconds. */
  get time(): number {
    return this.engine.nowMs / 1000;
  }

  /** Datagrams waiting for more fragments. */
  get fragmentsPending(): number {
    this.defrag.expire(this.engine.nowMs);
    return this.defrag.pending;
  }

  /** Number of entries in the table (nf_conntrack_count). */
  get count(): number {
    return this.engine.table.count;
  }

  /** conntrack -S counters. */
  get stats(): Record<string, number> {
    return this.engine.stats.toRecord();
  }

  /**
   * When the table was full and what it cost: the first and last packet that
   * found nf_conntrack_max reached, the packets dropped for it, and the entries
   * evicted (by early drop or by the gc worker), oldest first, at most
   * `keepEvictions` of them (default 1000). Null when the table never reached its limit.
   */
  tableFullReport(): TableFullReport<ConnSnapshot> | null {
    return this.engine.tableFull.report() as TableFullReport<ConnSnapshot> | null;
  }

  /** Subscribes to conntrack -E style events (NEW, UPDATE, DESTROY). */
  on(_kind: 'event', listener: (e: ConntrackEvent) => void): void {
    this.engine.onEvent((kind, conn, mask, timeMs) => {
      listener({
        type: EVENT_TYPES[kind]!,
        time: timeMs / 1000,
        entry: this.snapshot(conn, timeMs),
        protoinfo: kind === EVENT_DESTROY || (mask & IPCT_PROTOINFO) !== 0,
        mask,
      });
    });
  }

  /** Moves the clock to `timeSec` (seconds), expiring what has timed out. */
  advance(timeSec: number): void {
    this.engine.advance(timeSec * 1000);
  }

  /**
   * Tracks a captured frame (from the capture readers). The result object is
   * reused: read it before the next call.
   */
  processFrame(frame: CaptureFrame): PacketResult {
    const e = this.engine;
    e.tableFull.frame = frame.index;
    e.advance(frame.tsSec * 1000 + frame.tsNsec / 1e6);
    const l = this.link;
    if (!decodeLink(frame, l)) return e.skipped(l.skip ?? 'not IP');
    const wire = frame.origLen - (l.l3Off - frame.offset);
    if (mayBeFragment(frame.buf, frame.dv, l.l3Off, l.l3Len)) return this.defragment(frame, wire);
    return e.processIp(frame.buf, frame.dv, l.l3Off, l.l3Off + l.l3Len, wire);
  }

  /** nf_defrag_ipv4/ipv6 in front of conntrack: fragments wait; the datagram is tracked when complete. */
  private defragment(frame: CaptureFrame, wire: number): PacketResult {
    const e = this.engine;
    const l = this.link;
    const ip = this.ipCheck;
    const err = decodeIp(ip, frame.buf, frame.dv, l.l3Off, l.l3Off + l.l3Len, wire);
    if (err !== IP_OK) return e.skipped(IP_DROP_REASONS[err]!);
    const d = this.defrag;
    const st = d.push(frame.buf, frame.dv, l.l3Off, ip.end, frame.index, e.nowMs);
    if (st === DEFRAG_NOT_FRAGMENT) return e.processIp(frame.buf, frame.dv, l.l3Off, l.l3Off + l.l3Len, wire);
    if (st !== DEFRAG_COMPLETE) {
      const r = e.skipped(d.reason);
      r.fragment = st === DEFRAG_HELD ? FRAGMENT_HELD : FRAGMENT_DISCARDED;
      if (st === DEFRAG_DROPPED) r.datagramFrames = d.frames;
      return r;
    }
    const dg = d.datagram;
    const r = e.processIp(dg, new DataView(dg.buffer, dg.byteOffset, dg.byteLength), 0, dg.length, dg.length);
    r.datagramFrames = d.frames;
    r.fragment = FRAGMENT_COMPLETED;
    return r;
  }

  /**
   * Tracks one packet given as bytes: an IP datagram (the default) or a frame of
   * `linkType` (LINKTYPE_* number, e.g. 1 for Ethernet), at `timeSec` seconds.
   */
  processPacket(bytes: Uint8Array, timeSec: number, linkType = LINKTYPE_RAW): PacketResult {
    const frame: CaptureFrame = {
      index: 0, linkType, tsSec: Math.floor(timeSec), tsNsec: Math.round((timeSec % 1) * 1e9),
      buf: bytes, dv: new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength), offset: 0,
      caplen: bytes.length, origLen: bytes.length, ifIndex: 0, fileOffset: 0,
    };
    return this.processFrame(frame);
  }

  /** The table as it stands at the clock, oldest entry first. */
  entries(): ConnSnapshot[] {
    return this.engine.table.entries().map((i) => this.snapshot(i, this.engine.nowMs));
  }

  /** One entry as formatters see it, with its remaining time at `atMs`. */
  snapshot(conn: number, atMs = this.engine.nowMs): ConnSnapshot {
    const e = this.engine;
    const t = e.table;
    const pair = t.pairOf(conn);
    const meta = pair[T_META]!;
    const protonum = meta & 0xff;
    const l3num = ((meta >>> 8) & 0xff) === 2 ? 2 : 10;
    const family = l3num === 2 ? 4 : 6;
    const acct = e.sysctl.nf_conntrack_acct !== 0;
    const tuple = (b: number, d: number): TupleSnapshot => {
      const w = pair[b + T_PORTS]!;
      const icmp = protonum === 1 || protonum === 58;
      const ts: TupleSnapshot = {
        src: addrBytes(pair, b, family),
        dst: addrBytes(pair, b + 4, family),
        sport: hasPorts(protonum) ? w >>> 16 : 0,
        dport: hasPorts(protonum) ? w & 0xffff : 0,
        icmpType: icmp ? (w >>> 8) & 0xff : 0,
        icmpCode: icmp ? w & 0xff : 0,
        icmpId: icmp ? w >>> 16 : 0,
      };
      if (protonum === IPPROTO_GRE) {
        ts.greKeySrc = w >>> 16;
        ts.greKeyDst = w & 0xffff;
      }
      if (acct) {
        ts.packets = t.packetsOf(conn, d);
        ts.bytes = t.bytesOf(conn, d);
      }
      return ts;
    };
    return {
      l3num,
      protonum,
      timeoutMs: Math.max(0, t.deadlineOf(conn) - atMs),
      state: stateName(protonum, t.stateOf(conn)),
      status: t.statusOf(conn),
      orig: tuple(0, 0),
      reply: tuple(TUPLE_WORDS, 1),
      mark: t.markOf(conn),
      zone: meta >>> 16,
      use: 2 + (e.helpers?.childCount(conn) ?? 0),
      id: t.idOf(conn),
      helper: e.helpers?.helperOf(conn)?.name ?? null,
      ...(protonum === IPPROTO_GRE ? { extra: { greTimeout: t.pw[t.pwBase(conn)]!, greStreamTimeout: t.pw[t.pwBase(conn) + 1]! } } : {}),
    };
  }

  /** The expectation table at the clock (newest first, as the kernel lists a bucket). */
  expectations(): ExpectSnapshot[] {
    const h = this.engine.helpers;
    if (h === null) return [];
    return h.expectations.list.map((x) => this.expectSnapshot(x, this.engine.nowMs));
  }

  /** Subscribes to `conntrack -E expect` style events. */
  onExpect(listener: (type: 'NEW' | 'DESTROY', e: ExpectSnapshot, time: number) => void): void {
    this.engine.helpers?.expectations.onEvent((kind, x, timeMs) => listener(kind, this.expectSnapshot(x, timeMs), timeMs / 1000));
  }

  /** One expectation as formatters see it, with its remaining time at `atMs`. */
  expectSnapshot(x: Expectation, atMs: number): ExpectSnapshot {
    const t = this.engine.table;
    const l3num = ((x.tuple[T_META]! >>> 8) & 0xff) === 2 ? 2 : 10;
    const family = l3num === 2 ? 4 : 6;
    const mb = t.origBase(x.master);
    const mw = t.rec[mb + T_PORTS]!;
    return {
      l3num, protonum: x.tuple[T_META]! & 0xff, timeoutMs: Math.max(0, x.deadlineMs - atMs),
      src: addrBytes(x.tuple, 0, family), dst: addrBytes(x.tuple, 4, family),
      sport: x.tuple[T_PORTS]! >>> 16, dport: x.tuple[T_PORTS]! & 0xffff,
      maskSrc: addrBytes(x.mask, 0, family), maskSport: x.mask[T_PORTS]! >>> 16, maskDport: x.mask[T_PORTS]! & 0xffff,
      masterSrc: addrBytes(t.rec, mb, family), masterDst: addrBytes(t.rec, mb + 4, family),
      masterSport: mw >>> 16, masterDport: mw & 0xffff,
      cls: x.cls, flags: x.flags, helper: x.helper, policyName: x.policyName,
    };
  }

  /** The table in one of the text formats, one line per entry. */
  formatTable(style: 'proc' | 'conntrack' | 'legacy' = 'proc'): string[] {
    const entries = this.entries();
    switch (style) {
      case 'conntrack': return entries.map((s) => formatConntrack(s));
      case 'legacy': return entries.map((s) => formatLegacy(s));
      default: return entries.map((s) => formatProc(s));
    }
  }

  /** The table as JSON objects. */
  toJson(): JsonConn[] {
    return this.entries().map(toJson);
  }
}
