/**
 * The connection table: entries in a structure of typed arrays (one slot per
 * connection id), a hash of both tuples of every confirmed entry (open addressing,
 * linear probing, backward-shift deletion, seeded hash), and a min-heap of
 * deadlines so expiry on the capture clock costs one comparison per packet when
 * nothing expires.
 *
 * Timers are lazy: each heap node carries its own key, which may be earlier than
 * the entry's deadline. Refreshing an entry (every packet) only moves its
 * deadline later and leaves the heap alone; a stale key is fixed when it comes to
 * the top. Only a deadline moved earlier (a TCP state with a shorter timeout)
 * sifts. Expiry order is by deadline, then by creation order.
 *
 * Mirrors nf_conntrack_core.c: one nf_conn holds tuplehash[ORIGINAL] and
 * tuplehash[REPLY]; both go into the same table, and a lookup returns the
 * direction it matched (NF_CT_DIRECTION). Nothing here allocates per packet.
 *
 * Beside the open-addressing hash (ctscope's own lookup structure) the table
 * keeps the kernel's: nf_conntrack_buckets chains of tuplehash nodes, each
 * node added at the head of its chain on confirmation (newest first) and
 * unlinked on removal. Lookups never use them; early drop (which scans the
 * chains from the new tuple's bucket) and the chain-length limit at
 * confirmation do, so both behave as with the kernel's chained hash.
 */
import { TUPLE_WORDS, hashTuple, tupleEquals } from '../tuple/tuple.js';

/** 32-bit words of protocol-private state per entry (TCP uses them all). */
export const PROTO_WORDS = 16;

const NO_SLOT = 0;

/** The kernel rounds nf_conntrack_buckets up to a page of hlist heads (4096 / 8). */
export const BUCKET_ROUND = 512;

/** The bucket count the kernel actually allocates for a requested nf_conntrack_buckets. */
export function roundBuckets(n: number): number {
  const want = Math.max(1, Math.floor(n));
  return Math.ceil(want / BUCKET_ROUND) * BUCKET_ROUND;
}

export class ConnTable {
  capacity = 0;
  /** Number of confirmed entries (nf_conntrack_count). */
  count = 0;

  /** [orig tuple | reply tuple] per entry. */
  tuples = new Uint32Array(0);
  status = new Uint32Array(0);
  /** Absolute expiry time on the capture clock, in ms (ct->timeout). */
  deadline = new Float64Array(0);
  /** Protocol state (TCP_CONNTRACK_*; unused by stateless trackers). */
  state = new Uint8Array(0);
  mark = new Uint32Array(0);
  /** The conntrack id (ctnetlink CTA_ID). */
  id = new Uint32Array(0);
  /** Creation order, so listings come out in a stable order. */
  seq = new Uint32Array(0);
  /** Capture time of the first packet, ms. */
  startMs = new Float64Array(0);
  /** packets/bytes original, packets/bytes reply. */
  counters = new Float64Array(0);
  /** Protocol-private words (struct ip_ct_tcp and friends). */
  pw = new Uint32Array(0);
  /** Protocol-private time, ms (UDP stream_ts). */
  aux = new Float64Array(0);
  /** 1 = allocated, 2 = confirmed (in the hash). */
  live = new Uint8Array(0);

  /** Free entries are chained through heapPos (a free entry is in no heap). */
  private freeHead = -1;
  private highWater = 0;
  private nextSeq = 0;
  private nextId: number;

  // Hash of tuplehash entries: value (id << 1 | dir) + 1, 0 = empty.
  private slots = new Int32Array(0);
  private slotMask = 0;
  private readonly seed: number;

  // Deadline min-heap over confirmed entries: entry and its (possibly early) key per node.
  private heap = new Int32Array(0);
  private heapKey = new Float64Array(0);
  private heapPos = new Int32Array(0);
  private heapSize = 0;

  // Kernel hash chains. Node = idx << 1 | dir. chainHead: first node + 1, 0 = empty
  // (a fresh array is an empty table: no page is touched until used). chainNext:
  // next node or -1; chainPrev: previous node or -1; nodeBucket: the node's bucket.
  private hsize = 0;
  private chainHead = new Int32Array(0);
  private chainLen = new Uint32Array(0);
  private chainNext = new Int32Array(0);
  private chainPrev = new Int32Array(0);
  private nodeBucket = new Int32Array(0);
  /** Buckets of an unconfirmed entry, computed by longestChainFor() and reused by confirm(). */
  private pendIdx = -1;
  private pendB0 = 0;
  private pendB1 = 0;

  /**
   * `seed` keys the tuple hash (pass a random one against collision flooding);
   * `idSeed` starts the conntrack id sequence, which stays deterministic.
   */
  constructor(initialCapacity = 1024, seed = 0x5eed1234, idSeed = 0x5eed1234) {
    this.seed = seed >>> 0;
    this.nextId = idSeed;
    this.grow(Math.max(16, initialCapacity));
    this.hsize = BUCKET_ROUND;
  }

  /**
   * True while the kernel chains are kept. They are built on first need (the
   * table is full, or loaded enough for a chain to near the length limit) and
   * kept from then on; until then confirm/remove pay nothing for them. Built
   * late or kept all along, they hold the same nodes in the same order (newest
   * first), since nodes only ever join at the head when their entry is confirmed.
   */
  get chainsOn(): boolean {
    return this.chainHead.length !== 0;
  }

  /**
   * nf_conntrack_buckets: the kernel's bucket count (rounded up as the kernel
   * does); chains already built are rebuilt for it.
   */
  setBuckets(requested: number): void {
    this.hsize = roundBuckets(requested);
    if (this.chainsOn) {
      this.chainHead = new Int32Array(0);
      this.ensureChains();
    }
  }

  /** Builds the kernel chains from every confirmed entry, oldest first (no-op once built). */
  ensureChains(): void {
    if (this.chainsOn) return;
    this.chainHead = new Int32Array(this.hsize);
    this.chainLen = new Uint32Array(this.hsize);
    this.chainNext = new Int32Array(this.capacity * 2);
    this.chainPrev = new Int32Array(this.capacity * 2);
    this.nodeBucket = new Int32Array(this.capacity * 2);
    this.pendIdx = -1;
    for (const idx of this.entries()) {
      this.chainAdd(idx, 0, this.bucketOf(this.tuples, this.tupleBase(idx, 0)));
      this.chainAdd(idx, 1, this.bucketOf(this.tuples, this.tupleBase(idx, 1)));
    }
  }

  /** Number of kernel hash buckets (nf_conntrack_buckets after rounding). */
  get kernelBuckets(): number {
    return this.hsize;
  }

  /** The kernel bucket of the tuple at t[base..] (reciprocal_scale of its hash). */
  bucketOf(t: Uint32Array, base: number): number {
    return Math.floor((hashTuple(t, base, this.seed) * this.hsize) / 4294967296);
  }

  /** Number of tuplehash nodes chained in a kernel bucket (chains built). */
  chainLength(bucket: number): number {
    return this.chainLen[bucket]!;
  }

  /**
   * The longer of the two chains an unconfirmed entry's tuples would join (the
   * buckets are kept for its confirm()).
   */
  longestChainFor(idx: number): number {
    this.ensureChains();
    const b0 = this.bucketOf(this.tuples, this.tupleBase(idx, 0));
    const b1 = this.bucketOf(this.tuples, this.tupleBase(idx, 1));
    this.pendIdx = idx;
    this.pendB0 = b0;
    this.pendB1 = b1;
    const l0 = this.chainLen[b0]!;
    const l1 = this.chainLen[b1]!;
    return l0 > l1 ? l0 : l1;
  }

  /** Copies a bucket's nodes (idx << 1 | dir), head first, into `out`; returns how many. */
  chainNodes(bucket: number, out: Int32Array): number {
    let n = 0;
    for (let v = this.chainHead[bucket]! - 1; v >= 0 && n < out.length; v = this.chainNext[v]!) out[n++] = v;
    return n;
  }

  /** Reserves an entry (an unconfirmed nf_conn). */
  alloc(): number {
    let idx = this.freeHead;
    if (idx >= 0) this.freeHead = this.heapPos[idx]!;
    else {
      // Growing 4× at a time: fresh typed arrays are zero pages the OS maps on first touch.
      if (this.highWater === this.capacity) this.grow(this.capacity * 4);
      idx = this.highWater++;
    }
    this.live[idx] = 1;
    this.status[idx] = 0;
    this.state[idx] = 0;
    this.mark[idx] = 0;
    this.deadline[idx] = 0;
    this.aux[idx] = 0;
    this.seq[idx] = this.nextSeq++;
    // Ids look random in the kernel; a stepped sequence keeps replays deterministic.
    this.nextId = (Math.imul(this.nextId, 1103515245) + 12345) >>> 0;
    this.id[idx] = this.nextId;
    const c = this.counters;
    const cb = idx * 4;
    c[cb] = 0;
    c[cb + 1] = 0;
    c[cb + 2] = 0;
    c[cb + 3] = 0;
    const pw = this.pw;
    const pb = idx * PROTO_WORDS;
    for (let i = 0; i < PROTO_WORDS; i++) pw[pb + i] = 0;
    return idx;
  }

  /** Releases an entry; it must not be in the hash. */
  free(idx: number): void {
    if (this.pendIdx === idx) this.pendIdx = -1;
    this.live[idx] = 0;
    this.heapPos[idx] = this.freeHead;
    this.freeHead = idx;
  }

  /** Entries allocated so far, confirmed or not: the next entry's creation number (replay --threads renumbers by it). */
  get allocated(): number {
    return this.nextSeq;
  }

  isConfirmed(idx: number): boolean {
    return this.live[idx] === 2;
  }

  /** Inserts both tuples and the deadline (__nf_conntrack_hash_insert + confirmation). */
  confirm(idx: number): void {
    if ((this.count + 1) * 4 > this.slots.length) this.rehash(this.slots.length * 2);
    // Reply first: when both tuples are equal (a host talking to itself on one
    // port) the kernel's lookup meets the reply node first (it was added last, at
    // the chain's head); linear probing finds the first inserted.
    this.insertSlot(idx, 1);
    this.insertSlot(idx, 0);
    // __nf_conntrack_hash_insert(): original first, then reply, each at its chain's head.
    if (this.chainsOn) {
      if (this.pendIdx !== idx) this.longestChainFor(idx);
      this.chainAdd(idx, 0, this.pendB0);
      this.chainAdd(idx, 1, this.pendB1);
      this.pendIdx = -1;
    }
    this.live[idx] = 2;
    this.count++;
    this.heapPush(idx);
  }

  /** Removes a confirmed entry from the hash and the timers and frees it. */
  remove(idx: number): void {
    this.removeSlot(idx, 0);
    this.removeSlot(idx, 1);
    if (this.chainsOn) {
      this.chainDel((idx << 1) | 0);
      this.chainDel((idx << 1) | 1);
    }
    this.heapRemove(idx);
    this.count--;
    this.free(idx);
  }

  /**
   * Finds the entry whose original or reply tuple equals `t[base..]`.
   * Returns (idx << 1 | dir), or -1.
   */
  lookup(t: Uint32Array, base: number): number {
    const h = hashTuple(t, base, this.seed);
    const mask = this.slotMask;
    const slots = this.slots;
    const tuples = this.tuples;
    const w0 = t[base]!;
    for (let i = h & mask; ; i = (i + 1) & mask) {
      const v = slots[i]!;
      if (v === NO_SLOT) return -1;
      const e = v - 1;
      const b = e * TUPLE_WORDS;
      if (tuples[b] === w0 && tupleEquals(tuples, b, t, base)) return e;
    }
  }

  /**
   * Sets an entry's deadline. Later deadlines (a refresh) leave the heap alone;
   * an earlier one moves the entry up now.
   */
  setDeadline(idx: number, deadlineMs: number): void {
    this.deadline[idx] = deadlineMs;
    if (this.live[idx] !== 2) return;
    const p = this.heapPos[idx]!;
    if (deadlineMs < this.heapKey[p]!) {
      this.heapKey[p] = deadlineMs;
      this.siftUp(p);
    }
  }

  /** The confirmed entry that expires first, or -1. */
  earliest(): number {
    const heap = this.heap;
    const keys = this.heapKey;
    const deadline = this.deadline;
    while (this.heapSize > 0) {
      const idx = heap[0]!;
      const d = deadline[idx]!;
      if (keys[0] === d) return idx;
      // A stale key (the entry was refreshed): sink it to its real deadline.
      keys[0] = d;
      this.siftDown(0);
    }
    return -1;
  }

  /**
   * The earliest deadline, as a lower bound: nothing expires before it. Cheap
   * (no heap repair), for the per-packet "anything to expire?" check.
   */
  nextKey(): number {
    return this.heapSize > 0 ? this.heapKey[0]! : Infinity;
  }

  /** Confirmed entries, oldest first (cold path). */
  entries(): number[] {
    const n = this.count;
    const out: number[] = new Array<number>(n);
    let k = 0;
    const live = this.live;
    const seq = this.seq;
    // Creation order = seq order; pack (seq, idx) into one float to sort numerically.
    const keys = new Float64Array(n);
    const big = this.highWater > 0x200000 || this.nextSeq >= 2 ** 31;
    for (let i = 0; i < this.highWater; i++) {
      if (live[i] === 2) {
        if (big) out[k++] = i;
        else keys[k++] = seq[i]! * 0x200000 + i;
      }
    }
    if (big) {
      out.length = k;
      out.sort((a, b) => seq[a]! - seq[b]!);
      return out;
    }
    const sorted = keys.subarray(0, k).sort();
    for (let i = 0; i < k; i++) out[i] = sorted[i]! % 0x200000;
    out.length = k;
    return out;
  }

  /**
   * Consistency check (tests and the fuzzer; O(table)): both tuples of every
   * confirmed entry are found through the hash in their direction, the count,
   * the timers and the kernel chains agree, and no entry is past `nowMs`.
   * Returns what is wrong, or null.
   */
  verify(nowMs: number): string | null {
    let confirmed = 0;
    for (let i = 0; i < this.highWater; i++) {
      if (this.live[i] !== 2) continue;
      confirmed++;
      for (let dir = 0; dir < 2; dir++) {
        const e = this.lookup(this.tuples, this.tupleBase(i, dir));
        // Equal tuples both ways (a host talking to itself on one port) find the first one.
        const same = tupleEquals(this.tuples, this.tupleBase(i, 0), this.tuples, this.tupleBase(i, 1));
        if (e !== ((i << 1) | dir) && !(same && e >> 1 === i)) return `entry ${i} dir ${dir}: lookup gives ${e}`;
      }
      if (this.deadline[i]! <= nowMs) return `entry ${i} expired at ${this.deadline[i]} but is still there at ${nowMs}`;
      const p = this.heapPos[i]!;
      if (p < 0 || p >= this.heapSize || this.heap[p] !== i) return `entry ${i} is not in the timer heap`;
      if (this.heapKey[p]! > this.deadline[i]!) return `entry ${i}: timer key after its deadline`;
    }
    if (confirmed !== this.count) return `count ${this.count} != ${confirmed} confirmed entries`;
    if (this.heapSize !== this.count) return `heap holds ${this.heapSize} for ${this.count} entries`;
    let slots = 0;
    for (let i = 0; i < this.slots.length; i++) if (this.slots[i] !== NO_SLOT) slots++;
    if (slots !== 2 * this.count) return `${slots} hash slots for ${this.count} entries`;
    if (this.chainsOn) {
      let nodes = 0;
      for (let b = 0; b < this.hsize; b++) {
        let n = 0;
        let prev = -1;
        for (let v = this.chainHead[b]! - 1; v >= 0; v = this.chainNext[v]!) {
          if (this.live[v >> 1] !== 2) return `bucket ${b}: node of unconfirmed entry ${v >> 1}`;
          if (this.nodeBucket[v] !== b || this.chainPrev[v] !== prev) return `bucket ${b}: bad links at node ${v}`;
          if (this.bucketOf(this.tuples, this.tupleBase(v >> 1, v & 1)) !== b) return `node ${v} in the wrong bucket ${b}`;
          prev = v;
          if (++n > 2 * this.count) return `bucket ${b}: chain loops`;
        }
        if (n !== this.chainLen[b]) return `bucket ${b}: length ${this.chainLen[b]} for ${n} nodes`;
        nodes += n;
      }
      if (nodes !== 2 * this.count) return `${nodes} chained nodes for ${this.count} entries`;
    }
    return null;
  }

  tupleBase(idx: number, dir: number): number {
    return idx * 2 * TUPLE_WORDS + dir * TUPLE_WORDS;
  }

  /** Hash bucket count (tests). */
  get buckets(): number {
    return this.slots.length;
  }

  private chainAdd(idx: number, dir: number, b: number): void {
    const node = (idx << 1) | dir;
    const head = this.chainHead[b]! - 1;
    this.chainNext[node] = head;
    this.chainPrev[node] = -1;
    if (head >= 0) this.chainPrev[head] = node;
    this.chainHead[b] = node + 1;
    this.nodeBucket[node] = b;
    this.chainLen[b] = this.chainLen[b]! + 1;
  }

  private chainDel(node: number): void {
    const prev = this.chainPrev[node]!;
    const next = this.chainNext[node]!;
    const b = this.nodeBucket[node]!;
    if (prev < 0) this.chainHead[b] = next + 1;
    else this.chainNext[prev] = next;
    if (next >= 0) this.chainPrev[next] = prev;
    this.chainLen[b] = this.chainLen[b]! - 1;
  }

  private insertSlot(idx: number, dir: number): void {
    const base = this.tupleBase(idx, dir);
    const mask = this.slotMask;
    let i = hashTuple(this.tuples, base, this.seed) & mask;
    while (this.slots[i] !== NO_SLOT) i = (i + 1) & mask;
    this.slots[i] = ((idx << 1) | dir) + 1;
  }

  private removeSlot(idx: number, dir: number): void {
    const want = ((idx << 1) | dir) + 1;
    const mask = this.slotMask;
    const slots = this.slots;
    let i = hashTuple(this.tuples, this.tupleBase(idx, dir), this.seed) & mask;
    while (slots[i] !== want) {
      if (slots[i] === NO_SLOT) return;
      i = (i + 1) & mask;
    }
    // Backward-shift deletion keeps probe chains intact without tombstones.
    let j = i;
    for (;;) {
      j = (j + 1) & mask;
      const v = slots[j]!;
      if (v === NO_SLOT) break;
      const home = hashTuple(this.tuples, (v - 1) * TUPLE_WORDS, this.seed) & mask;
      const dist = (j - home) & mask;
      const gap = (j - i) & mask;
      if (dist >= gap) {
        slots[i] = v;
        i = j;
      }
    }
    slots[i] = NO_SLOT;
  }

  private rehash(size: number): void {
    const old = this.slots;
    const slots = new Int32Array(size);
    const mask = size - 1;
    for (let i = 0; i < old.length; i++) {
      const v = old[i]!;
      if (v === NO_SLOT) continue;
      let k = hashTuple(this.tuples, (v - 1) * TUPLE_WORDS, this.seed) & mask;
      while (slots[k] !== NO_SLOT) k = (k + 1) & mask;
      slots[k] = v;
    }
    this.slots = slots;
    this.slotMask = mask;
  }

  private grow(capacity: number): void {
    const n = this.highWater;
    const u32 = (old: Uint32Array, per = 1): Uint32Array<ArrayBuffer> => {
      const a = new Uint32Array(capacity * per);
      a.set(old.subarray(0, n * per));
      return a;
    };
    const f64 = (old: Float64Array, per = 1): Float64Array<ArrayBuffer> => {
      const a = new Float64Array(capacity * per);
      a.set(old.subarray(0, n * per));
      return a;
    };
    const u8 = (old: Uint8Array): Uint8Array<ArrayBuffer> => {
      const a = new Uint8Array(capacity);
      a.set(old.subarray(0, n));
      return a;
    };
    const i32 = (old: Int32Array): Int32Array<ArrayBuffer> => {
      const a = new Int32Array(capacity);
      a.set(old.subarray(0, n));
      return a;
    };
    this.tuples = u32(this.tuples, 2 * TUPLE_WORDS);
    this.status = u32(this.status);
    this.deadline = f64(this.deadline);
    this.state = u8(this.state);
    this.mark = u32(this.mark);
    this.id = u32(this.id);
    this.seq = u32(this.seq);
    this.startMs = f64(this.startMs);
    this.counters = f64(this.counters, 4);
    this.pw = u32(this.pw, PROTO_WORDS);
    this.aux = f64(this.aux);
    this.live = u8(this.live);
    this.heapPos = i32(this.heapPos);
    const nodes = (old: Int32Array): Int32Array<ArrayBuffer> => {
      if (old.length === 0) return new Int32Array(0);
      const a = new Int32Array(capacity * 2);
      a.set(old.subarray(0, n * 2));
      return a;
    };
    this.chainNext = nodes(this.chainNext);
    this.chainPrev = nodes(this.chainPrev);
    this.nodeBucket = nodes(this.nodeBucket);
    // The heap holds at most `count` <= highWater nodes.
    const heap = new Int32Array(capacity);
    heap.set(this.heap.subarray(0, this.heapSize));
    this.heap = heap;
    const keys = new Float64Array(capacity);
    keys.set(this.heapKey.subarray(0, this.heapSize));
    this.heapKey = keys;
    this.capacity = capacity;
    if (this.slots.length === 0) this.rehash(Math.max(64, capacity));
  }

  private heapPush(idx: number): void {
    const p = this.heapSize++;
    this.heap[p] = idx;
    this.heapKey[p] = this.deadline[idx]!;
    this.heapPos[idx] = p;
    this.siftUp(p);
  }

  private heapRemove(idx: number): void {
    const p = this.heapPos[idx]!;
    const n = --this.heapSize;
    if (p === n) return;
    const last = this.heap[n]!;
    this.heap[p] = last;
    this.heapKey[p] = this.heapKey[n]!;
    this.heapPos[last] = p;
    this.siftUp(p);
    this.siftDown(this.heapPos[last]!);
  }

  /** Node a before node b: earlier key, then older entry. */
  private before(ka: number, ia: number, kb: number, ib: number): boolean {
    return ka < kb || (ka === kb && this.seq[ia]! < this.seq[ib]!);
  }

  private siftUp(p: number): void {
    const heap = this.heap;
    const keys = this.heapKey;
    const idx = heap[p]!;
    const k = keys[p]!;
    while (p > 0) {
      const parent = (p - 1) >> 1;
      const pi = heap[parent]!;
      const pk = keys[parent]!;
      if (!this.before(k, idx, pk, pi)) break;
      heap[p] = pi;
      keys[p] = pk;
      this.heapPos[pi] = p;
      p = parent;
    }
    heap[p] = idx;
    keys[p] = k;
    this.heapPos[idx] = p;
  }

  private siftDown(p: number): void {
    const heap = this.heap;
    const keys = this.heapKey;
    const n = this.heapSize;
    const idx = heap[p]!;
    const k = keys[p]!;
    for (;;) {
      let c = 2 * p + 1;
      if (c >= n) break;
      let ci = heap[c]!;
      let ck = keys[c]!;
      if (c + 1 < n) {
        const ri = heap[c + 1]!;
        const rk = keys[c + 1]!;
        if (this.before(rk, ri, ck, ci)) {
          c++;
          ci = ri;
          ck = rk;
        }
      }
      if (!this.before(ck, ci, k, idx)) break;
      heap[p] = ci;
      keys[p] = ck;
      this.heapPos[ci] = p;
      p = c;
    }
    heap[p] = idx;
    keys[p] = k;
    this.heapPos[idx] = p;
  }
}
