/**
 * Hostile-traffic capture generator: floods and scans, streamed as pcap
 * (LINKTYPE_RAW, µs timestamps) in chunks, with correct IPv4 header, TCP, UDP
 * and ICMP checksums so every packet passes the tracker's checks. Deterministic:
 * the same spec gives the same bytes. Millions of packets cost a few seconds and
 * constant memory (chunks of ~1 MiB).
 *
 * Kinds:
 *   syn    SYN flood: random sources (10.0.0.0/8, or --sources N of them) and ports to TARGET:80
 *   udp    UDP flood: random sources to TARGET:53, one packet per flow
 *   scan-syn, scan-fin, scan-null, scan-xmas   one scanner sweeping TARGET's ports
 *          (scan-syn: closed ports answer RST|ACK, every --open-th port answers SYN|ACK)
 *   icmp   ICMP echo flood from random sources (each its own id), with ICMP errors:
 *          port unreachables quoting earlier flood packets (related) and errors
 *          quoting flows that never existed (invalid, stat error)
 * Every kind can open --legit N real TCP connections first (handshake and data:
 * ASSURED entries) and keep them talking during the flood: the entries early
 * drop must never evict.
 *
 * CLI: node dist/tools/floods/gen.js KIND [--packets N] [--pps N] [--sources N]
 *        [--legit N] [--seed N] [--open N] [-o FILE]   (no -o, or -o -: stdout)
 */
import { closeSync, openSync, writeSync } from 'node:fs';
import { once } from 'node:events';
import { pathToFileURL } from 'node:url';
import { concat } from '../lib/packet-builder.js';

export const FLOOD_KINDS = ['syn', 'udp', 'scan-syn', 'scan-fin', 'scan-null', 'scan-xmas', 'icmp'] as const;
export type FloodKind = (typeof FLOOD_KINDS)[number];

export interface FloodSpec {
  kind: FloodKind;
  /** Flood packets (the legit connections' packets come on top). */
  packets: number;
  /** Packets per second of capture time (default 100 000). */
  pps?: number;
  /** Distinct flood sources; 0 = any address in 10.0.0.0/8 (default). */
  sources?: number;
  /** Real TCP connections opened (and made ASSURED) before the flood. */
  legit?: number;
  seed?: number;
  /** scan-syn: every N-th port is open (SYN|ACK answer). Default 50. */
  open?: number;
  /** Start of the capture, seconds since the epoch. */
  start?: number;
}

/** The victim of every flood. */
export const TARGET = 0xc0000201; // 192.0.2.1
/** The scanner of the scans. */
export const SCANNER = 0xcb007107; // 203.0.113.7
/** Legit clients are 192.168.1.x, to TARGET:443. */
export const LEGIT_NET = 0xc0a80100;
export const LEGIT_PORT = 443;

const SYN = 0x02;
const FIN = 0x01;
const RST = 0x04;
const PSH = 0x08;
const ACK = 0x10;
const URG = 0x20;

const CHUNK = 1 << 20;

function fold(sum: number): number {
  while (sum > 0xffff) sum = (sum & 0xffff) + Math.floor(sum / 0x10000);
  return sum;
}

/** Streams pcap bytes in chunks. */
class PcapChunks {
  buf = new Uint8Array(CHUNK + 4096);
  dv = new DataView(this.buf.buffer);
  off = 0;
  packets = 0;
  tUs: number;
  private readonly gapUs: number;

  constructor(private readonly sink: (chunk: Uint8Array) => void, startSec: number, pps: number) {
    this.tUs = Math.round(startSec * 1e6);
    this.gapUs = 1e6 / pps;
    const dv = this.dv;
    dv.setUint32(0, 0xa1b2c3d4, true);
    dv.setUint16(4, 2, true);
    dv.setUint16(6, 4, true);
    dv.setUint32(16, 65535, true);
    dv.setUint32(20, 101, true); // LINKTYPE_RAW
    this.off = 24;
  }

  /** Starts a record of an IPv4 packet of `l4len` bytes of L4; returns the IP header offset. */
  ipv4(src: number, dst: number, proto: number, l4len: number, ttl = 64): number {
    if (this.off > CHUNK) this.flush();
    const dv = this.dv;
    const o = this.off;
    const t = Math.round(this.tUs);
    const sec = Math.floor(t / 1e6);
    const len = 20 + l4len;
    dv.setUint32(o, sec, true);
    dv.setUint32(o + 4, t - sec * 1e6, true);
    dv.setUint32(o + 8, len, true);
    dv.setUint32(o + 12, len, true);
    const ip = o + 16;
    dv.setUint32(ip, 0x45000000 | len);
    dv.setUint32(ip + 4, ((this.packets & 0xffff) << 16) | 0x4000); // id, DF
    dv.setUint32(ip + 8, (ttl << 24) | (proto << 16)); // checksum 0 for now
    dv.setUint32(ip + 12, src >>> 0);
    dv.setUint32(ip + 16, dst >>> 0);
    let s = 0;
    for (let i = 0; i < 20; i += 2) s += dv.getUint16(ip + i);
    dv.setUint16(ip + 10, ~fold(s) & 0xffff);
    this.off = ip + len;
    this.packets++;
    this.tUs += this.gapUs;
    return ip;
  }

  /** The L4 checksum at `ip + 20 + at`, over the pseudo header (or none, for ICMP) and the L4 bytes. */
  l4sum(ip: number, at: number, pseudo: boolean): void {
    const dv = this.dv;
    const len = dv.getUint16(ip + 2) - 20;
    const l4 = ip + 20;
    let s = 0;
    if (pseudo) {
      s += dv.getUint16(ip + 12) + dv.getUint16(ip + 14) + dv.getUint16(ip + 16) + dv.getUint16(ip + 18);
      s += this.buf[ip + 9]! + len;
    }
    let i = 0;
    for (; i + 1 < len; i += 2) s += dv.getUint16(l4 + i);
    if (i < len) s += this.buf[l4 + i]! << 8;
    let c = ~fold(s) & 0xffff;
    if (c === 0 && pseudo && this.buf[ip + 9] === 17) c = 0xffff;
    dv.setUint16(l4 + at, c);
  }

  tcp(src: number, dst: number, sport: number, dport: number, seq: number, ack: number, flags: number, payload = 0): void {
    const ip = this.ipv4(src, dst, 6, 20 + payload);
    const dv = this.dv;
    const l4 = ip + 20;
    dv.setUint32(l4, ((sport << 16) | dport) >>> 0);
    dv.setUint32(l4 + 4, seq >>> 0);
    dv.setUint32(l4 + 8, flags & ACK ? ack >>> 0 : 0);
    dv.setUint32(l4 + 12, ((0x50 << 24) | (flags << 16) | 64240) >>> 0);
    dv.setUint32(l4 + 16, 0);
    for (let i = 0; i < payload; i++) this.buf[l4 + 20 + i] = (i * 7 + 13) & 0xff;
    this.l4sum(ip, 16, true);
  }

  udp(src: number, dst: number, sport: number, dport: number, payload: number): void {
    const ip = this.ipv4(src, dst, 17, 8 + payload);
    const dv = this.dv;
    const l4 = ip + 20;
    dv.setUint32(l4, ((sport << 16) | dport) >>> 0);
    dv.setUint32(l4 + 4, (8 + payload) << 16);
    for (let i = 0; i < payload; i++) this.buf[l4 + 8 + i] = (i * 5 + 1) & 0xff;
    this.l4sum(ip, 6, true);
  }

  echo(src: number, dst: number, id: number, seq: number, reply: boolean): void {
    const ip = this.ipv4(src, dst, 1, 8 + 32);
    const dv = this.dv;
    const l4 = ip + 20;
    dv.setUint32(l4, (reply ? 0 : 8) << 24);
    dv.setUint32(l4 + 4, ((id << 16) | seq) >>> 0);
    for (let i = 0; i < 32; i++) this.buf[l4 + 8 + i] = 0x61 + (i % 23);
    this.l4sum(ip, 2, false);
  }

  /** ICMP port unreachable from `src` to `dst`, quoting a UDP packet qsrc:qsport -> qdst:qdport. */
  unreachable(src: number, dst: number, qsrc: number, qdst: number, qsport: number, qdport: number): void {
    const ip = this.ipv4(src, dst, 1, 8 + 28);
    const dv = this.dv;
    const l4 = ip + 20;
    dv.setUint32(l4, (3 << 24) | (3 << 16));
    dv.setUint32(l4 + 4, 0);
    const q = l4 + 8;
    dv.setUint32(q, 0x45000000 | 36);
    dv.setUint32(q + 4, 0x4000);
    dv.setUint32(q + 8, (64 << 24) | (17 << 16));
    dv.setUint32(q + 12, qsrc >>> 0);
    dv.setUint32(q + 16, qdst >>> 0);
    let s = 0;
    for (let i = 0; i < 20; i += 2) s += dv.getUint16(q + i);
    dv.setUint16(q + 10, ~fold(s) & 0xffff);
    dv.setUint32(q + 20, ((qsport << 16) | qdport) >>> 0);
    dv.setUint32(q + 24, 16 << 16);
    this.l4sum(ip, 2, false);
  }

  flush(): void {
    if (this.off === 0) return;
    this.sink(this.buf.slice(0, this.off));
    this.off = 0;
  }
}

/** xorshift32, never 0. */
function rng(seed: number): () => number {
  let x = (seed >>> 0) || 0x2545f491;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return x >>> 0;
  };
}

/** Legit connections: handshake and a request/response each, then one data packet now and then. */
class Legit {
  private readonly cseq: Uint32Array;
  private readonly sseq: Uint32Array;
  private turn = 0;
  constructor(private readonly n: number, next: () => number) {
    this.cseq = new Uint32Array(n);
    this.sseq = new Uint32Array(n);
    for (let i = 0; i < n; i++) {
      this.cseq[i] = next();
      this.sseq[i] = next();
    }
  }
  static client(i: number): number {
    return (LEGIT_NET + 1 + (i % 250)) >>> 0;
  }
  static port(i: number): number {
    return 20000 + i;
  }
  open(w: PcapChunks): void {
    for (let i = 0; i < this.n; i++) {
      const c = Legit.client(i);
      const p = Legit.port(i);
      const cs = this.cseq[i]!;
      const ss = this.sseq[i]!;
      w.tcp(c, TARGET, p, LEGIT_PORT, cs, 0, SYN);
      w.tcp(TARGET, c, LEGIT_PORT, p, ss, cs + 1, SYN | ACK);
      w.tcp(c, TARGET, p, LEGIT_PORT, cs + 1, ss + 1, ACK);
      w.tcp(c, TARGET, p, LEGIT_PORT, cs + 1, ss + 1, PSH | ACK, 100);
      w.tcp(TARGET, c, LEGIT_PORT, p, ss + 1, cs + 101, PSH | ACK, 200);
      this.cseq[i] = cs + 101;
      this.sseq[i] = ss + 201;
    }
  }
  /** One more data segment on the next connection (client side), acknowledged. */
  talk(w: PcapChunks): void {
    if (this.n === 0) return;
    const i = this.turn++ % this.n;
    const c = Legit.client(i);
    const p = Legit.port(i);
    w.tcp(c, TARGET, p, LEGIT_PORT, this.cseq[i]!, this.sseq[i]!, PSH | ACK, 10);
    this.cseq[i] = this.cseq[i]! + 10;
    w.tcp(TARGET, c, LEGIT_PORT, p, this.sseq[i]!, this.cseq[i]!, ACK);
  }
}

/**
 * A flood as pcap bytes in chunks of about 1 MiB, produced between yields
 * (constant memory however many packets). The last value is the packet count.
 */
export function* floodChunks(spec: FloodSpec): Generator<Uint8Array, number> {
  const next = rng(spec.seed ?? 1);
  const pending: Uint8Array[] = [];
  const w = new PcapChunks((c) => pending.push(c), spec.start ?? 1_767_225_600, spec.pps ?? 100_000);
  const legit = new Legit(spec.legit ?? 0, next);
  legit.open(w);
  while (pending.length > 0) yield pending.shift()!;
  const nsrc = spec.sources ?? 0;
  const source = (): number => (nsrc > 0 ? (0x0a000000 + 1 + (next() % nsrc)) : (0x0a000000 | (next() & 0xffffff))) >>> 0;
  const open = Math.max(1, spec.open ?? 50);
  // Legit traffic: one exchange per 1000 flood packets.
  const talkEvery = 1000;
  // icmp: the last UDP-ish flows the errors quote (ring of recent echo sources).
  const recent = new Uint32Array(256);
  for (let k = 0; k < spec.packets; k++) {
    while (pending.length > 0) yield pending.shift()!;
    if (k % talkEvery === talkEvery - 1) legit.talk(w);
    switch (spec.kind) {
      case 'syn':
        w.tcp(source(), TARGET, 1024 + (next() % 64512), 80, next(), 0, SYN);
        break;
      case 'udp':
        w.udp(source(), TARGET, 1024 + (next() % 64512), 53, 24 + (next() % 40));
        break;
      case 'scan-syn': {
        const port = 1 + (k % 65535);
        const sport = 40000 + ((k / 65535) | 0) % 20000;
        const seq = next();
        w.tcp(SCANNER, TARGET, sport, port, seq, 0, SYN);
        // The target answers every other probe (the rest are filtered).
        if (k % 2 === 0) {
          if (port % open === 0) w.tcp(TARGET, SCANNER, port, sport, next(), seq + 1, SYN | ACK);
          else w.tcp(TARGET, SCANNER, port, sport, 0, seq + 1, RST | ACK);
        }
        break;
      }
      case 'scan-fin':
      case 'scan-null':
      case 'scan-xmas': {
        const flags = spec.kind === 'scan-fin' ? FIN : spec.kind === 'scan-null' ? 0 : FIN | PSH | URG;
        w.tcp(SCANNER, TARGET, 40000 + ((k / 65535) | 0) % 20000, 1 + (k % 65535), next(), 0, flags);
        break;
      }
      case 'icmp': {
        const r = next() % 10;
        if (r < 7) {
          const s = source();
          recent[k & 255] = s;
          w.echo(s, TARGET, next() & 0xffff, 1, false);
        } else if (r < 9) {
          // The target's port unreachable for a UDP packet that was never sent: invalid (error).
          const s = source();
          w.unreachable(TARGET, s, s, TARGET, 1024 + (next() % 60000), 9);
        } else {
          // A UDP probe from a recent source, and the target's port unreachable for it: related.
          const s = recent[next() & 255] || source();
          const sport = 1024 + (next() % 60000);
          w.udp(s, TARGET, sport, 7, 8);
          w.unreachable(TARGET, s, s, TARGET, sport, 7);
        }
        break;
      }
    }
  }
  w.flush();
  while (pending.length > 0) yield pending.shift()!;
  return w.packets;
}

/** Generates a flood, handing pcap bytes to `sink` chunk by chunk. Returns the packet count. */
export function generateFlood(spec: FloodSpec, sink: (chunk: Uint8Array) => void): number {
  const it = floodChunks(spec);
  for (;;) {
    const r = it.next();
    if (r.done === true) return r.value;
    sink(r.value);
  }
}

/** Generates a flood into memory (tests; small floods). */
export function floodBytes(spec: FloodSpec): Uint8Array {
  const parts: Uint8Array[] = [];
  generateFlood(spec, (c) => parts.push(c));
  return concat(...parts);
}

function usage(): never {
  process.stderr.write(`usage: gen.js KIND [--packets N] [--pps N] [--sources N] [--legit N] [--seed N] [--open N] [-o FILE]\n  KIND: ${FLOOD_KINDS.join(' ')}\n`);
  process.exit(2);
}

async function main(argv: string[]): Promise<void> {
  const kind = argv[0] as FloodKind;
  if (!FLOOD_KINDS.includes(kind)) usage();
  const spec: FloodSpec = { kind, packets: 100_000 };
  let out = '-';
  for (let i = 1; i < argv.length; i += 2) {
    const v = argv[i + 1];
    if (v === undefined) usage();
    const n = Number(v);
    switch (argv[i]) {
      case '--packets': spec.packets = n; break;
      case '--pps': spec.pps = n; break;
      case '--sources': spec.sources = n; break;
      case '--legit': spec.legit = n; break;
      case '--seed': spec.seed = n; break;
      case '--open': spec.open = n; break;
      case '-o': out = v; break;
      default: usage();
    }
  }
  if (out !== '-') {
    const fd = openSync(out, 'w');
    const n = generateFlood(spec, (c) => writeSync(fd, c));
    closeSync(fd);
    process.stderr.write(`${out}: ${n} packets\n`);
    return;
  }
  // stdout may be a pipe: respect backpressure, generating between writes.
  let n = 0;
  const it = floodChunks(spec);
  for (;;) {
    const r = it.next();
    if (r.done === true) {
      n = r.value;
      break;
    }
    if (!process.stdout.write(r.value)) await once(process.stdout, 'drain');
  }
  process.stderr.write(`stdout: ${n} packets\n`);
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main(process.argv.slice(2)).catch((e) => {
    process.stderr.write(`${String(e)}\n`);
    process.exit(1);
  });
}
