/**
 * Which worker of `replay --threads N` owns a packet. Browser-safe and pure.
 *
 * The key is a symmetric hash of the packet's address pair, ports and protocol
 * left out, because everything that must meet in one tracker shares the pair:
 * - both directions of a connection (the hash is order-independent);
 * - every fragment of a datagram: non-first fragments carry no ports, and the
 *   defragmenter hands the whole datagram to the tracker of the worker that
 *   collected the fragments;
 * - a helper's master and the connections it expects (ftp, tftp, sane, amanda
 *   and pptp expect a connection between the same two hosts, even across
 *   protocols: amanda's control is UDP, its data TCP; pptp's control is TCP,
 *   its calls GRE, whose key map entries only match that pair too). irc's DCC (any source address) and
 *   ftp-loose (a third address) do not: the CLI runs those on one thread;
 * - an ICMP/ICMPv6 error and the connection it quotes: it is keyed by the
 *   quoted packet's pair, as nf_conntrack_inet_error() looks that up.
 *
 * A fragmented ICMP error is the one case the rules disagree on: its fragments
 * go by the outer pair, its datagram relates by the quoted pair. `quotedKey`
 * reports the quoted pair of such a first fragment so the caller can tell
 * whether both land on the same worker.
 */

/** Reused output of shardKey(). */
export class ShardKey {
  /** Symmetric hash (u32) of the pair that decides the worker; 0 for what is not IP. */
  key = 0;
  /**
   * First fragment of an ICMP error: the quoted pair's hash, or QUOTED_UNREADABLE
   * when the quoted header is not in the fragment. NOT_SPLIT otherwise.
   */
  quotedKey = NOT_SPLIT;
}

export const NOT_SPLIT = -1;
export const QUOTED_UNREADABLE = -2;

/**
 * Fills `out` for the IP packet at `buf[off .. end)` (`end`: end of the captured
 * bytes). Never throws; anything unreadable gets key 0 (the tracker will skip
 * it or call it invalid without touching an entry, so any worker will do).
 */
export function shardKey(buf: Uint8Array, dv: DataView, off: number, end: number, out: ShardKey): void {
  out.key = 0;
  out.quotedKey = NOT_SPLIT;
  if (end - off < 20) return;
  const version = buf[off]! >> 4;
  if (version === 4) shardKey4(buf, dv, off, end, out);
  else if (version === 6 && end - off >= 40) shardKey6(buf, dv, off, end, out);
}

function shardKey4(buf: Uint8Array, dv: DataView, off: number, capEnd: number, out: ShardKey): void {
  // The tracker reads no further than the IP total length.
  const end = Math.min(capEnd, off + dv.getUint16(off + 2));
  out.key = pairHash(dv, off + 12, off + 16, 1);
  const frag = dv.getUint16(off + 6) & 0x3fff;
  if (buf[off + 9] !== 1 || (frag & 0x1fff) !== 0) return; // not ICMP, or not the first fragment
  const l4 = off + (buf[off]! & 0x0f) * 4;
  if (l4 + 8 > end || !ICMP_ERRORS.has(buf[l4]!)) return;
  const inner = l4 + 8;
  const quoted = inner + 20 <= end ? pairHash(dv, inner + 12, inner + 16, 1) : QUOTED_UNREADABLE;
  if (frag !== 0) out.quotedKey = quoted;
  else if (quoted !== QUOTED_UNREADABLE) out.key = quoted;
}

/** ICMP types that quote a packet (icmp_is_err()): unreachable, source quench, redirect, time exceeded, parameter problem. */
const ICMP_ERRORS = new Set([3, 4, 5, 11, 12]);

function shardKey6(buf: Uint8Array, dv: DataView, off: number, end: number, out: ShardKey): void {
  out.key = pairHash(dv, off + 8, off + 24, 4);
  let nexthdr = buf[off + 6]!;
  let pos = off + 40;
  let fragment = false;
  // The extension headers ipv6_skip_exthdr() walks, up to the upper layer.
  while (nexthdr === 0 || nexthdr === 43 || nexthdr === 60 || nexthdr === 51 || nexthdr === 44) {
    if (pos + 8 > end) return;
    if (nexthdr === 44) {
      if ((dv.getUint16(pos + 2) & 0xfff8) !== 0) return; // a non-first fragment: the outer pair
      fragment = true;
      nexthdr = buf[pos]!;
      pos += 8;
      continue;
    }
    const len = nexthdr === 51 ? (buf[pos + 1]! + 2) << 2 : (buf[pos + 1]! + 1) << 3;
    nexthdr = buf[pos]!;
    pos += len;
  }
  if (nexthdr !== 58 || pos + 8 > end) return;
  const type = buf[pos]!;
  let inner: number;
  if (type < 128) inner = pos + 8;
  else if (type === 137 && pos + 42 <= end && buf[pos + 40] === 4) inner = pos + 48; // redirect: the redirected header option
  else return;
  const quoted = inner + 40 <= end ? pairHash(dv, inner + 8, inner + 24, 4) : QUOTED_UNREADABLE;
  if (fragment) out.quotedKey = quoted;
  else if (quoted !== QUOTED_UNREADABLE) out.key = quoted;
}

/** Order-independent hash of two addresses of `words` 32-bit words each. */
function pairHash(dv: DataView, a: number, b: number, words: number): number {
  // A sum of per-address hashes is symmetric; the final mix spreads it over the workers.
  let h = (addrHash(dv, a, words) + addrHash(dv, b, words)) >>> 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

function addrHash(dv: DataView, off: number, words: number): number {
  let h = 0x9747b28c;
  for (let i = 0; i < words; i++) {
    h = Math.imul(h ^ dv.getUint32(off + 4 * i), 0x5bd1e995);
    h ^= h >>> 15;
  }
  return h >>> 0;
}

/** The worker (0 .. workers-1) for a key. */
export function shardOf(key: number, workers: number): number {
  return key % workers;
}
