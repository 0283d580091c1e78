/** Test helpers: build snapshots from readable text. */
import type { ConnSnapshot, TupleSnapshot } from '../../../src/format/snapshot.js';

export function ip(text: string): Uint8Array {
  if (!text.includes(':')) return Uint8Array.from(text.split('.').map(Number));
  let t = text;
  const lastColon = t.lastIndexOf(':');
  const last = t.slice(lastColon + 1);
  if (last.includes('.')) {
    const q = last.split('.').map(Number);
    const hi = (((q[0] ?? 0) << 8) | (q[1] ?? 0)).toString(16);
    const lo = (((q[2] ?? 0) << 8) | (q[3] ?? 0)).toString(16);
    t = `${t.slice(0, lastColon + 1)}${hi}:${lo}`;
  }
  const [head = '', rest] = t.split('::');
  const hw = head === '' ? [] : head.split(':').map((x) => parseInt(x, 16));
  const rw = rest === undefined || rest === '' ? [] : rest.split(':').map((x) => parseInt(x, 16));
  const words = rest === undefined ? hw : [...hw, ...new Array<number>(8 - hw.length - rw.length).fill(0), ...rw];
  if (words.length !== 8) throw new Error(`bad ipv6 ${text}`);
  const b = new Uint8Array(16);
  words.forEach((w, i) => {
    b[2 * i] = w >> 8;
    b[2 * i + 1] = w & 0xff;
  });
  return b;
}

export interface TupleSpec {
  src: string;
  dst: string;
  sport?: number;
  dport?: number;
  type?: number;
  code?: number;
  id?: number;
  packets?: number;
  bytes?: number;
  greKeySrc?: number;
  greKeyDst?: number;
}

export function tuple(t: TupleSpec): TupleSnapshot {
  const o: TupleSnapshot = {
    src: ip(t.src),
    dst: ip(t.dst),
    sport: t.sport ?? 0,
    dport: t.dport ?? 0,
    icmpType: t.type ?? 0,
    icmpCode: t.code ?? 0,
    icmpId: t.id ?? 0,
  };
  if (t.packets !== undefined) o.packets = t.packets;
  if (t.bytes !== undefined) o.bytes = t.bytes;
  if (t.greKeySrc !== undefined) o.greKeySrc = t.greKeySrc;
  if (t.greKeyDst !== undefined) o.greKeyDst = t.greKeyDst;
  return o;
}

/** Reply tuple = inverted orig (ports swapped; echo request 8->0, 128->129). */
export function inv(t: TupleSpec): TupleSpec {
  const r: TupleSpec = { src: t.dst, dst: t.src };
  if (t.sport !== undefined) r.sport = t.dport ?? 0;
  if (t.dport !== undefined) r.dport = t.sport ?? 0;
  if (t.type !== undefined) r.type = t.type === 8 ? 0 : t.type === 128 ? 129 : t.type;
  if (t.code !== undefined) r.code = t.code;
  if (t.id !== undefined) r.id = t.id;
  if (t.greKeySrc !== undefined) r.greKeySrc = t.greKeyDst ?? 0;
  if (t.greKeyDst !== undefined) r.greKeyDst = t.greKeySrc;
  return r;
}

export const CONFIRMED = 1 << 3;
export const SEEN_REPLY = 1 << 1;
export const ASSURED = 1 << 2;
export const OFFLOAD = 1 << 14;
export const HW_OFFLOAD = 1 << 15;

export interface ConnSpec {
  l3?: 2 | 10;
  proto: number;
  timeout: number; // seconds shown; snapshot gets timeout*1000 + 500 ms to exercise truncation
  state?: string | null;
  status?: number;
  orig: TupleSpec;
  reply?: TupleSpec;
  /** acct counters: [origPackets, origBytes, replyPackets, replyBytes] */
  acct?: [number, number, number, number];
  mark?: number;
  zone?: number;
  use?: number;
  id?: number;
  helper?: string | null;
  startNs?: bigint;
  extra?: ConnSnapshot['extra'];
}

export function conn(c: ConnSpec): ConnSnapshot {
  const o = { ...c.orig };
  const r = { ...(c.reply ?? inv(c.orig)) };
  if (c.acct) {
    [o.packets, o.bytes, r.packets, r.bytes] = c.acct;
  }
  const s: ConnSnapshot = {
    l3num: c.l3 ?? (c.orig.src.includes(':') ? 10 : 2),
    protonum: c.proto,
    timeoutMs: c.timeout * 1000 + 500,
    state: c.state ?? null,
    status: c.status ?? CONFIRMED,
    orig: tuple(o),
    reply: tuple(r),
    mark: c.mark ?? 0,
    zone: c.zone ?? 0,
    use: c.use ?? 2,
    id: c.id ?? 0,
    helper: c.helper ?? null,
  };
  if (c.startNs !== undefined) s.startNs = c.startNs;
  if (c.extra !== undefined) s.extra = c.extra;
  return s;
}
