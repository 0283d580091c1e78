/**
 * The connection table: entries in a structure of typed arrays (one slot per
 * connection id), a hash of both tuples of every confirmed entry (open addressing,
 * linear probing, backward-shift deletion), and a min-heap of deadlines so expiry
 * on the capture clock costs one comparison per packet when nothing expires.
 *
 * Mirrors nf_conntrack_core.c: one nf_conn holds tuplehash[ORIGINAL] and
 * tuplehash[REPLY]; both go into the same table, and a lookup returns the
 * direction it matched (NF_CT_DIRECTION). Nothing here allocates per packet.
 */
import { TUPLE_WORDS, hashTuple, tupleEquals } from '../tuple/tuple.js';

/** 32-bit words of protocol-private state per entry (TCP uses them all). */
export const PROTO_WORDS = 16;

const NO_SLOT = 0;

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
  seq = new Float64Array(0);
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

  private freeList = new Int32Array(0);
  private freeTop = 0;
  private highWater = 0;
  private nextSeq = 0;
  private nextId: number;

  // Hash of tuplehash entries: value (id << 1 | dir) + 1, 0 = empty.
  private slots = new Int32Array(0);
  private slotHash = new Uint32Array(0);
  private slotMask = 0;
  private readonly seed: number;

  // Deadline min-heap over confirmed entries.
  private heap = new Int32Array(0);
  private heapPos = new Int32Array(0);
  private heapSize = 0;

  /**
   * `seed` keys the tuple hash (pass a random one against collision flooding);
   * `idSeed` starts the conntrack id sequence, which stays deterministic.
   */
  constructor(initialCapacity = 1024, seed = 0x5eed1234, idSeed = 0x5eed1234) {
    this.seed = seed >>> 0;
    this.nextId = idSeed;
    this.grow(Math.max(16, initialCapacity));
  }

  /** Reserves an entry (an unconfirmed nf_conn). */
  alloc(): number {
    let idx: number;
    if (this.freeTop > 0) idx = this.freeList[--this.freeTop]!;
    else {
      if (this.highWater === this.capacity) this.grow(this.capacity * 2);
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
    this.counters.fill(0, idx * 4, idx * 4 + 4);
    this.pw.fill(0, idx * PROTO_WORDS, (idx + 1) * PROTO_WORDS);
    return idx;
  }

  /** Releases an entry; it must not be in the hash. */
  free(idx: number): void {
    this.live[idx] = 0;
    this.freeList[this.freeTop++] = idx;
  }

  isConfirmed(idx: number): boolean {
    return this.live[idx] === 2;
  }

  /** Inserts both tuples and the deadline (__nf_conntrack_hash_insert + confirmation). */
  confirm(idx: number): void {
    if (this.count * 4 >= this.slots.length) this.rehash(this.slots.length * 2);
    this.insertSlot(idx, 0);
    this.insertSlot(idx, 1);
    this.live[idx] = 2;
    this.count++;
    this.heapPush(idx);
  }

  /** Removes a confirmed entry from the hash and the timers and frees it. */
  remove(idx: number): void {
    this.removeSlot(idx, 0);
    this.removeSlot(idx, 1);
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
    for (let i = h & mask; ; i = (i + 1) & mask) {
      const v = this.slots[i]!;
      if (v === NO_SLOT) return -1;
      if (this.slotHash[i] === h) {
        const e = v - 1;
        if (tupleEquals(this.tuples, (e >> 1) * 2 * TUPLE_WORDS + (e & 1) * TUPLE_WORDS, t, base)) return e;
      }
    }
  }

  /** Sets a confirmed entry's deadline and keeps the heap ordered. */
  setDeadline(idx: number, deadlineMs: number): void {
    const old = this.deadline[idx]!;
    this.deadline[idx] = deadlineMs;
    if (this.live[idx] !== 2) return;
    const p = this.heapPos[idx]!;
    if (deadlineMs > old) this.siftDown(p);
    else if (deadlineMs < old) this.siftUp(p);
  }

  /** The confirmed entry that expires first, or -1. */
  earliest(): number {
    return this.heapSize > 0 ? this.heap[0]! : -1;
  }

  /** Confirmed entries, oldest first (cold path). */
  entries(): number[] {
    const out: number[] = [];
    for (let i = 0; i < this.highWater; i++) if (this.live[i] === 2) out.push(i);
    out.sort((a, b) => this.seq[a]! - this.seq[b]!);
    return out;
  }

  tupleBase(idx: number, dir: number): number {
    return idx * 2 * TUPLE_WORDS + dir * TUPLE_WORDS;
  }

  private insertSlot(idx: number, dir: number): void {
    const base = this.tupleBase(idx, dir);
    const h = hashTuple(this.tuples, base, this.seed);
    const mask = this.slotMask;
    let i = h & mask;
    while (this.slots[i] !== NO_SLOT) i = (i + 1) & mask;
    this.slots[i] = ((idx << 1) | dir) + 1;
    this.slotHash[i] = h;
  }

  private removeSlot(idx: number, dir: number): void {
    const want = ((idx << 1) | dir) + 1;
    const mask = this.slotMask;
    const h = hashTuple(this.tuples, this.tupleBase(idx, dir), this.seed);
    let i = h & mask;
    while (this.slots[i] !== want) {
      if (this.slots[i] === NO_SLOT) return;
      i = (i + 1) & mask;
    }
    // Backward-shift deletion keeps probe chains intact without tombstones.
    let j = i;
    for (;;) {
      j = (j + 1) & mask;
      const v = this.slots[j]!;
      if (v === NO_SLOT) break;
      const home = this.slotHash[j]! & mask;
      const dist = (j - home) & mask;
      const gap = (j - i) & mask;
      if (dist >= gap) {
        this.slots[i] = v;
        this.slotHash[i] = this.slotHash[j]!;
        i = j;
      }
    }
    this.slots[i] = NO_SLOT;
  }

  private rehash(size: number): void {
    const oldSlots = this.slots;
    const oldHash = this.slotHash;
    this.slots = new Int32Array(size);
    this.slotHash = new Uint32Array(size);
    this.slotMask = size - 1;
    for (let i = 0; i < oldSlots.length; i++) {
      const v = oldSlots[i]!;
      if (v === NO_SLOT) continue;
      const h = oldHash[i]!;
      let k = h & this.slotMask;
      while (this.slots[k] !== NO_SLOT) k = (k + 1) & this.slotMask;
      this.slots[k] = v;
      this.slotHash[k] = h;
    }
  }

  private grow(capacity: number): void {
    const g = <T extends { length: number; set(a: ArrayLike<number>): void }>(old: T, make: (n: number) => T, per = 1): T => {
      const n = make(capacity * per);
      n.set(old as unknown as ArrayLike<number>);
      return n;
    };
    this.tuples = g(this.tuples, (n) => new Uint32Array(n), 2 * TUPLE_WORDS);
    this.status = g(this.status, (n) => new Uint32Array(n));
    this.deadline = g(this.deadline, (n) => new Float64Array(n));
    this.state = g(this.state, (n) => new Uint8Array(n));
    this.mark = g(this.mark, (n) => new Uint32Array(n));
    this.id = g(this.id, (n) => new Uint32Array(n));
    this.seq = g(this.seq, (n) => new Float64Array(n));
    this.startMs = g(this.startMs, (n) => new Float64Array(n));
    this.counters = g(this.counters, (n) => new Float64Array(n), 4);
    this.pw = g(this.pw, (n) => new Uint32Array(n), PROTO_WORDS);
    this.aux = g(this.aux, (n) => new Float64Array(n));
    this.live = g(this.live, (n) => new Uint8Array(n));
    this.freeList = g(this.freeList, (n) => new Int32Array(n));
    this.heap = g(this.heap, (n) => new Int32Array(n));
    this.heapPos = g(this.heapPos, (n) => new Int32Array(n));
    this.capacity = capacity;
    if (this.slots.length < capacity * 4) this.rehash(capacity * 4);
  }

  private heapPush(idx: number): void {
    const p = this.heapSize++;
    this.heap[p] = idx;
    this.heapPos[idx] = p;
    this.siftUp(p);
  }

  private heapRemove(idx: number): void {
    const p = this.heapPos[idx]!;
    const last = this.heap[--this.heapSize]!;
    if (p === this.heapSize) return;
    this.heap[p] = last;
    this.heapPos[last] = p;
    this.siftUp(p);
    this.siftDown(this.heapPos[last]!);
  }

  private siftUp(p: number): void {
    const heap = this.heap;
    const idx = heap[p]!;
    const d = this.deadline[idx]!;
    while (p > 0) {
      const parent = (p - 1) >> 1;
      const pi = heap[parent]!;
      if (this.deadline[pi]! <= d) break;
      heap[p] = pi;
      this.heapPos[pi] = p;
      p = parent;
    }
    heap[p] = idx;
    this.heapPos[idx] = p;
  }

  private siftDown(p: number): void {
    const heap = this.heap;
    const n = this.heapSize;
    const idx = heap[p]!;
    const d = this.deadline[idx]!;
    for (;;) {
      let c = 2 * p + 1;
      if (c >= n) break;
      if (c + 1 < n && this.deadline[heap[c + 1]!]! < this.deadline[heap[c]!]!) c++;
      const ci = heap[c]!;
      if (this.deadline[ci]! >= d) break;
      heap[p] = ci;
      this.heapPos[ci] = p;
      p = c;
    }
    heap[p] = idx;
    this.heapPos[idx] = p;
  }
}
