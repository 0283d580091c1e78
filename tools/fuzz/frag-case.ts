/**
 * Random IPv4 and IPv6 fragment trains for differential fuzzing against the live kernel (the
 * defragmenter in front of conntrack): UDP, TCP and ICMP datagrams cut at random 8-byte
 * boundaries and delivered in order, reversed, shuffled, with a fragment duplicated, missing,
 * overlapping another, an inconsistent end, atomic (IPv6 offset 0 without more fragments), then
 * replies (fragmented or not) and sometimes a second datagram with the same identification.
 * Held fragments have no ct state ("none"), so these cases allow it. Deterministic from (seed, index).
 */
import { PROTO, TCP_FLAGS as F, filler, icmp, icmp6, ipPacket, tcpSegment, udpDatagram, type IpSpec } from '../lib/packet-builder.js';
import { Trace, caseRng, perturb, randHosts, type FuzzCase, type Hosts, type Rng } from './case-common.js';

type Kind = 'udp' | 'tcp' | 'icmp';

/** The L4 bytes (header + payload) of a datagram from `ip.src` to `ip.dst`. */
function l4Bytes(h: Hosts, kind: Kind, ip: IpSpec, reply: boolean, ports: [number, number], len: number, id: number): { proto: number; l4: Uint8Array } {
  const [a, b] = reply ? [ports[1], ports[0]] : ports;
  switch (kind) {
    case 'udp':
      return { proto: PROTO.UDP, l4: udpDatagram(ip, { sport: a, dport: b, payload: filler(len, len & 0xff) }) };
    case 'tcp':
      // SYN with data (fast-open style) and its SYN/ACK: a whole handshake start in one datagram
      return {
        proto: PROTO.TCP,
        l4: tcpSegment(ip, { sport: a, dport: b, seq: reply ? 900000 : 100000, ack: reply ? 100001 + len : 0, flags: reply ? F.SYN | F.ACK : F.SYN, options: { mss: 1460 }, payload: filler(len, 3) }),
      };
    case 'icmp': {
      const spec = { type: h.v6 ? (reply ? 129 : 128) : reply ? 0 : 8, id, seq: 1, payload: filler(len, 5) };
      const pkt = h.v6 ? icmp6(ip, spec) : icmp(ip, spec);
      return { proto: h.v6 ? PROTO.ICMPV6 : PROTO.ICMP, l4: pkt.slice(h.v6 ? 40 : 20) };
    }
  }
}

interface Frag {
  off: number;
  len: number;
  more: boolean;
}

/** One fragment carrying l4[off, off+len) (IPv4 flags/offset or an IPv6 fragment header). */
function fragPacket(ip: IpSpec, v6: boolean, proto: number, l4: Uint8Array, f: Frag, ident: number): Uint8Array {
  const chunk = l4.slice(f.off, f.off + f.len);
  if (v6) return ipPacket({ ...ip, ext: [{ type: PROTO.FRAGMENT, fragOffset: f.off / 8, more: f.more, ident }] }, proto, chunk);
  return ipPacket({ ...ip, id: ident & 0xffff, fragOffset: f.off / 8, mf: f.more }, proto, chunk);
}

type Order = 'inOrder' | 'reversed' | 'shuffled' | 'duplicate' | 'missing' | 'overlap' | 'badEnd' | 'atomic' | 'whole';

function shuffle<T>(r: Rng, xs: T[]): T[] {
  const a = [...xs];
  for (let i = a.length - 1; i > 0; i--) {
    const j = r.int(0, i);
    [a[i], a[j]] = [a[j]!, a[i]!];
  }
  return a;
}

/** The fragment list for a datagram of `total` bytes (2 to 16 pieces), perturbed as `order` says. */
function plan(r: Rng, total: number, order: Order): Frag[] {
  if (order === 'atomic' || order === 'whole' || total <= 8) return [{ off: 0, len: total, more: false }];
  const size = Math.max(8, 8 * Math.ceil(total / r.int(2, 16) / 8));
  const frags: Frag[] = [];
  for (let off = 0; off < total; off += size) frags.push({ off, len: Math.min(size, total - off), more: off + size < total });
  return reorder(r, frags, order, total);
}

function reorder(r: Rng, frags: Frag[], order: Order, total: number): Frag[] {
  switch (order) {
    case 'reversed':
      return [...frags].reverse();
    case 'shuffled':
      return shuffle(r, frags);
    case 'duplicate': {
      const i = r.int(0, frags.length - 1);
      return [...frags.slice(0, i + 1), frags[i]!, ...frags.slice(i + 1)];
    }
    case 'missing': {
      const i = r.int(0, frags.length - 1);
      return frags.filter((_, j) => j !== i);
    }
    case 'overlap': {
      // an extra fragment starting inside another one (same bytes, since the data are the datagram's)
      const off = 8 * r.int(0, Math.max(0, Math.floor((total - 1) / 8)));
      const len = Math.min(total - off, 8 * r.int(1, 4));
      const extra: Frag = { off, len, more: off + len < total };
      const at = r.int(0, frags.length);
      return [...frags.slice(0, at), extra, ...frags.slice(at)];
    }
    case 'badEnd': {
      // a second "last" fragment ending elsewhere
      const last = frags[frags.length - 1]!;
      const alt: Frag = { off: last.off, len: Math.max(1, last.len - r.int(1, Math.max(1, last.len - 1))), more: false };
      return [...frags.slice(0, -1), alt, last];
    }
    default:
      return frags;
  }
}

export function generateFragCase(seed: number, index: number): FuzzCase {
  const r = caseRng(seed, index);
  const h = randHosts(r, r.chance(0.45));
  const tr = new Trace(r);
  const kind = r.weighted<Kind>([
    ['udp', 5],
    ['tcp', 2],
    ['icmp', 2],
  ]);
  const notes: string[] = [h.v6 ? 'v6' : 'v4', kind];
  const ports: [number, number] = [r.int(1024, 65535), r.pick([53, 80, 443, 4789, r.int(1, 65535)])];
  const id = r.int(0, 0xffff);
  let ident = r.chance(0.1) ? 0 : r.u32();
  const datagrams = r.int(1, 4);
  for (let d = 0; d < datagrams; d++) {
    const reply = d > 0 && r.chance(0.6);
    const ip: IpSpec = reply ? { src: h.s, dst: h.c } : { src: h.c, dst: h.s };
    const len = r.weighted<number>([
      [r.int(0, 64), 2],
      [r.int(65, 1500), 4],
      [r.int(1501, 6000), 2],
    ]);
    const { proto, l4 } = l4Bytes(h, kind, ip, reply, ports, len, id);
    const order = r.weighted<Order>([
      ['inOrder', 6],
      ['reversed', 3],
      ['shuffled', 3],
      ['duplicate', 2],
      ['missing', 1.5],
      ['overlap', 2],
      ['badEnd', 1],
      ['atomic', h.v6 ? 1 : 0],
      ['whole', 2],
    ]);
    notes.push(`${reply ? 'reply' : 'orig'}:${order}`);
    // a second datagram reuses the identification sometimes (after completion it starts a new queue)
    if (r.chance(0.6)) ident = r.u32();
    for (const f of plan(r, l4.length, order)) {
      const pkt = order === 'whole' ? ipPacket(ip, proto, l4) : fragPacket(ip, h.v6, proto, l4, f, ident);
      tr.push(pkt, `${reply ? 's>c' : 'c>s'} ${kind} ${order === 'whole' ? 'unfragmented' : `frag off=${f.off} len=${f.len}${f.more ? ' MF' : ''} id=${(h.v6 ? ident : ident & 0xffff).toString(16)}`}`);
    }
  }
  const pk = perturb(r, tr.out, notes, { lose: 0.05, swap: 0.15 });
  return { name: `fuzz_frag_${seed}_${index}`, seed, index, sysctls: {}, summary: notes.join(' '), packets: pk, noneOk: true };
}
