/**
 * Small pcap / pcapng writers for tests (others may reuse them).
 * Browser-safe, no dependencies.
 */
import { concat as concatBytes } from '../../../tools/lib/packet-builder.js';

export interface PcapRecord {
  sec: number;
  /** Microseconds or nanoseconds depending on the file's magic. */
  frac: number;
  data: Uint8Array;
  /** Defaults to data.length. */
  origLen?: number;
  /** Overrides the caplen field (to build corrupt files). */
  caplenField?: number;
}

export interface PcapOptions {
  nsec?: boolean;
  /** Little-endian (default true). */
  le?: boolean;
  linkType?: number;
  snaplen?: number;
  /** Raw 32-bit value for the link type field (overrides linkType; for FCS bits). */
  linkTypeField?: number;
  versionMajor?: number;
  versionMinor?: number;
  records: PcapRecord[];
}

class Writer {
  private buf = new Uint8Array(256);
  private dv = new DataView(this.buf.buffer);
  len = 0;
  constructor(public le: boolean) {}
  private room(n: number): void {
    if (this.len + n <= this.buf.length) return;
    let s = this.buf.length * 2;
    while (s < this.len + n) s *= 2;
    const nb = new Uint8Array(s);
    nb.set(this.buf.subarray(0, this.len));
    this.buf = nb;
    this.dv = new DataView(nb.buffer);
  }
  u8(v: number): this { this.room(1); this.dv.setUint8(this.len, v); this.len += 1; return this; }
  u16(v: number): this { this.room(2); this.dv.setUint16(this.len, v, this.le); this.len += 2; return this; }
  u32(v: number): this { this.room(4); this.dv.setUint32(this.len, v >>> 0, this.le); this.len += 4; return this; }
  u32be(v: number): this { this.room(4); this.dv.setUint32(this.len, v >>> 0, false); this.len += 4; return this; }
  u64(v: bigint): this {
    const hi = Number((v >> 32n) & 0xffffffffn);
    const lo = Number(v & 0xffffffffn);
    return this.le ? this.u32(lo).u32(hi) : this.u32(hi).u32(lo);
  }
  bytes(b: Uint8Array): this { this.room(b.length); this.buf.set(b, this.len); this.len += b.length; return this; }
  pad4(): this { while (this.len % 4 !== 0) this.u8(0); return this; }
  setU32(at: number, v: number): void { this.dv.setUint32(at, v >>> 0, this.le); }
  out(): Uint8Array { return this.buf.slice(0, this.len); }
}

export function buildPcap(o: PcapOptions): Uint8Array {
  const le = o.le ?? true;
  const w = new Writer(le);
  w.u32(o.nsec ? 0xa1b23c4d : 0xa1b2c3d4);
  w.u16(o.versionMajor ?? 2).u16(o.versionMinor ?? 4);
  w.u32(0).u32(0);
  w.u32(o.snaplen ?? 262144);
  w.u32(o.linkTypeField ?? o.linkType ?? 1);
  for (const r of o.records) {
    w.u32(r.sec).u32(r.frac);
    w.u32(r.caplenField ?? r.data.length).u32(r.origLen ?? r.data.length);
    w.bytes(r.data);
  }
  return w.out();
}

export type NgBlock =
  | {
      kind: 'idb';
      linkType: number;
      snaplen?: number;
      /** Raw if_tsresol byte (e.g. 9 for ns, 0x8a for 2^-10). */
      tsresol?: number;
      tsoffset?: bigint;
      /** if_fcslen in bits. */
      fcslenBits?: number;
    }
  | { kind: 'epb'; ifId: number; ts: bigint; data: Uint8Array; origLen?: number; caplenField?: number; comment?: string }
  | { kind: 'pb'; ifId: number; ts: bigint; data: Uint8Array; origLen?: number }
  | { kind: 'spb'; data: Uint8Array; origLen?: number }
  | { kind: 'raw'; type: number; body: Uint8Array; lenField?: number; trailerField?: number };

export interface NgSection {
  le?: boolean;
  versionMajor?: number;
  versionMinor?: number;
  blocks: NgBlock[];
}

function opt(w: Writer, code: number, value: Uint8Array): void {
  w.u16(code).u16(value.length).bytes(value).pad4();
}

function block(w: Writer, type: number, body: (w: Writer) => void, lenField?: number, trailerField?: number): void {
  const start = w.len;
  w.u32(type).u32(0);
  body(w);
  w.pad4();
  const total = w.len - start + 4;
  w.u32(trailerField ?? total);
  w.setU32(start + 4, lenField ?? total);
}

export function buildPcapng(sections: NgSection[]): Uint8Array {
  const parts: Uint8Array[] = [];
  for (const s of sections) {
    const le = s.le ?? true;
    const w = new Writer(le);
    block(w, 0x0a0d0d0a, (w) => {
      w.u32(0x1a2b3c4d).u16(s.versionMajor ?? 1).u16(s.versionMinor ?? 0);
      w.u32(0xffffffff).u32(0xffffffff); // section length unknown (-1)
    });
    for (const b of s.blocks) {
      switch (b.kind) {
        case 'idb':
          block(w, 1, (w) => {
            w.u16(b.linkType).u16(0).u32(b.snaplen ?? 0);
            if (b.tsresol !== undefined) opt(w, 9, Uint8Array.of(b.tsresol));
            if (b.fcslenBits !== undefined) opt(w, 13, Uint8Array.of(b.fcslenBits));
            if (b.tsoffset !== undefined) {
              const t = new Writer(le);
              t.u64(BigInt.asUintN(64, b.tsoffset));
              opt(w, 14, t.out());
            }
            if (b.tsresol !== undefined || b.tsoffset !== undefined || b.fcslenBits !== undefined) w.u16(0).u16(0);
          });
          break;
        case 'epb':
          block(w, 6, (w) => {
            w.u32(b.ifId);
            w.u32(Number((b.ts >> 32n) & 0xffffffffn)).u32(Number(b.ts & 0xffffffffn));
            w.u32(b.caplenField ?? b.data.length).u32(b.origLen ?? b.data.length);
            w.bytes(b.data).pad4();
            if (b.comment !== undefined) {
              opt(w, 1, new TextEncoder().encode(b.comment));
              w.u16(0).u16(0);
            }
          });
          break;
        case 'pb':
          block(w, 2, (w) => {
            w.u16(b.ifId).u16(0);
            w.u32(Number((b.ts >> 32n) & 0xffffffffn)).u32(Number(b.ts & 0xffffffffn));
            w.u32(b.data.length).u32(b.origLen ?? b.data.length);
            w.bytes(b.data).pad4();
          });
          break;
        case 'spb':
          block(w, 3, (w) => {
            w.u32(b.origLen ?? b.data.length);
            w.bytes(b.data).pad4();
          });
          break;
        case 'raw':
          block(w, b.type, (w) => w.bytes(b.body), b.lenField, b.trailerField);
          break;
      }
    }
    parts.push(w.out());
  }
  return concat(parts);
}

/** Concatenation of byte arrays (the project's packet builder does it). */
export function concat(parts: Uint8Array[]): Uint8Array {
  return concatBytes(...parts);
}

export function hex(s: string): Uint8Array {
  const c = s.replace(/[^0-9a-fA-F]/g, '');
  const out = new Uint8Array(c.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(c.slice(i * 2, i * 2 + 2), 16);
  return out;
}

/** A minimal IPv4 header (20 bytes) + payload. */
export function ipv4Packet(payloadLen = 8, proto = 17): Uint8Array {
  const p = new Uint8Array(20 + payloadLen);
  p[0] = 0x45;
  const total = 20 + payloadLen;
  p[2] = total >> 8;
  p[3] = total & 0xff;
  p[8] = 64;
  p[9] = proto;
  p.set([10, 0, 0, 1], 12);
  p.set([10, 0, 0, 2], 16);
  for (let i = 20; i < total; i++) p[i] = i & 0xff;
  return p;
}

/** A minimal IPv6 header (40 bytes) + payload. */
export function ipv6Packet(payloadLen = 8, nextHeader = 17): Uint8Array {
  const p = new Uint8Array(40 + payloadLen);
  p[0] = 0x60;
  p[4] = payloadLen >> 8;
  p[5] = payloadLen & 0xff;
  p[6] = nextHeader;
  p[7] = 64;
  p[23] = 1;
  p[39] = 2;
  return p;
}

/** Ethernet frame: dst, src, optional VLAN tags (tpid, tci pairs), ethertype, payload. */
export function ethernet(ethertype: number, payload: Uint8Array, tags: Array<[number, number]> = []): Uint8Array {
  const out = new Uint8Array(14 + tags.length * 4 + payload.length);
  out.set([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11], 0);
  let p = 12;
  for (const [tpid, tci] of tags) {
    out[p] = tpid >> 8;
    out[p + 1] = tpid & 0xff;
    out[p + 2] = tci >> 8;
    out[p + 3] = tci & 0xff;
    p += 4;
  }
  out[p] = ethertype >> 8;
  out[p + 1] = ethertype & 0xff;
  out.set(payload, p + 2);
  return out;
}
