/**
 * Classic pcap (libpcap 2.4, microsecond timestamps, little-endian) writer.
 * LINKTYPE_RAW (101) for raw IP packets, LINKTYPE_ETHERNET (1) with a synthetic Ethernet header.
 */

export const LINKTYPE_ETHERNET = 1;
export const LINKTYPE_RAW = 101;

export interface PcapRecord {
  /** timestamp in microseconds since the Unix epoch */
  tsUs: number;
  data: Uint8Array;
}

export interface EthernetAddrs {
  /** MAC of the host sending from the "client" side, as 6 bytes */
  a: Uint8Array;
  b: Uint8Array;
}

export function mac(s: string): Uint8Array {
  return Uint8Array.from(s.split(':').map((x) => Number.parseInt(x, 16)));
}

/** Prefix a raw IP packet with an Ethernet header (ethertype from the IP version nibble). */
export function ethernetFrame(ip: Uint8Array, src: Uint8Array, dst: Uint8Array): Uint8Array {
  const f = new Uint8Array(14 + ip.length);
  f.set(dst, 0);
  f.set(src, 6);
  const v6 = ((ip[0] ?? 0) >> 4) === 6;
  f[12] = v6 ? 0x86 : 0x08;
  f[13] = v6 ? 0xdd : 0x00;
  f.set(ip, 14);
  return f;
}

export function writePcap(records: PcapRecord[], linktype: number = LINKTYPE_RAW, snaplen = 262144): Uint8Array {
  let total = 24;
  for (const r of records) total += 16 + r.data.length;
  const out = new Uint8Array(total);
  const dv = new DataView(out.buffer);
  dv.setUint32(0, 0xa1b2c3d4, true);
  dv.setUint16(4, 2, true);
  dv.setUint16(6, 4, true);
  dv.setInt32(8, 0, true);
  dv.setUint32(12, 0, true);
  dv.setUint32(16, snaplen, true);
  dv.setUint32(20, linktype, true);
  let o = 24;
  for (const r of records) {
    const sec = Math.floor(r.tsUs / 1e6);
    const usec = Math.round(r.tsUs - sec * 1e6);
    dv.setUint32(o, sec, true);
    dv.setUint32(o + 4, usec, true);
    dv.setUint32(o + 8, r.data.length, true);
    dv.setUint32(o + 12, r.data.length, true);
    out.set(r.data, o + 16);
    o += 16 + r.data.length;
  }
  return out;
}
