/**
 * IP defragmentation before tracking, as nf_defrag_ipv4 (ip_defrag(),
 * net/ipv4/ip_fragment.c) and nf_defrag_ipv6 (nf_ct_frag6_gather(),
 * net/ipv6/netfilter/nf_conntrack_reasm.c) do it: fragments are queued per
 * (source, destination, id[, protocol]); conntrack sees only the reassembled
 * datagram, on the packet that completes it. As in the kernel (RFC 5722, and
 * for IPv4 since 2018), a fragment that overlaps another one discards the whole
 * datagram, an exact or contained duplicate is dropped alone, an inconsistent
 * end discards the queue, and queues expire (IPv4 ipfrag_time 30 s, IPv6
 * nf_conntrack_frag6_timeout). Fragments are rare, so this path may allocate.
 */

export const DEFRAG_NOT_FRAGMENT = 0;
/** Queued: the kernel steals the fragment; it never reaches conntrack on its own. */
export const DEFRAG_HELD = 1;
/** This fragment completed a datagram: `datagram` holds it. */
export const DEFRAG_COMPLETE = 2;
/** Dropped by the defragmenter (see `reason`). */
export const DEFRAG_DROPPED = 3;

/** net.ipv4.ipfrag_time */
const IPV4_FRAG_TIMEOUT_MS = 30_000;

interface Piece {
  offset: number;
  end: number;
  data: Uint8Array;
}

interface Queue {
  key: string;
  family: 4 | 6;
  /** Header bytes of the first fragment: IPv4 header, or IPv6 header + extensions before the fragment header. */
  head: Uint8Array | null;
  /** IPv6: offset in `head` of the next-header byte that names the fragment header. */
  prevNexthdrOff: number;
  /** IPv6: the fragment header's next header. */
  nexthdr: number;
  pieces: Piece[];
  /** fragment runs (inet_frag_queue's fragrun): contiguous fragments that arrived in order */
  runs: Array<{ offset: number; end: number }>;
  /** index in `runs` of the run holding the fragment that ends highest */
  lastRun: number;
  len: number;
  lastIn: boolean;
  meat: number;
  deadlineMs: number;
  frames: number[];
}

/**
 * ipv6frag_thdr_truncated() from just after the fragment header: skips further extension headers
 * and says whether the fixed part of the TCP (20), UDP (8), ICMPv6 (8) or other (1 byte) header
 * would run past the packet. An unparsable chain counts as not truncated, as in the kernel.
 */
function upperHeaderTruncated(buf: Uint8Array, next: number, pos: number, end: number): boolean {
  let nh = next;
  while (nh === 0 || nh === 43 || nh === 60 || nh === 51) {
    if (pos + 2 > end) return false;
    const len = nh === 51 ? (buf[pos + 1]! + 2) << 2 : (buf[pos + 1]! + 1) << 3;
    nh = buf[pos]!;
    pos += len;
  }
  if (nh === 44 || nh === 59) return false;
  const need = nh === 6 ? 20 : nh === 17 || nh === 58 ? 8 : 1;
  return pos + need > end;
}

export class Defragmenter {
  /** The reassembled datagram after DEFRAG_COMPLETE. */
  datagram: Uint8Array = new Uint8Array(0);
  /** Frames that made the datagram (DEFRAG_COMPLETE) or were discarded with it. */
  frames: number[] = [];
  /** Why a fragment was held or dropped. */
  reason = '';
  private readonly queues = new Map<string, Queue>();

  constructor(private readonly frag6TimeoutMs: number) {}

  /** Number of datagrams waiting for fragments. */
  get pending(): number {
    return this.queues.size;
  }

  /**
   * Looks at a valid IP datagram `buf[off, end)` (its header already checked by
   * the IP layer) from frame `frame` at `nowMs`.
   */
  push(buf: Uint8Array, dv: DataView, off: number, end: number, frame: number, nowMs: number): number {
    this.expire(nowMs);
    const version = buf[off]! >> 4;
    return version === 4 ? this.push4(buf, dv, off, end, frame, nowMs) : this.push6(buf, dv, off, end, frame, nowMs);
  }

  /** Forgets datagrams whose fragments timed out (called on every fragment; also by the API). */
  expire(nowMs: number): void {
    if (this.queues.size === 0) return;
    for (const [k, q] of this.queues) if (q.deadlineMs <= nowMs) this.queues.delete(k);
  }

  private push4(buf: Uint8Array, dv: DataView, off: number, end: number, frame: number, nowMs: number): number {
    const fragOff = dv.getUint16(off + 6);
    if ((fragOff & 0x3fff) === 0) return DEFRAG_NOT_FRAGMENT;
    const ihl = (buf[off]! & 0x0f) * 4;
    const id = dv.getUint16(off + 4);
    const key = `4 ${dv.getUint32(off + 12)} ${dv.getUint32(off + 16)} ${id} ${buf[off + 9]}`;
    const offset = (fragOff & 0x1fff) * 8;
    const more = (fragOff & 0x2000) !== 0;
    let fragEnd = offset + (end - off - ihl);
    const q = this.queue(key, 4, nowMs, IPV4_FRAG_TIMEOUT_MS);
    const label = `IPv4 datagram id 0x${id.toString(16)}`;
    if (!more) {
      if (fragEnd < q.len || (q.lastIn && fragEnd !== q.len)) return this.discard(q, frame, `${label}: last fragment disagrees on the length, datagram discarded`);
      q.lastIn = true;
      q.len = fragEnd;
    } else {
      fragEnd &= ~7;
      if (fragEnd > q.len) {
        if (q.lastIn) return this.discard(q, frame, `${label}: data beyond the last fragment, datagram discarded`);
        q.len = fragEnd;
      }
    }
    if (fragEnd === offset) return this.discard(q, frame, `${label}: empty fragment, datagram discarded`);
    return this.insert(q, buf.subarray(off + ihl, off + ihl + (fragEnd - offset)), offset, fragEnd, frame, label,
      offset === 0 ? buf.slice(off, off + ihl) : null, -1, 0);
  }

  private push6(buf: Uint8Array, dv: DataView, off: number, end: number, frame: number, nowMs: number): number {
    if (dv.getUint16(off + 4) === 0) return DEFRAG_NOT_FRAGMENT; // jumbogram: no fragment header allowed
    // find_prev_fhdr(): hop-by-hop, routing, destination options, AH, then the fragment header.
    let nh = buf[off + 6]!;
    let prevOff = off + 6;
    let pos = off + 40;
    while (nh !== 44) {
      if (nh !== 0 && nh !== 43 && nh !== 60 && nh !== 51) return DEFRAG_NOT_FRAGMENT;
      if (pos + 2 > end) return DEFRAG_NOT_FRAGMENT;
      const len = nh === 51 ? (buf[pos + 1]! + 2) << 2 : (buf[pos + 1]! + 1) << 3;
      prevOff = pos;
      nh = buf[pos]!;
      pos += len;
    }
    if (pos + 8 > end) return DEFRAG_NOT_FRAGMENT;
    const fragWord = dv.getUint16(pos + 2);
    // RFC 8200 4.5, ipv6frag_thdr_truncated(): a first fragment without the whole upper-layer
    // header is not queued; nf_ct_frag6_gather() hands it to conntrack as it is.
    if ((fragWord & 0xfff8) === 0 && upperHeaderTruncated(buf, buf[pos]!, pos + 8, end)) return DEFRAG_NOT_FRAGMENT;
    // An atomic fragment (offset 0, no more fragments) is queued like any other: alone it completes
    // at once, but it is dropped when a queue with its identification disagrees on the length.
    const id = dv.getUint32(pos + 4);
    const src = `${dv.getUint32(off + 8)}.${dv.getUint32(off + 12)}.${dv.getUint32(off + 16)}.${dv.getUint32(off + 20)}`;
    const dst = `${dv.getUint32(off + 24)}.${dv.getUint32(off + 28)}.${dv.getUint32(off + 32)}.${dv.getUint32(off + 36)}`;
    const key = `6 ${src} ${dst} ${id}`;
    const label = `IPv6 datagram id 0x${id.toString(16)}`;
    const offset = fragWord & 0xfff8;
    const more = (fragWord & 1) !== 0;
    const fragEnd = offset + (end - pos - 8);
    if (fragEnd > 65535) return this.drop(frame, `${label}: fragment beyond 64 KiB dropped`);
    const q = this.queue(key, 6, nowMs, this.frag6TimeoutMs);
    if (!more) {
      if (fragEnd < q.len || (q.lastIn && fragEnd !== q.len)) return this.drop(frame, `${label}: last fragment disagrees on the length, dropped`);
      q.lastIn = true;
      q.len = fragEnd;
    } else {
      if (fragEnd & 7) return this.discard(q, frame, `${label}: fragment not a multiple of 8 bytes, datagram discarded`);
      if (fragEnd > q.len) {
        if (q.lastIn) return this.drop(frame, `${label}: data beyond the last fragment, dropped`);
        q.len = fragEnd;
      }
    }
    if (fragEnd === offset) return this.drop(frame, `${label}: empty fragment dropped`);
    return this.insert(q, buf.subarray(pos + 8, pos + 8 + (fragEnd - offset)), offset, fragEnd, frame, label,
      offset === 0 ? buf.slice(off, pos) : null, prevOff - off, buf[pos]!);
  }

  private queue(key: string, family: 4 | 6, nowMs: number, timeoutMs: number): Queue {
    let q = this.queues.get(key);
    if (q === undefined) {
      q = { key, family, head: null, prevNexthdrOff: -1, nexthdr: 0, pieces: [], runs: [], lastRun: -1, len: 0, lastIn: false, meat: 0, deadlineMs: nowMs + timeoutMs, frames: [] };
      this.queues.set(key, q);
    }
    return q;
  }

  /**
   * inet_frag_queue_insert(): overlap kills the queue, a duplicate is dropped alone. The kernel
   * compares with runs, not single fragments: a fragment starting where the highest one ends joins
   * that one's run, any other starts its own, and "duplicate" means inside one run. So a fragment
   * straddling two fragments of one in-order run is a duplicate, not an overlap.
   */
  private insert(q: Queue, data: Uint8Array, offset: number, end: number, frame: number, label: string,
    head: Uint8Array | null, prevNexthdrOff: number, nexthdr: number): number {
    const last = q.runs[q.lastRun];
    if (last === undefined) {
      q.lastRun = q.runs.push({ offset, end }) - 1;
    } else if (last.end < end) {
      // the common case: at the end (the run holding the highest fragment ends highest)
      if (offset < last.end) return this.discard(q, frame, `${label}: overlapping fragments, datagram discarded`);
      if (offset === last.end) last.end = end;
      else q.lastRun = q.runs.push({ offset, end }) - 1;
    } else {
      for (const r of q.runs) {
        if (end <= r.offset || offset >= r.end) continue;
        if (offset >= r.offset && end <= r.end) return this.drop(frame, `${label}: duplicate fragment dropped`);
        return this.discard(q, frame, `${label}: overlapping fragments, datagram discarded`);
      }
      q.runs.push({ offset, end });
    }
    q.pieces.push({ offset, end, data: data.slice() });
    q.meat += end - offset;
    q.frames.push(frame);
    if (head !== null) {
      q.head = head;
      q.prevNexthdrOff = prevNexthdrOff;
      q.nexthdr = nexthdr;
    }
    if (q.head === null || !q.lastIn || q.meat !== q.len) {
      this.reason = `fragment of ${label} held for reassembly (${q.meat} of ${q.lastIn ? q.len : '?'} bytes)`;
      return DEFRAG_HELD;
    }
    this.queues.delete(q.key);
    this.frames = q.frames;
    this.datagram = reassemble(q);
    this.reason = '';
    return DEFRAG_COMPLETE;
  }

  private discard(q: Queue, frame: number, why: string): number {
    this.queues.delete(q.key);
    this.frames = [...q.frames, frame];
    this.reason = why;
    return DEFRAG_DROPPED;
  }

  private drop(frame: number, why: string): number {
    this.frames = [frame];
    this.reason = why;
    return DEFRAG_DROPPED;
  }
}

/** ip_frag_reasm() / nf_ct_frag6_reasm(): the first fragment's header over the joined payload. */
function reassemble(q: Queue): Uint8Array {
  const head = q.head!;
  const out = new Uint8Array(head.length + q.len);
  out.set(head);
  for (const p of q.pieces) out.set(p.data, head.length + p.offset);
  const dv = new DataView(out.buffer);
  if (q.family === 4) {
    dv.setUint16(2, out.length);
    dv.setUint16(6, dv.getUint16(6) & 0x4000); // keep DF only
    dv.setUint16(10, 0);
    let sum = 0;
    for (let i = 0; i < head.length; i += 2) sum += dv.getUint16(i);
    while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
    dv.setUint16(10, ~sum & 0xffff);
  } else {
    // The fragment header is gone: the header before it now names what followed it.
    out[q.prevNexthdrOff] = q.nexthdr;
    dv.setUint16(4, out.length - 40);
  }
  return out;
}
