import { crc32c as crc32cOf } from '../../src/packet/crc32c.js';
/**
 * Packet builder for conformance scenarios: raw IPv4/IPv6 packets (no link layer) with correct
 * (or deliberately corrupted) IP, TCP, UDP, UDP-Lite, ICMP and ICMPv6 checksums.
 *
 * Everything is deterministic and dependency-free. Addresses are strings ("192.168.1.5",
 * "2001:db8::1"); the IP version is chosen from the address syntax.
 */

export const PROTO = {
  HOPOPTS: 0,
  ICMP: 1,
  IPIP: 4,
  TCP: 6,
  UDP: 17,
  IPV6: 41,
  ROUTING: 43,
  FRAGMENT: 44,
  GRE: 47,
  ESP: 50,
  ICMPV6: 58,
  NONE: 59,
  DSTOPTS: 60,
  SCTP: 132,
  UDPLITE: 136,
} as const;

export const TCP_FLAGS = {
  FIN: 0x01,
  SYN: 0x02,
  RST: 0x04,
  PSH: 0x08,
  ACK: 0x10,
  URG: 0x20,
  ECE: 0x40,
  CWR: 0x80,
} as const;

// ---------------------------------------------------------------------------------------------
// byte helpers

export function concat(...parts: Uint8Array[]): Uint8Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

export function bytes(text: string): Uint8Array {
  return new TextEncoder().encode(text);
}

/** Deterministic filler payload of n bytes. */
export function filler(n: number, seed = 0): Uint8Array {
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i++) b[i] = (0x41 + ((i + seed) % 26)) & 0xff;
  return b;
}

function put16(b: Uint8Array, o: number, v: number): void {
  b[o] = (v >>> 8) & 0xff;
  b[o + 1] = v & 0xff;
}

function put32(b: Uint8Array, o: number, v: number): void {
  b[o] = (v >>> 24) & 0xff;
  b[o + 1] = (v >>> 16) & 0xff;
  b[o + 2] = (v >>> 8) & 0xff;
  b[o + 3] = v & 0xff;
}

function get16(b: Uint8Array, o: number): number {
  return ((b[o] ?? 0) << 8) | (b[o + 1] ?? 0);
}

/** Ones'-complement sum over several buffers (as one concatenated stream). */
function sum16(parts: Uint8Array[]): number {
  const all = concat(...parts);
  let s = 0;
  for (let i = 0; i + 1 < all.length; i += 2) s += get16(all, i);
  if (all.length % 2 === 1) s += (all[all.length - 1] ?? 0) << 8;
  while (s > 0xffff) s = (s & 0xffff) + (s >>> 16);
  return s;
}

export function checksum(...parts: Uint8Array[]): number {
  return ~sum16(parts) & 0xffff;
}

// ---------------------------------------------------------------------------------------------
// addresses

export function isV6(addr: string): boolean {
  return addr.includes(':');
}

export function parseV4(a: string): Uint8Array {
  const p = a.split('.').map((x) => Number.parseInt(x, 10));
  if (p.length !== 4 || p.some((x) => !(x >= 0 && x <= 255))) throw new Error(`bad IPv4 address ${a}`);
  return Uint8Array.from(p);
}

export function parseV6(a: string): Uint8Array {
  const out = new Uint8Array(16);
  const [head, tail] = a.includes('::') ? (a.split('::') as [string, string]) : [a, undefined];
  const h = head ? head.split(':') : [];
  const t = tail !== undefined && tail !== '' ? tail.split(':') : [];
  const groups = tail === undefined ? h : [...h, ...Array(8 - h.length - t.length).fill('0'), ...t];
  if (groups.length !== 8) throw new Error(`bad IPv6 address ${a}`);
  groups.forEach((g, i) => put16(out, i * 2, Number.parseInt(g, 16)));
  return out;
}

export function parseAddr(a: string): Uint8Array {
  return isV6(a) ? parseV6(a) : parseV4(a);
}

// ---------------------------------------------------------------------------------------------
// IP layer

export interface Ipv6Ext {
  /** 0 hop-by-hop, 60 destination options, 43 routing, 44 fragment */
  type: number;
  /** body after the 2 first bytes (next header, length) for HBH/DST/routing; padded to 8n-2 */
  body?: Uint8Array;
  /** fragment header fields */
  fragOffset?: number; // in 8-byte units
  more?: boolean;
  ident?: number;
}

export interface IpSpec {
  src: string;
  dst: string;
  ttl?: number; // IPv4 TTL / IPv6 hop limit (default 64)
  tos?: number;
  id?: number; // IPv4 identification (default 0x1234)
  df?: boolean;
  mf?: boolean;
  fragOffset?: number; // IPv4, 8-byte units
  ipOptions?: Uint8Array; // IPv4 options (padded to 4 bytes)
  badIpChecksum?: boolean;
  totalLength?: number; // override IPv4 total length / IPv6 payload length
  ext?: Ipv6Ext[]; // IPv6 extension headers, in order
  flowLabel?: number;
}

function padOptions(o: Uint8Array, mult: number, padByte = 0): Uint8Array {
  const n = Math.ceil(o.length / mult) * mult;
  const out = new Uint8Array(n).fill(padByte);
  out.set(o);
  return out;
}

function buildExt(e: Ipv6Ext, next: number): Uint8Array {
  if (e.type === PROTO.FRAGMENT) {
    const b = new Uint8Array(8);
    b[0] = next;
    put16(b, 2, ((e.fragOffset ?? 0) << 3) | (e.more ? 1 : 0));
    put32(b, 4, e.ident ?? 0xabcd);
    return b;
  }
  let body = e.body ?? new Uint8Array([1, 4, 0, 0, 0, 0]); // PadN of 4 = 6 bytes
  if (e.type === PROTO.ROUTING && !e.body) body = new Uint8Array([0, 0, 0, 0, 0, 0]); // type 0, segleft 0
  const total = Math.ceil((body.length + 2) / 8) * 8;
  const b = new Uint8Array(total);
  b[0] = next;
  b[1] = total / 8 - 1;
  b.set(body, 2);
  if (body.length + 2 < total && e.type !== PROTO.ROUTING) {
    // pad with PadN / Pad1
    const padLen = total - body.length - 2;
    if (padLen === 1) b[body.length + 2] = 0;
    else {
      b[body.length + 2] = 1;
      b[body.length + 3] = padLen - 2;
    }
  }
  return b;
}

/** Wrap an L4 payload in an IPv4 or IPv6 header. */
export function ipPacket(ip: IpSpec, proto: number, l4: Uint8Array): Uint8Array {
  if (isV6(ip.src)) {
    const exts = ip.ext ?? [];
    const extBytes: Uint8Array[] = [];
    for (let i = 0; i < exts.length; i++) {
      const e = exts[i]!;
      const next = i + 1 < exts.length ? exts[i + 1]!.type : proto;
      extBytes.push(buildExt(e, next));
    }
    const firstNext = exts.length ? exts[0]!.type : proto;
    const body = concat(...extBytes, l4);
    const h = new Uint8Array(40);
    put32(h, 0, (6 << 28) | ((ip.tos ?? 0) << 20) | (ip.flowLabel ?? 0));
    put16(h, 4, ip.totalLength ?? body.length);
    h[6] = firstNext;
    h[7] = ip.ttl ?? 64;
    h.set(parseV6(ip.src), 8);
    h.set(parseV6(ip.dst), 24);
    return concat(h, body);
  }
  const opts = ip.ipOptions ? padOptions(ip.ipOptions, 4) : new Uint8Array(0);
  const hl = 20 + opts.length;
  const h = new Uint8Array(hl);
  h[0] = 0x40 | (hl / 4);
  h[1] = ip.tos ?? 0;
  put16(h, 2, ip.totalLength ?? hl + l4.length);
  put16(h, 4, ip.id ?? 0x1234);
  put16(h, 6, (ip.df ? 0x4000 : 0) | (ip.mf ? 0x2000 : 0) | (ip.fragOffset ?? 0));
  h[8] = ip.ttl ?? 64;
  h[9] = proto;
  h.set(parseV4(ip.src), 12);
  h.set(parseV4(ip.dst), 16);
  h.set(opts, 20);
  let c = checksum(h);
  if (ip.badIpChecksum) c = c ^ 0x5a5a;
  put16(h, 10, c);
  return concat(h, l4);
}

function pseudoHeader(ip: IpSpec, proto: number, len: number): Uint8Array {
  if (isV6(ip.src)) {
    const p = new Uint8Array(40);
    p.set(parseV6(ip.src), 0);
    p.set(parseV6(ip.dst), 16);
    put32(p, 32, len);
    p[39] = proto;
    return p;
  }
  const p = new Uint8Array(12);
  p.set(parseV4(ip.src), 0);
  p.set(parseV4(ip.dst), 4);
  p[9] = proto;
  put16(p, 10, len);
  return p;
}

// ---------------------------------------------------------------------------------------------
// TCP

export interface TcpOptions {
  mss?: number;
  wscale?: number;
  sackPerm?: boolean;
  ts?: [number, number];
  sack?: Array<[number, number]>;
  raw?: Uint8Array; // appended verbatim before padding
}

export interface TcpSpec {
  sport: number;
  dport: number;
  seq: number;
  ack?: number;
  flags: number;
  win?: number;
  urg?: number;
  options?: TcpOptions;
  payload?: Uint8Array;
  badChecksum?: boolean;
  /** override the data offset field (in 32-bit words) */
  dataOffset?: number;
  /** cut the TCP header+payload to this many bytes after computing it */
  truncateTo?: number;
}

export function encodeTcpOptions(o: TcpOptions): Uint8Array {
  const parts: number[] = [];
  if (o.mss !== undefined) parts.push(2, 4, (o.mss >>> 8) & 0xff, o.mss & 0xff);
  if (o.sackPerm) parts.push(4, 2);
  if (o.ts) {
    const t = new Uint8Array(10);
    t[0] = 8;
    t[1] = 10;
    put32(t, 2, o.ts[0]);
    put32(t, 6, o.ts[1]);
    parts.push(1, 1);
    parts.push(...t);
  }
  if (o.sack && o.sack.length) {
    parts.push(1, 1, 5, 2 + 8 * o.sack.length);
    for (const [l, r] of o.sack) {
      const t = new Uint8Array(8);
      put32(t, 0, l);
      put32(t, 4, r);
      parts.push(...t);
    }
  }
  if (o.wscale !== undefined) parts.push(1, 3, 3, o.wscale);
  if (o.raw) parts.push(...o.raw);
  while (parts.length % 4 !== 0) parts.push(0);
  return Uint8Array.from(parts);
}

export function tcpSegment(ip: IpSpec, t: TcpSpec): Uint8Array {
  const opts = t.options ? encodeTcpOptions(t.options) : new Uint8Array(0);
  const payload = t.payload ?? new Uint8Array(0);
  const hl = 20 + opts.length;
  const h = new Uint8Array(hl);
  put16(h, 0, t.sport);
  put16(h, 2, t.dport);
  put32(h, 4, t.seq >>> 0);
  put32(h, 8, (t.ack ?? 0) >>> 0);
  h[12] = ((t.dataOffset ?? hl / 4) & 0xf) << 4;
  h[13] = t.flags & 0xff;
  put16(h, 14, t.win ?? 64240);
  put16(h, 18, t.urg ?? 0);
  h.set(opts, 20);
  const seg = concat(h, payload);
  let c = checksum(pseudoHeader(ip, PROTO.TCP, seg.length), seg);
  if (t.badChecksum) c ^= 0x1111;
  put16(seg, 16, c);
  return t.truncateTo !== undefined ? seg.slice(0, t.truncateTo) : seg;
}

export function tcp(ip: IpSpec, t: TcpSpec): Uint8Array {
  return ipPacket(ip, PROTO.TCP, tcpSegment(ip, t));
}

// ---------------------------------------------------------------------------------------------
// UDP / UDP-Lite

export interface UdpSpec {
  sport: number;
  dport: number;
  payload?: Uint8Array;
  badChecksum?: boolean;
  zeroChecksum?: boolean;
  /** override the UDP length field */
  length?: number;
  truncateTo?: number;
}

export function udpDatagram(ip: IpSpec, u: UdpSpec): Uint8Array {
  const payload = u.payload ?? new Uint8Array(0);
  const d = new Uint8Array(8 + payload.length);
  put16(d, 0, u.sport);
  put16(d, 2, u.dport);
  put16(d, 4, u.length ?? d.length);
  d.set(payload, 8);
  if (!u.zeroChecksum) {
    let c = checksum(pseudoHeader(ip, PROTO.UDP, d.length), d);
    if (c === 0) c = 0xffff;
    if (u.badChecksum) c ^= 0x2222;
    put16(d, 6, c);
  }
  return u.truncateTo !== undefined ? d.slice(0, u.truncateTo) : d;
}

export function udp(ip: IpSpec, u: UdpSpec): Uint8Array {
  return ipPacket(ip, PROTO.UDP, udpDatagram(ip, u));
}

export interface UdpLiteSpec {
  sport: number;
  dport: number;
  payload?: Uint8Array;
  /** checksum coverage (0 = whole datagram) */
  coverage?: number;
  /** protocol number used in the pseudo-header: the 6.18 kernel checks with 17 (see KERNEL-NOTES B) */
  pseudoProto?: number;
  badChecksum?: boolean;
  zeroChecksum?: boolean;
}

export function udplite(ip: IpSpec, u: UdpLiteSpec): Uint8Array {
  const payload = u.payload ?? new Uint8Array(0);
  const d = new Uint8Array(8 + payload.length);
  put16(d, 0, u.sport);
  put16(d, 2, u.dport);
  const cov = u.coverage ?? 0;
  put16(d, 4, cov);
  d.set(payload, 8);
  if (!u.zeroChecksum) {
    const covered = cov === 0 ? d.length : Math.min(cov, d.length);
    let c = checksum(pseudoHeader(ip, u.pseudoProto ?? PROTO.UDP, d.length), d.slice(0, covered));
    if (c === 0) c = 0xffff;
    if (u.badChecksum) c ^= 0x2222;
    put16(d, 6, c);
  }
  return ipPacket(ip, PROTO.UDPLITE, d);
}

// ---------------------------------------------------------------------------------------------
// ICMP / ICMPv6

export interface IcmpSpec {
  type: number;
  code?: number;
  /** bytes 4..7 of the ICMP header (id/seq for echo, unused/MTU/pointer/gateway for errors) */
  rest?: Uint8Array;
  id?: number;
  seq?: number;
  payload?: Uint8Array;
  badChecksum?: boolean;
}

function icmpBody(s: IcmpSpec): Uint8Array {
  const payload = s.payload ?? new Uint8Array(0);
  const m = new Uint8Array(8 + payload.length);
  m[0] = s.type;
  m[1] = s.code ?? 0;
  if (s.rest) m.set(s.rest.slice(0, 4), 4);
  else {
    put16(m, 4, s.id ?? 0);
    put16(m, 6, s.seq ?? 0);
  }
  m.set(payload, 8);
  return m;
}

export function icmp(ip: IpSpec, s: IcmpSpec): Uint8Array {
  const m = icmpBody(s);
  let c = checksum(m);
  if (s.badChecksum) c ^= 0x3333;
  put16(m, 2, c);
  return ipPacket(ip, PROTO.ICMP, m);
}

export function icmp6(ip: IpSpec, s: IcmpSpec): Uint8Array {
  const m = icmpBody(s);
  let c = checksum(pseudoHeader(ip, PROTO.ICMPV6, m.length), m);
  if (s.badChecksum) c ^= 0x3333;
  put16(m, 2, c);
  return ipPacket(ip, PROTO.ICMPV6, m);
}

/**
 * ICMP(v6) error quoting `inner` (a full IP packet). `quote` bytes of it are included
 * (default: IPv4 header + 8 bytes of L4 for ICMP, whole packet up to 1232 bytes for ICMPv6).
 */
export function icmpError(
  ip: IpSpec,
  type: number,
  code: number,
  inner: Uint8Array,
  opts: { quote?: number; rest?: Uint8Array; badChecksum?: boolean } = {},
): Uint8Array {
  let quote = opts.quote;
  if (quote === undefined) {
    if (isV6(ip.src)) quote = Math.min(inner.length, 1232);
    else quote = Math.min(inner.length, ((inner[0] ?? 0x45) & 0xf) * 4 + 8);
  }
  const spec: IcmpSpec = {
    type,
    code,
    rest: opts.rest ?? new Uint8Array(4),
    payload: inner.slice(0, quote),
    badChecksum: opts.badChecksum ?? false,
  };
  return isV6(ip.src) ? icmp6(ip, spec) : icmp(ip, spec);
}

/** Generic/unknown protocol packet (e.g. ESP 50, 253). */
export function rawProto(ip: IpSpec, proto: number, payload: Uint8Array): Uint8Array {
  return ipPacket(ip, proto, payload);
}

/** GRE version 0 header (no key/checksum) carrying `inner` with the given ethertype. */
export function gre(ip: IpSpec, inner: Uint8Array, opts: { protocolType?: number; version?: number; key?: number } = {}): Uint8Array {
  const hasKey = opts.key !== undefined;
  const h = new Uint8Array(hasKey ? 8 : 4);
  put16(h, 0, (hasKey ? 0x2000 : 0) | ((opts.version ?? 0) & 7));
  put16(h, 2, opts.protocolType ?? 0x0800);
  if (hasKey) put32(h, 4, opts.key!);
  return ipPacket(ip, PROTO.GRE, concat(h, inner));
}

/** CRC32c for SCTP (the kernel checks it on every recorded scenario). */
export function crc32c(b: Uint8Array): number {
  return crc32cOf(b, 0, b.length);
}

export interface SctpChunk {
  type: number;
  flags?: number;
  value: Uint8Array;
}

export function sctp(ip: IpSpec, s: { sport: number; dport: number; vtag: number; chunks: SctpChunk[] }): Uint8Array {
  const chunkBytes = s.chunks.map((ch) => {
    const len = 4 + ch.value.length;
    const b = new Uint8Array(Math.ceil(len / 4) * 4);
    b[0] = ch.type;
    b[1] = ch.flags ?? 0;
    put16(b, 2, len);
    b.set(ch.value, 4);
    return b;
  });
  const pkt = concat(new Uint8Array(12), ...chunkBytes);
  put16(pkt, 0, s.sport);
  put16(pkt, 2, s.dport);
  put32(pkt, 4, s.vtag);
  const c = crc32c(pkt);
  // SCTP stores the CRC32c little-endian-ish: bytes in network order of the reflected value
  pkt[8] = c & 0xff;
  pkt[9] = (c >>> 8) & 0xff;
  pkt[10] = (c >>> 16) & 0xff;
  pkt[11] = (c >>> 24) & 0xff;
  return ipPacket(ip, PROTO.SCTP, pkt);
}

/** SCTP INIT / INIT-ACK value: initiate tag, a_rwnd, out streams, in streams, initial TSN. */
export function sctpInitValue(tag: number, tsn: number): Uint8Array {
  const v = new Uint8Array(16);
  put32(v, 0, tag);
  put32(v, 4, 65536);
  put16(v, 8, 10);
  put16(v, 10, 10);
  put32(v, 12, tsn);
  return v;
}

// ---------------------------------------------------------------------------------------------
// IPv4 fragmentation helper

/** Split an IPv4 packet's payload into fragments of `size` bytes (multiple of 8). */
export function fragmentV4(ip: IpSpec, proto: number, l4: Uint8Array, size: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let off = 0; off < l4.length; off += size) {
    const chunk = l4.slice(off, off + size);
    out.push(ipPacket({ ...ip, fragOffset: off / 8, mf: off + size < l4.length }, proto, chunk));
  }
  return out;
}

export function fragmentV6(ip: IpSpec, proto: number, l4: Uint8Array, size: number, ident = 0x1234): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let off = 0; off < l4.length; off += size) {
    const chunk = l4.slice(off, off + size);
    out.push(
      ipPacket(
        { ...ip, ext: [...(ip.ext ?? []), { type: PROTO.FRAGMENT, fragOffset: off / 8, more: off + size < l4.length, ident }] },
        proto,
        chunk,
      ),
    );
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// TCP conversation helper

export interface TcpEndpoint {
  addr: string;
  port: number;
  isn: number;
  win?: number;
  mss?: number;
  wscale?: number;
  sackPerm?: boolean;
}

export type Side = 'c' | 's';

export interface SegOpts {
  payload?: Uint8Array;
  seq?: number; // override sequence number
  ack?: number; // override ack number
  win?: number;
  options?: TcpOptions;
  badChecksum?: boolean;
  /** do not advance the sender's sequence space (e.g. for a crafted duplicate) */
  noAdvance?: boolean;
  ip?: Partial<IpSpec>;
  urg?: number;
  dataOffset?: number;
  truncateTo?: number;
}

/**
 * Tracks snd.nxt per side so generated segments stay inside the kernel's windows.
 * `ack` defaults to the peer's snd.nxt whenever the ACK flag is set.
 */
export class TcpConversation {
  readonly nxt: Record<Side, number>;
  readonly ep: Record<Side, TcpEndpoint>;

  constructor(client: TcpEndpoint, server: TcpEndpoint, readonly ipExtra: Partial<IpSpec> = {}) {
    this.ep = { c: client, s: server };
    this.nxt = { c: client.isn >>> 0, s: server.isn >>> 0 };
  }

  private other(s: Side): Side {
    return s === 'c' ? 's' : 'c';
  }

  seg(from: Side, flags: number, o: SegOpts = {}): Uint8Array {
    const me = this.ep[from];
    const peer = this.ep[this.other(from)];
    const payload = o.payload ?? new Uint8Array(0);
    const seq = o.seq ?? this.nxt[from];
    const ack = o.ack ?? (flags & TCP_FLAGS.ACK ? this.nxt[this.other(from)] : 0);
    let options = o.options;
    if (!options && flags & TCP_FLAGS.SYN) {
      options = {};
      if (me.mss !== undefined) options.mss = me.mss;
      if (me.sackPerm) options.sackPerm = true;
      if (me.wscale !== undefined) options.wscale = me.wscale;
    }
    const ip: IpSpec = { src: me.addr, dst: peer.addr, ...this.ipExtra, ...(o.ip ?? {}) };
    const spec: TcpSpec = {
      sport: me.port,
      dport: peer.port,
      seq,
      ack,
      flags,
      win: o.win ?? me.win ?? 64240,
      payload,
    };
    if (options) spec.options = options;
    if (o.badChecksum) spec.badChecksum = true;
    if (o.urg !== undefined) spec.urg = o.urg;
    if (o.dataOffset !== undefined) spec.dataOffset = o.dataOffset;
    if (o.truncateTo !== undefined) spec.truncateTo = o.truncateTo;
    const pkt = tcp(ip, spec);
    if (!o.noAdvance && o.seq === undefined) {
      let adv = payload.length;
      if (flags & TCP_FLAGS.SYN) adv += 1;
      if (flags & TCP_FLAGS.FIN) adv += 1;
      this.nxt[from] = (this.nxt[from] + adv) >>> 0;
    }
    return pkt;
  }

  syn(from: Side = 'c', o: SegOpts = {}): Uint8Array {
    return this.seg(from, TCP_FLAGS.SYN, o);
  }
  synack(from: Side = 's', o: SegOpts = {}): Uint8Array {
    return this.seg(from, TCP_FLAGS.SYN | TCP_FLAGS.ACK, o);
  }
  ack(from: Side, o: SegOpts = {}): Uint8Array {
    return this.seg(from, TCP_FLAGS.ACK, o);
  }
  data(from: Side, payload: Uint8Array, o: SegOpts = {}): Uint8Array {
    return this.seg(from, TCP_FLAGS.ACK | TCP_FLAGS.PSH, { ...o, payload });
  }
  fin(from: Side, o: SegOpts = {}): Uint8Array {
    return this.seg(from, TCP_FLAGS.FIN | TCP_FLAGS.ACK, o);
  }
  rst(from: Side, o: SegOpts = {}): Uint8Array {
    return this.seg(from, TCP_FLAGS.RST, o);
  }
  rstack(from: Side, o: SegOpts = {}): Uint8Array {
    return this.seg(from, TCP_FLAGS.RST | TCP_FLAGS.ACK, o);
  }
  /** SYN, SYN/ACK, ACK */
  handshake(): Uint8Array[] {
    return [this.syn('c'), this.synack('s'), this.ack('c')];
  }
}
