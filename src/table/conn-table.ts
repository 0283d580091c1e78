/**
 * The connection table: one 64-byte record per entry (its original tuple,
 * status, state and deadline; cold fields in arrays beside it, protocol words
 * in a pool only TCP, SCTP and GRE entries draw from), a hash of every confirmed
 * entry (open addressing, linear probing, backward-shift deletion, a seeded hash
 * that is the same from both directions, so one slot serves both), and a min-heap of
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
 * tuplehash[REPLY], and a lookup returns the direction it matched
 * (NF_CT_DIRECTION). Nothing here allocates per packet.
 *
 * Beside the open-addressing hash (ctscope's own lookup structure) the table
 * keeps the kernel's: nf_conntrack_buckets chains of tuplehash nodes, each
 * node added at the head of its chain on confirmation (newest first) and
 * unlinked on removal. Lookups never use them; early drop (which scans the
 * chains from the new tuple's bucket) and the chain-length limit at
 * confirmation do, so both behave as with the kernel's chained hash.
 */
import { TUPLE_WORDS, copyTuple, hashTuple, tupleEquals } from '../tuple/tuple.js';
import { hashConn, invertTuple, tupleEqualsInverse } from '../tuple/invert.js';

/** 32-bit words of protocol-private state per entry that keeps any (TCP uses them all). */
export const PROTO_WORDS = 14;


/** The kernel rounds nf_conntrack_buckets up to a page of hlist heads (4096 / 8). */
export const BUCKET_ROUND = 512;

/** The bucket count the kernel actually allocates for a requested nf_conntrack_buckets. */
export function roundBuckets(n: number): number {
  const want = Math.max(1, Math.floor(n));
  return Math.ceil(want / BUCKET_ROUND) * BUCKET_ROUND;
}

/*
 * Entry record layout, in 32-bit words: 16 words, 64 bytes. A packet of a known
 * connection reads and writes only its record (tuple, status, state, deadline),
 * plus its protocol words for TCP, SCTP and GRE. The reply tuple is not stored:
 * without NAT it is always the inverse of the original (see tuple/invert.ts).
 * 64-bit fields (times) are read through a Float64Array over the same buffer,
 * at even word offsets.
 */
/** Original tuple at +0. */
const R_STATUS = TUPLE_WORDS;
/**
 * Bits 0-5: protocol state; bits 6-7: 1 = allocated, 2 = confirmed (in the
 * hash), 0 = free; bits 8-31: protocol-word slot + 1 (0 = none).
 */
const R_MISC = R_STATUS + 1;
const R_DEADLINE = R_STATUS + 2; // f64
const R_AUX = R_STATUS + 4; // f64
/** Words per entry record (even, so every record's f64 fields are aligned). */
export const RECORD_WORDS = R_AUX + 2;

/** Counters per entry: packets, bytes original; packets, bytes reply; start time. */
const ACCT_WORDS = 5;
const ACCT_START = 4;

const STATE_MASK = 0x3f;
const LIVE_SHIFT = 6;
const LIVE_ALLOCATED = 1 << LIVE_SHIFT;
const LIVE_CONFIRMED = 2 << LIVE_SHIFT;
const LIVE_MASK = 3 << LIVE_SHIFT;
const PW_SHIFT = 8;

/*
 * Hash slots: idx + 1 in the low SLOT_BITS bits, 0 = empty, and the top bits of
 * the entry's hashConn() above them as a tag, so a probe rarely has to read a
 * record that is not the one it looks for.
 */
const SLOT_BITS = 24;
const SLOT_VALUE = (1 << SLOT_BITS) - 1;
/** Entries addressable by a slot value (and protocol-word slots by R_MISC's 24 bits). */
export const MAX_ENTRIES = SLOT_VALUE;

/** The key of conntrack ids (connId) unless a table is given another. */
export const DEFAULT_ID_SEED = 0x5eed1234;

export class ConnTable {
  capacity = 0;
  /** Number of confirmed entries (nf_conntrack_count). */
  count = 0;

  /** Entry records (RECORD_WORDS each); the original tuple of entry idx is at origBase(idx). */
  rec = new Uint32Array(0);
  private recF = new Float64Array(0);
  /**
   * Protocol-private words (struct ip_ct_tcp and friends), PROTO_WORDS per slot,
   * given only to entries of protocols that keep state (attachPrivate).
   */
  pw = new Uint32Array(0);
  /** Free protocol-word slots, chained through their first word (slot + 1, 0 = end). */
  private pwFree = 0;
  private pwHigh = 0;
  /**
   * Per entry (ACCT_WORDS): packets and bytes of each direction and the capture
   * time of the first packet, kept only when counting (nf_conntrack_acct, flow
   * records), as the kernel keeps them in its acct and timestamp extensions.
   */
  private counters: Float64Array<ArrayBuffer> | null = null;
  /** Creation order, so listings come out in a stable order; the conntrack id is derived from it (idOf). */
  seq = new Uint32Array(0);
  /** ct->mark, kept once some entry has a mark other than 0. */
  private marks: Uint32Array<ArrayBuffer> | null = null;

  /** Free entries are chained through heapPos (a free entry is in no heap). */
  private freeHead = -1;
  private highWater = 0;
  private nextSeq = 0;
  private readonly idSeed: number;

  private slots = new Int32Array(0);
  private slotMask = 0;
  private readonly seed: number;
  /** Where the reply tuple is written to hash it for the kernel chains. */
  private readonly scratch = new Uint32Array(TUPLE_WORDS);
  private readonly pair = new Uint32Array(2 * TUPLE_WORDS);

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

  /**
   * `seed` keys the tuple hash (pass a random one against collision flooding);
   * `idSeed` keys the conntrack ids, which stay deterministic.
   */
  constructor(initialCapacity = 1024, seed = 0x5eed1234, idSeed = DEFAULT_ID_SEED) {
    this.seed = seed >>> 0;
    this.idSeed = idSeed >>> 0;
    this.grow(Math.max(16, initialCapacity));
    this.hsize = BUCKET_ROUND;
  }

  // ---- fields of an entry ----

  /** Where an entry's original tuple starts in `rec`. */
  origBase(idx: number): number {
    return idx * RECORD_WORDS;
  }

  /** Writes the entry's tuple of direction `dir` (the reply: the inverse of the original) to `out[outBase..]`. */
  tupleOf(idx: number, dir: number, out: Uint32Array, outBase: number): void {
    const b = idx * RECORD_WORDS;
    if (dir === 0) copyTuple(out, outBase, this.rec, b);
    else invertTuple(out, outBase, this.rec, b);
  }

  /**
   * Both tuples of an entry, original at 0 and reply at TUPLE_WORDS, in `out`:
   * by default a scratch array of the table that the next such call overwrites
   * (printing); code that calls out while it holds them (helpers) passes its own.
   */
  pairOf(idx: number, out: Uint32Array = this.pair): Uint32Array {
    this.tupleOf(idx, 0, out, 0);
    this.tupleOf(idx, 1, out, TUPLE_WORDS);
    return out;
  }

  /** The entry keeps protocol-private words. */
  hasPrivate(idx: number): boolean {
    return this.rec[idx * RECORD_WORDS + R_MISC]! >>> PW_SHIFT !== 0;
  }

  /** Gives an entry PROTO_WORDS zeroed protocol words (its protocol keeps state). */
  attachPrivate(idx: number): void {
    let slot = this.pwFree - 1;
    if (slot >= 0) {
      this.pwFree = this.pw[slot * PROTO_WORDS]!;
      this.pw.fill(0, slot * PROTO_WORDS, (slot + 1) * PROTO_WORDS);
    } else {
      if (this.pwHigh * PROTO_WORDS === this.pw.length) {
        const bigger = new Uint32Array(Math.min(Math.max(64, this.pwHigh * 4), MAX_ENTRIES) * PROTO_WORDS);
        bigger.set(this.pw);
        this.pw = bigger;
      }
      slot = this.pwHigh++;
    }
    const m = idx * RECORD_WORDS + R_MISC;
    this.rec[m] = (this.rec[m]! & (STATE_MASK | LIVE_MASK)) | ((slot + 1) << PW_SHIFT);
  }

  /** Where an entry's PROTO_WORDS protocol words start in `pw` (the entry must have them: attachPrivate). */
  pwBase(idx: number): number {
    return ((this.rec[idx * RECORD_WORDS + R_MISC]! >>> PW_SHIFT) - 1) * PROTO_WORDS;
  }

  statusOf(idx: number): number {
    return this.rec[idx * RECORD_WORDS + R_STATUS]!;
  }

  setStatus(idx: number, status: number): void {
    this.rec[idx * RECORD_WORDS + R_STATUS] = status;
  }

  /** Protocol state (TCP_CONNTRACK_*; unused by stateless trackers). */
  stateOf(idx: number): number {
    return this.rec[idx * RECORD_WORDS + R_MISC]! & STATE_MASK;
  }

  setState(idx: number, state: number): void {
    const m = idx * RECORD_WORDS + R_MISC;
    this.rec[m] = (this.rec[m]! & ~STATE_MASK) | (state & STATE_MASK); // (states are below 64; the word holds more)
  }

  /** The conntrack id (ctnetlink CTA_ID) of an entry. */
  idOf(idx: number): number {
    return connId(this.seq[idx]!, this.idSeed);
  }

  markOf(idx: number): number {
    return this.marks === null ? 0 : this.marks[idx]!;
  }

  setMark(idx: number, mark: number): void {
    if (this.marks === null) {
      if (mark === 0) return;
      this.marks = new Uint32Array(this.capacity);
    }
    this.marks[idx] = mark;
  }

  /** Absolute expiry time on the capture clock, in ms (ct->timeout). */
  deadlineOf(idx: number): number {
    return this.recF[(idx * RECORD_WORDS + R_DEADLINE) >> 1]!;
  }

  /** Protocol-private time, ms (UDP stream_ts). */
  auxOf(idx: number): number {
    return this.recF[(idx * RECORD_WORDS + R_AUX) >> 1]!;
  }

  setAux(idx: number, ms: number): void {
    this.recF[(idx * RECORD_WORDS + R_AUX) >> 1] = ms;
  }

  /** Counters are kept (like the kernel's acct extension, added while nf_conntrack_acct is on). */
  get counting(): boolean {
    return this.counters !== null;
  }

  /** Starts keeping counters and start times; entries present now start from zero. */
  enableCounters(): void {
    if (this.counters === null) this.counters = new Float64Array(this.capacity * ACCT_WORDS);
  }

  /** Capture time of the entry's first packet, ms (0 when not counting). */
  startOf(idx: number): number {
    return this.counters === null ? 0 : this.counters[idx * ACCT_WORDS + ACCT_START]!;
  }

  setStart(idx: number, ms: number): void {
    if (this.counters !== null) this.counters[idx * ACCT_WORDS + ACCT_START] = ms;
  }

  /** Counts one packet of `bytes` in direction `dir` (nf_ct_acct_update), when counting. */
  account(idx: number, dir: number, bytes: number): void {
    const f = this.counters;
    if (f === null) return;
    const c = idx * ACCT_WORDS + dir * 2;
    f[c] = f[c]! + 1;
    f[c + 1] = f[c + 1]! + bytes;
  }

  packetsOf(idx: number, dir: number): number {
    return this.counters === null ? 0 : this.counters[idx * ACCT_WORDS + dir * 2]!;
  }

  bytesOf(idx: number, dir: number): number {
    return this.counters === null ? 0 : this.counters[idx * ACCT_WORDS + dir * 2 + 1]!;
  }

  setCounters(idx: number, dir: number, packets: number, bytes: number): void {
    if (this.counters === null) return;
    this.counters[idx * ACCT_WORDS + dir * 2] = packets;
    this.counters[idx * ACCT_WORDS + dir * 2 + 1] = bytes;
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
    for (const idx of this.entries()) {
      this.chainAdd(idx << 1);
      this.chainAdd((idx << 1) | 1);
    }
  }

  /** Number of kernel hash buckets (nf_conntrack_buckets after rounding). */
  get kernelBuckets(): number {
    return this.hsize;
  }

  /** The kernel bucket of the tuple at t[base..] (reciprocal_scale of its hash). */
  bucketOf(t: Uint32Array, base: number): number {
    return this.bucketOfHash(hashTuple(t, base, this.seed));
  }

  /** The kernel bucket of an entry's tuple of direction `dir`. */
  entryBucket(idx: number, dir: number): number {
    this.tupleOf(idx, dir, this.scratch, 0);
    return this.bucketOf(this.scratch, 0);
  }

  /** Number of tuplehash nodes chained in a kernel bucket (chains built). */
  chainLength(bucket: number): number {
    return this.chainLen[bucket]!;
  }

  /** The longer of the two chains an unconfirmed entry's tuples would join. */
  longestChainFor(idx: number): number {
    this.ensureChains();
    const l0 = this.chainLen[this.entryBucket(idx, 0)]!;
    const l1 = this.chainLen[this.entryBucket(idx, 1)]!;
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
    if (idx >= 0) {
      this.freeHead = this.heapPos[idx]!;
      // Tuples are written by the caller; everything else starts at zero.
      const rec = this.rec;
      for (let i = idx * RECORD_WORDS + R_STATUS, end = (idx + 1) * RECORD_WORDS; i < end; i++) rec[i] = 0;
      if (this.marks !== null) this.marks[idx] = 0;
      if (this.counters !== null) this.counters.fill(0, idx * ACCT_WORDS, (idx + 1) * ACCT_WORDS);
    } else {
      // Growing 4× at a time: fresh typed arrays are zero pages the OS maps on first touch.
      if (this.highWater === this.capacity) this.grow(Math.min(this.capacity * 4, MAX_ENTRIES));
      if (this.highWater === this.capacity) throw new RangeError(`connection table full: ctscope holds at most ${MAX_ENTRIES} entries`);
      idx = this.highWater++; // never used: still zero
    }
    this.rec[idx * RECORD_WORDS + R_MISC] = LIVE_ALLOCATED;
    this.seq[idx] = this.nextSeq++;
    return idx;
  }

  /** Releases an entry (and its protocol words); it must not be in the hash. */
  free(idx: number): void {
    const m = idx * RECORD_WORDS + R_MISC;
    const slot = this.rec[m]! >>> PW_SHIFT;
    if (slot !== 0) {
      this.pw[(slot - 1) * PROTO_WORDS] = this.pwFree;
      this.pwFree = slot;
    }
    this.rec[m] = 0;
    this.heapPos[idx] = this.freeHead;
    this.freeHead = idx;
  }

  /** Entries allocated so far, confirmed or not: the next entry's creation number (replay --threads renumbers by it). */
  get allocated(): number {
    return this.nextSeq;
  }

  isConfirmed(idx: number): boolean {
    return (this.rec[idx * RECORD_WORDS + R_MISC]! & LIVE_MASK) === LIVE_CONFIRMED;
  }

  /** Inserts the entry and its deadline (__nf_conntrack_hash_insert + confirmation). */
  confirm(idx: number): void {
    // At most 5/8 of the slots in use: probes stay short (about 2.5 slots for a
    // miss), and the tags keep them from reading records.
    if ((this.count + 1) * 8 > this.slots.length * 5) this.rehash(this.slots.length * 2);
    this.insertSlot(idx);
    // __nf_conntrack_hash_insert(): original first, then reply, each at its chain's head.
    if (this.chainsOn) {
      this.chainAdd(idx << 1);
      this.chainAdd((idx << 1) | 1);
    }
    const m = idx * RECORD_WORDS + R_MISC;
    this.rec[m] = (this.rec[m]! & ~LIVE_MASK) | LIVE_CONFIRMED;
    this.count++;
    this.heapPush(idx);
  }

  /** Removes a confirmed entry from the hash and the timers and frees it. */
  remove(idx: number): void {
    this.removeSlot(idx);
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
    const h = hashConn(t, base, this.seed);
    const tag = h >>> SLOT_BITS;
    const mask = this.slotMask;
    const slots = this.slots;
    const rec = this.rec;
    const w0 = t[base]!;
    for (let i = h & mask; ; i = (i + 1) & mask) {
      const v = slots[i]!;
      if (v === 0) return -1;
      if (v >>> SLOT_BITS !== tag) continue;
      const idx = (v & SLOT_VALUE) - 1;
      const b = idx * RECORD_WORDS;
      // The reply is the inverse of the stored original (its source is the
      // original's destination). It is tried first: when both tuples are equal (a
      // host talking to itself on one port) the kernel's lookup meets the reply
      // node first, added last at its chain's head.
      if (rec[b + 4] === w0 && tupleEqualsInverse(rec, b, t, base)) return (idx << 1) | 1;
      if (rec[b] === w0 && tupleEquals(rec, b, t, base)) return idx << 1;
    }
  }

  /**
   * Sets an entry's deadline. A heap key is never after its entry's deadline,
   * so a later deadline (a refresh) leaves the heap alone without reading it;
   * an earlier one moves the entry up now if it passes the key.
   */
  setDeadline(idx: number, deadlineMs: number): void {
    const f = (idx * RECORD_WORDS + R_DEADLINE) >> 1;
    const old = this.recF[f]!;
    this.recF[f] = deadlineMs;
    if (deadlineMs >= old || !this.isConfirmed(idx)) return;
    const p = this.heapPos[idx]!;
    if (deadlineMs >= this.heapKey[p]!) return;
    this.heapKey[p] = deadlineMs;
    this.siftUp(p);
  }

  /** The confirmed entry that expires first, or -1. */
  earliest(): number {
    const heap = this.heap;
    const keys = this.heapKey;
    while (this.heapSize > 0) {
      const idx = heap[0]!;
      const d = this.deadlineOf(idx);
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
    const seq = this.seq;
    // Creation order = seq order; pack (seq, idx) into one float to sort numerically.
    const keys = new Float64Array(n);
    const big = this.highWater > 0x200000 || this.nextSeq >= 2 ** 31;
    for (let i = 0; i < this.highWater; i++) {
      if (this.isConfirmed(i)) {
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
      if (!this.isConfirmed(i)) continue;
      confirmed++;
      const pair = this.pairOf(i);
      // Equal tuples both ways (a host talking to itself on one port) find the first one.
      const same = tupleEquals(pair, 0, pair, TUPLE_WORDS);
      if (hashConn(pair, 0, this.seed) !== hashConn(pair, TUPLE_WORDS, this.seed)) return `entry ${i}: its tuples hash apart`;
      for (let dir = 0; dir < 2; dir++) {
        const e = this.lookup(pair, dir * TUPLE_WORDS);
        if (e !== ((i << 1) | dir) && !(same && e >> 1 === i)) return `entry ${i} dir ${dir}: lookup gives ${e}`;
      }
      const deadline = this.deadlineOf(i);
      if (deadline <= nowMs) return `entry ${i} expired at ${deadline} but is still there at ${nowMs}`;
      const p = this.heapPos[i]!;
      if (p < 0 || p >= this.heapSize || this.heap[p] !== i) return `entry ${i} is not in the timer heap`;
      if (this.heapKey[p]! > deadline) return `entry ${i}: timer key after its deadline`;
    }
    if (confirmed !== this.count) return `count ${this.count} != ${confirmed} confirmed entries`;
    if (this.heapSize !== this.count) return `heap holds ${this.heapSize} for ${this.count} entries`;
    let slots = 0;
    for (let i = 0; i < this.slots.length; i++) {
      const v = this.slots[i]!;
      if (v === 0) continue;
      slots++;
      if (v >>> SLOT_BITS !== this.slotHash((v & SLOT_VALUE) - 1) >>> SLOT_BITS) return `slot ${i}: tag does not match its entry's hash`;
    }
    if (slots !== this.count) return `${slots} hash slots for ${this.count} entries`;
    if (this.chainsOn) {
      let nodes = 0;
      for (let b = 0; b < this.hsize; b++) {
        let n = 0;
        let prev = -1;
        for (let v = this.chainHead[b]! - 1; v >= 0; v = this.chainNext[v]!) {
          if (!this.isConfirmed(v >> 1)) return `bucket ${b}: node of unconfirmed entry ${v >> 1}`;
          if (this.nodeBucket[v] !== b || this.chainPrev[v] !== prev) return `bucket ${b}: bad links at node ${v}`;
          if (this.entryBucket(v >> 1, v & 1) !== b) return `node ${v} in the wrong bucket ${b}`;
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

  /** Hash bucket count (tests). */
  get buckets(): number {
    return this.slots.length;
  }

  private bucketOfHash(h: number): number {
    return Math.floor((h * this.hsize) / 4294967296);
  }

  /** The entry's hash in the slots (computed from its record: not stored, to keep entries small). */
  private slotHash(idx: number): number {
    return hashConn(this.rec, idx * RECORD_WORDS, this.seed);
  }

  /** Adds a tuplehash node (idx << 1 | dir, hashed) at the head of its kernel chain. */
  private chainAdd(node: number): void {
    const b = this.entryBucket(node >> 1, node & 1);
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

  /** Puts an entry into the open-addressing slots. */
  private insertSlot(idx: number): void {
    const h = this.slotHash(idx);
    const mask = this.slotMask;
    let i = h & mask;
    while (this.slots[i] !== 0) i = (i + 1) & mask;
    this.slots[i] = ((h >>> SLOT_BITS) << SLOT_BITS) | (idx + 1);
  }

  private removeSlot(idx: number): void {
    const mask = this.slotMask;
    const slots = this.slots;
    let i = this.slotHash(idx) & mask;
    while ((slots[i]! & SLOT_VALUE) !== idx + 1) {
      if (slots[i] === 0) return;
      i = (i + 1) & mask;
    }
    // Backward-shift deletion keeps probe chains intact without tombstones.
    let j = i;
    for (;;) {
      j = (j + 1) & mask;
      const v = slots[j]!;
      if (v === 0) break;
      const home = this.slotHash((v & SLOT_VALUE) - 1) & mask;
      const dist = (j - home) & mask;
      const gap = (j - i) & mask;
      if (dist >= gap) {
        slots[i] = v;
        i = j;
      }
    }
    slots[i] = 0;
  }

  private rehash(size: number): void {
    this.slots = new Int32Array(size);
    this.slotMask = size - 1;
    // Entry by entry: the records are read in order, not at random.
    for (let i = 0; i < this.highWater; i++) if (this.isConfirmed(i)) this.insertSlot(i);
  }

  private grow(capacity: number): void {
    const n = this.highWater;
    const copy = <A extends Uint32Array<ArrayBuffer> | Int32Array<ArrayBuffer> | Float64Array<ArrayBuffer>>(old: A, fresh: A, per = 1): A => {
      fresh.set(old.subarray(0, n * per));
      return fresh;
    };
    this.rec = copy(this.rec, new Uint32Array(capacity * RECORD_WORDS), RECORD_WORDS);
    this.recF = new Float64Array(this.rec.buffer);
    if (this.counters !== null) this.counters = copy(this.counters, new Float64Array(capacity * ACCT_WORDS), ACCT_WORDS);
    if (this.marks !== null) this.marks = copy(this.marks, new Uint32Array(capacity));
    this.seq = copy(this.seq, new Uint32Array(capacity));
    this.heapPos = copy(this.heapPos, new Int32Array(capacity));
    if (this.chainsOn) {
      this.chainNext = copy(this.chainNext, new Int32Array(capacity * 2), 2);
      this.chainPrev = copy(this.chainPrev, new Int32Array(capacity * 2), 2);
      this.nodeBucket = copy(this.nodeBucket, new Int32Array(capacity * 2), 2);
    }
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
    this.heapPos[idx] = p;
    this.heapKey[p] = this.deadlineOf(idx);
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

/**
 * The conntrack id of the entry created `seq`-th: a bijective mix (fmix32) of
 * the creation number under `idSeed`, so ids look random like the kernel's,
 * never repeat, and a replay gives the same ones.
 */
export function connId(seq: number, idSeed: number): number {
  let h = (seq + idSeed) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}
