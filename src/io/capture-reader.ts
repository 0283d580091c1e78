/**
 * Format sniffing and a unified incremental reader for pcap and pcapng.
 * Browser-safe: Uint8Array/DataView only.
 *
 * Usage (push chunks, pull frames):
 *
 *   const r = new CaptureReader();
 *   const f = createFrame();           // one frame object, reused
 *   for (const chunk of chunks) {
 *     r.push(chunk);
 *     while (r.next(f)) use(f);        // may throw CaptureError
 *   }
 *   r.end();
 *   while (r.next(f)) use(f);
 *   if (r.truncatedAt !== null) warn(`capture ends mid-record at offset ${r.truncatedAt}`);
 *
 * Memory rules:
 * - A frame's bytes (frame.buf/frame.dv) are valid only until the next call
 *   to next() or push(). Records lying inside one pushed chunk are views into
 *   that chunk (zero-copy); records spanning chunks are copied into an
 *   internal carry buffer (grow-only, reused).
 * - The reader keeps no reference to a pushed chunk's bytes once next() has
 *   returned false, so the caller may then overwrite and push the same
 *   memory again (the Node source reuses one big buffer this way).
 * - Memory is constant for any stream length when the caller drains next()
 *   before each push (the carry holds at most one record, <= 16 MiB).
 *
 * Errors: next() throws CaptureError (message + absolute offset) for inputs
 * that are not captures or are corrupt; frames before the problem have been
 * delivered. After an error every further next() rethrows it. A stream that
 * ends in the middle of a record is not an error: next() returns false and
 * truncatedAt holds the offset where the incomplete record starts.
 *
 * Damage: a length field that can't be trusted (pcap record length beyond
 * the maximum, or beyond its original length / the snaplen with no record
 * header after it; pcapng block length too small, unaligned, over 16 MiB or
 * not matching its trailing copy) is fatal, because the next record can't be
 * found reliably. A pcapng packet block whose own length is consistent but
 * whose content is unusable (unknown interface, captured length beyond the
 * block) is skipped with a warning, and reading goes on at the next block.
 */
import { CaptureError } from './errors.js';
import type { CaptureFrame } from './frame.js';
import { createFrame } from './frame.js';
import {
  MAX_CAPLEN,
  PCAP_FILE_HEADER_LEN,
  hex32,
  parsePcapHeader,
  pcapMagicKind,
} from './pcap.js';
import {
  BT_EPB,
  BT_IDB,
  BT_PB,
  BT_SHB,
  BT_SPB,
  MAX_BLOCK_LEN,
  MIN_EPB_LEN,
  MIN_IDB_LEN,
  MIN_PB_LEN,
  MIN_SHB_LEN,
  MIN_SPB_LEN,
  parseIdb,
} from './pcapng.js';
import type { NgInterface } from './pcapng.js';

export type CaptureFormat = 'pcap' | 'pcapng';

export interface CaptureReaderOptions {
  /** Called for every non-fatal problem (also collected in `warnings`). */
  onWarning?: (message: string) => void;
}

/** Sniffs the format from the first 4 bytes (null if unknown or too short). */
export function sniffFormat(bytes: Uint8Array): CaptureFormat | null {
  if (bytes.length < 4) return null;
  const m = ((bytes[0]! << 24) | (bytes[1]! << 16) | (bytes[2]! << 8) | bytes[3]!) >>> 0;
  if (m === BT_SHB) return 'pcapng';
  return pcapMagicKind(m) !== null ? 'pcap' : null;
}

/** Compressed formats that captures often come in (`capture.pcap.gz`), by their leading bytes. */
const COMPRESSED: ReadonlyArray<readonly [number, number, string]> = [
  // [magic, mask, name] on the first 4 bytes read big-endian
  [0x1f8b0000, 0xffff0000, 'gzip'],
  [0x28b52ffd, 0xffffffff, 'zstd'],
  [0xfd377a58, 0xffffffff, 'xz'],
  [0x425a6800, 0xffffff00, 'bzip2'],
];

function notCaptureMessage(beMagic: number): string {
  for (const [magic, mask, name] of COMPRESSED) {
    if (((beMagic & mask) >>> 0) === magic) return `not a pcap or pcapng file but ${name}-compressed data: decompress it first`;
  }
  return `not a pcap or pcapng file (magic 0x${hex32(beMagic)})`;
}

const S_SNIFF = 0;
const S_PCAP_HDR = 1;
const S_PCAP_REC = 2;
const S_NG_BLOCK = 3;
const S_NG_SKIP = 4;
const S_DONE = 5;

/** Unknown pcapng blocks up to this size are checked in memory; bigger ones are skipped streaming. */
const SKIP_INLINE_MAX = 65536;
const MAX_WARNINGS = 100;
const EMPTY = new Uint8Array(0);
const EMPTY_DV = new DataView(EMPTY.buffer);

export class CaptureReader {
  /** Non-fatal problems, in order (capped at 100 entries). */
  readonly warnings: string[] = [];
  private readonly onWarning: ((message: string) => void) | undefined;

  private fmt: CaptureFormat | null = null;
  private truncAt: number | null = null;
  private state = S_SNIFF;
  private err: CaptureError | null = null;
  private ended = false;
  private count = 0;
  private total = 0;
  /** Absolute offset of the next unconsumed byte. */
  private pos = 0;

  // Current chunk.
  private chunk: Uint8Array = EMPTY;
  private chunkDv: DataView = EMPTY_DV;
  private cpos = 0;
  // Carry buffer: bytes [cstart, cend) precede chunk[cpos..].
  private carry: Uint8Array = EMPTY;
  private carryDv: DataView = EMPTY_DV;
  private cstart = 0;
  private cend = 0;
  // Result of ensure().
  private b: Uint8Array = EMPTY;
  private v: DataView = EMPTY_DV;
  private o = 0;

  // pcap
  private le = false;
  private nsec = false;
  private recHdrLen = 16;
  private snaplen = 0;
  private linkType = 0;
  private fcsLen = 0;
  private snapWarned = false;
  private origWarned = false;

  // pcapng
  private firstShb = true;
  private ifaces: NgInterface[] = [];
  private skipRemain = 0;
  private skipLen = 0;
  private skipStart = 0;

  constructor(options: CaptureReaderOptions = {}) {
    this.onWarning = options.onWarning;
  }

  /** 'pcap' | 'pcapng' once the first bytes have been seen, else null. */
  get format(): CaptureFormat | null {
    return this.fmt;
  }

  /** After end(): offset where an incomplete final record starts, else null. */
  get truncatedAt(): number | null {
    return this.truncAt;
  }

  /** Frames delivered so far. */
  get frames(): number {
    return this.count;
  }

  /** Bytes pushed so far. */
  get bytes(): number {
    return this.total;
  }

  /** True once every frame has been delivered (clean end, truncation or error). */
  get done(): boolean {
    return this.state === S_DONE;
  }

  /**
   * Link types of the interfaces known so far (pcap: the file's link type;
   * pcapng: the IDBs of the current section).
   */
  get linkTypes(): number[] {
    if (this.fmt === 'pcap' && this.state !== S_SNIFF && this.state !== S_PCAP_HDR) {
      return [this.linkType];
    }
    return this.ifaces.map((i) => i.linkType);
  }

  /**
   * Adds input. The chunk is referenced, not copied, until next() returns
   * false; don't modify it before that.
   */
  push(chunk: Uint8Array): void {
    if (this.ended) throw new Error('CaptureReader.push() after end()');
    if (chunk.length === 0) return;
    if (this.cpos < this.chunk.length) {
      this.append(this.chunk, this.cpos, this.chunk.length);
    }
    this.chunk = chunk;
    this.chunkDv = new DataView(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    this.cpos = 0;
    this.total += chunk.length;
  }

  /** No more input will be pushed. */
  end(): void {
    this.ended = true;
  }

  /**
   * Fills `frame` with the next record. Returns false when more input is
   * needed (before end()) or when the capture is finished (after end()).
   * Throws CaptureError on corrupt input.
   */
  next(frame: CaptureFrame): boolean {
    if (this.err !== null) throw this.err;
    if (this.state === S_DONE) return false;
    try {
      return this.step(frame);
    } catch (e) {
      if (e instanceof CaptureError) {
        this.err = e;
        this.state = S_DONE;
        this.release();
      }
      throw e;
    }
  }

  // ---------------------------------------------------------------- input

  private append(src: Uint8Array, from: number, to: number): void {
    const n = to - from;
    if (this.cstart === this.cend) {
      this.cstart = 0;
      this.cend = 0;
    }
    if (this.cend + n > this.carry.length) {
      const used = this.cend - this.cstart;
      if (used + n <= this.carry.length) {
        this.carry.copyWithin(0, this.cstart, this.cend);
      } else {
        let size = Math.max(65536, this.carry.length * 2);
        while (size < used + n) size *= 2;
        const nb = new Uint8Array(size);
        nb.set(this.carry.subarray(this.cstart, this.cend), 0);
        this.carry = nb;
        this.carryDv = new DataView(nb.buffer);
      }
      this.cstart = 0;
      this.cend = used;
    }
    this.carry.set(src.subarray(from, to), this.cend);
    this.cend += n;
  }

  /** Makes n contiguous bytes available at (this.b, this.v, this.o). */
  private ensure(n: number): boolean {
    const have = this.cend - this.cstart;
    const avail = this.chunk.length - this.cpos;
    if (have > 0) {
      if (have < n) {
        const need = n - have;
        if (avail < need) {
          if (avail > 0) {
            this.append(this.chunk, this.cpos, this.chunk.length);
            this.cpos = this.chunk.length;
          }
          return false;
        }
        this.append(this.chunk, this.cpos, this.cpos + need);
        this.cpos += need;
      }
      this.b = this.carry;
      this.v = this.carryDv;
      this.o = this.cstart;
      return true;
    }
    if (avail >= n) {
      this.b = this.chunk;
      this.v = this.chunkDv;
      this.o = this.cpos;
      return true;
    }
    if (avail > 0) {
      this.append(this.chunk, this.cpos, this.chunk.length);
      this.cpos = this.chunk.length;
    }
    return false;
  }

  /** Consumes n bytes made available by ensure(n). */
  private consume(n: number): void {
    if (this.cend > this.cstart) {
      this.cstart += n;
      if (this.cstart >= this.cend) {
        this.cstart = 0;
        this.cend = 0;
      }
    } else {
      this.cpos += n;
    }
    this.pos += n;
  }

  /** Discards skipRemain bytes without copying; false if input ran out. */
  private skipBytes(): boolean {
    while (this.skipRemain > 0) {
      const have = this.cend - this.cstart;
      if (have > 0) {
        const k = Math.min(have, this.skipRemain);
        this.cstart += k;
        if (this.cstart >= this.cend) {
          this.cstart = 0;
          this.cend = 0;
        }
        this.pos += k;
        this.skipRemain -= k;
        continue;
      }
      const avail = this.chunk.length - this.cpos;
      if (avail === 0) return false;
      const k = Math.min(avail, this.skipRemain);
      this.cpos += k;
      this.pos += k;
      this.skipRemain -= k;
    }
    return true;
  }

  /** Input ran out while reading the record starting at recStart. */
  private eof(recStart: number): boolean {
    if (!this.ended) return false;
    const left = this.cend - this.cstart + (this.chunk.length - this.cpos);
    if (left !== 0 || this.pos !== recStart) this.truncAt = recStart;
    this.state = S_DONE;
    this.release();
    return false;
  }

  private release(): void {
    this.chunk = EMPTY;
    this.chunkDv = EMPTY_DV;
    this.cpos = 0;
    this.cstart = 0;
    this.cend = 0;
  }

  private warn(msg: string): void {
    if (this.warnings.length < MAX_WARNINGS) this.warnings.push(msg);
    else if (this.warnings.length === MAX_WARNINGS) this.warnings.push('further warnings suppressed');
    if (this.onWarning !== undefined) this.onWarning(msg);
  }

  // ---------------------------------------------------------------- parse

  private step(frame: CaptureFrame): boolean {
    for (;;) {
      switch (this.state) {
        case S_SNIFF: {
          if (!this.ensure(4)) {
            if (!this.ended) return false;
            if (this.total === 0) throw new CaptureError('empty file', 0);
            throw new CaptureError(
              `not a pcap or pcapng file (only ${this.total} byte${this.total === 1 ? '' : 's'})`,
              0,
            );
          }
          const m = this.v.getUint32(this.o, false);
          if (m === BT_SHB) {
            this.fmt = 'pcapng';
            this.state = S_NG_BLOCK;
          } else if (pcapMagicKind(m) !== null) {
            this.fmt = 'pcap';
            this.state = S_PCAP_HDR;
          } else {
            throw new CaptureError(notCaptureMessage(m), 0);
          }
          continue;
        }

        case S_PCAP_HDR: {
          if (!this.ensure(PCAP_FILE_HEADER_LEN)) {
            if (!this.ended) return false;
            throw new CaptureError(
              `truncated pcap file header (${this.total} of ${PCAP_FILE_HEADER_LEN} bytes)`,
              0,
            );
          }
          const h = parsePcapHeader(this.v, this.o, this.pos);
          this.le = h.le;
          this.nsec = h.nsec;
          this.recHdrLen = h.recHdrLen;
          this.snaplen = h.snaplen;
          this.linkType = h.linkType;
          this.fcsLen = h.fcsLen;
          this.consume(PCAP_FILE_HEADER_LEN);
          this.state = S_PCAP_REC;
          continue;
        }

        case S_PCAP_REC:
          return this.pcapRecord(frame);

        case S_NG_BLOCK: {
          const r = this.ngBlock(frame);
          if (r === 1) return true;
          if (r === 0) return false;
          continue;
        }

        case S_NG_SKIP: {
          const start = this.skipStart;
          if (!this.skipBytes()) return this.eof(start);
          if (!this.ensure(4)) return this.eof(start);
          this.checkTrailer(start, this.v.getUint32(this.o, this.le), this.skipLen);
          this.consume(4);
          this.state = S_NG_BLOCK;
          continue;
        }

        default:
          return false;
      }
    }
  }

  private pcapRecord(frame: CaptureFrame): boolean {
    const start = this.pos;
    const h = this.recHdrLen;
    if (!this.ensure(h)) return this.eof(start);
    const le = this.le;
    const caplen = this.v.getUint32(this.o + 8, le);
    if (caplen > MAX_CAPLEN) {
      // libpcap and Wireshark give up here too: the next record can't be found.
      const snap = this.snaplen !== 0 && this.snaplen < MAX_CAPLEN ? `snaplen ${this.snaplen} and ` : '';
      throw new CaptureError(
        `pcap record length ${caplen} exceeds ${snap}the ${MAX_CAPLEN}-byte maximum (damaged capture?)`,
        start,
      );
    }
    const origLen = this.v.getUint32(this.o + 12, le);
    const suspect = caplen > origLen || (caplen > this.snaplen && this.snaplen !== 0);
    if (!this.ensure(h + caplen)) {
      // A cut file's last record has a sound length; a suspect one running off the end is damage.
      if (suspect && this.ended) this.damagedRecord(start, caplen, origLen, 'runs past the end of the capture');
      return this.eof(start);
    }
    if (suspect && !this.checkSuspectRecord(start, caplen, origLen)) return false;
    const v = this.v;
    const o = this.o;
    const sec = v.getUint32(o, le);
    const frac = v.getUint32(o + 4, le);
    if (this.nsec) {
      if (frac < 1000000000) {
        frame.tsSec = sec;
        frame.tsNsec = frac;
      } else {
        frame.tsSec = sec + Math.floor(frac / 1000000000);
        frame.tsNsec = frac % 1000000000;
      }
    } else if (frac < 1000000) {
      frame.tsSec = sec;
      frame.tsNsec = frac * 1000;
    } else {
      frame.tsSec = sec + Math.floor(frac / 1000000);
      frame.tsNsec = (frac % 1000000) * 1000;
    }
    frame.index = ++this.count;
    frame.linkType = this.linkType;
    frame.buf = this.b;
    frame.dv = v;
    frame.offset = o + h;
    frame.caplen =
      this.fcsLen !== 0 && caplen === origLen && caplen >= this.fcsLen ? caplen - this.fcsLen : caplen;
    frame.origLen = origLen;
    frame.ifIndex = 0;
    frame.fileOffset = start;
    this.consume(h + caplen);
    return true;
  }

  /**
   * A record longer than the snaplen or than its own original length is
   * either from a sloppy writer (libpcap reads those) or has a damaged length
   * field, which would make the reader continue from inside some packet. Tell
   * them apart by the record header that must follow: when it fails the checks
   * Wireshark uses to recognise pcap records, this record's length is the
   * damage. Leaves (b, v, o) at the record; false = more input needed.
   */
  private checkSuspectRecord(start: number, caplen: number, origLen: number): boolean {
    const h = this.recHdrLen;
    if (this.ensure(h + caplen + h)) {
      const v = this.v;
      const n = this.o + h + caplen;
      const nextCaplen = v.getUint32(n + 8, this.le);
      if (
        nextCaplen > MAX_CAPLEN ||
        nextCaplen > v.getUint32(n + 12, this.le) ||
        v.getUint32(n + 4, this.le) >= (this.nsec ? 1000000000 : 1000000)
      ) {
        this.damagedRecord(start, caplen, origLen, 'no record header follows it');
      }
    } else if (!this.ended) {
      return false;
    } else {
      this.ensure(h + caplen); // the last record: nothing follows to check against
    }
    // Once per kind: a sloppy writer does it on every record.
    const overOrig = caplen > origLen;
    if (overOrig ? !this.origWarned : !this.snapWarned) {
      if (overOrig) this.origWarned = true;
      else this.snapWarned = true;
      this.warn(`pcap record at offset ${start} has captured length ${caplen} above ${this.exceeded(caplen, origLen)}`);
    }
    return true;
  }

  /** What a suspect record's length is longer than. */
  private exceeded(caplen: number, origLen: number): string {
    return caplen > origLen ? `its original length ${origLen}` : `the snapshot length ${this.snaplen}`;
  }

  private damagedRecord(start: number, caplen: number, origLen: number, why: string): never {
    throw new CaptureError(
      `pcap record length ${caplen} exceeds ${this.exceeded(caplen, origLen)} and ${why} (damaged capture?)`,
      start,
    );
  }

  /** Throws unless a block length can be trusted to find the next block. */
  private checkLength(start: number, len: number, min: number, max: number, kind: string): void {
    let why: string;
    if (len % 4 !== 0) why = 'is not a multiple of 4';
    else if (len < min) why = `is below the ${min}-byte minimum`;
    else if (len > max) why = `exceeds the ${max >>> 20} MiB limit`;
    else return;
    throw new CaptureError(`pcapng ${kind}block length ${len} ${why} (damaged capture?)`, start);
  }

  private checkTrailer(start: number, trailer: number, len: number): void {
    if (trailer === len) return;
    throw new CaptureError(
      `pcapng block length ${len} does not match its trailing copy ${trailer} (damaged capture?)`,
      start,
    );
  }

  /** A packet block with a consistent length but unusable content: warn and go on with the next block. */
  private skipDamaged(start: number, len: number, why: string): 2 {
    this.warn(`pcapng packet block at offset ${start} skipped: ${why}`);
    this.consume(len);
    return 2;
  }

  /** Needs more input while reading the block at start. */
  private ngNeed(start: number): 0 {
    if (this.ended && this.firstShb) {
      throw new CaptureError(
        `truncated pcapng section header (${this.total} bytes)`,
        0,
      );
    }
    this.eof(start);
    return 0;
  }

  /** 1 = frame delivered, 0 = need input / finished, 2 = continue. */
  private ngBlock(frame: CaptureFrame): 0 | 1 | 2 {
    const start = this.pos;
    if (!this.ensure(8)) return this.ngNeed(start);
    const type = this.v.getUint32(this.o, this.le);

    if (type === BT_SHB) {
      if (!this.ensure(12)) return this.ngNeed(start);
      const bom = this.v.getUint32(this.o + 8, false);
      let le: boolean;
      if (bom === 0x1a2b3c4d) le = false;
      else if (bom === 0x4d3c2b1a) le = true;
      else {
        throw new CaptureError(
          `pcapng section header has bad byte-order magic 0x${hex32(bom)} (damaged capture?)`,
          start,
        );
      }
      const len = this.v.getUint32(this.o + 4, le);
      this.checkLength(start, len, MIN_SHB_LEN, MAX_BLOCK_LEN, 'section header ');
      if (!this.ensure(len)) return this.ngNeed(start);
      const v = this.v;
      const o = this.o;
      this.checkTrailer(start, v.getUint32(o + len - 4, le), len);
      const major = v.getUint16(o + 12, le);
      const minor = v.getUint16(o + 14, le);
      if (major !== 1) {
        throw new CaptureError(
          `unsupported pcapng version ${major}.${minor}`,
          start,
        );
      }
      this.le = le;
      this.ifaces = [];
      this.firstShb = false;
      this.consume(len);
      return 2;
    }

    const le = this.le;
    const len = this.v.getUint32(this.o + 4, le);

    switch (type) {
      case BT_IDB: this.checkLength(start, len, MIN_IDB_LEN, MAX_BLOCK_LEN, 'interface description '); break;
      case BT_EPB: this.checkLength(start, len, MIN_EPB_LEN, MAX_BLOCK_LEN, 'enhanced packet '); break;
      case BT_PB: this.checkLength(start, len, MIN_PB_LEN, MAX_BLOCK_LEN, 'packet '); break;
      case BT_SPB: this.checkLength(start, len, MIN_SPB_LEN, MAX_BLOCK_LEN, 'simple packet '); break;
      default: {
        // Unknown or uninteresting block (NRB, ISB, DSB, custom...): skipped by length, as
        // the format asks, with no size limit since it is never held in memory.
        this.checkLength(start, len, 12, Infinity, '');
        if (len <= SKIP_INLINE_MAX) {
          if (!this.ensure(len)) return this.ngNeed(start);
          this.checkTrailer(start, this.v.getUint32(this.o + len - 4, le), len);
          this.consume(len);
          return 2;
        }
        this.consume(8);
        this.skipStart = start;
        this.skipLen = len;
        this.skipRemain = len - 12;
        this.state = S_NG_SKIP;
        return 2;
      }
    }
    if (!this.ensure(len)) return this.ngNeed(start);
    const v = this.v;
    const o = this.o;
    this.checkTrailer(start, v.getUint32(o + len - 4, le), len);

    if (type === BT_IDB) {
      const id = this.ifaces.length;
      this.ifaces.push(parseIdb(v, o, len, le, start, id, (m) => this.warn(m)));
      this.consume(len);
      return 2;
    }

    let ifId: number;
    let caplen: number;
    let origLen: number;
    let dataOff: number;
    let iface: NgInterface | undefined;
    if (type === BT_SPB) {
      iface = this.ifaces[0];
      if (iface === undefined) return this.skipDamaged(start, len, 'simple packet block, but no interface is defined');
      ifId = 0;
      origLen = v.getUint32(o + 8, le);
      caplen = origLen;
      if (iface.snaplen !== 0 && caplen > iface.snaplen) caplen = iface.snaplen;
      if (caplen > len - 16) caplen = len - 16;
      if (caplen > MAX_CAPLEN) {
        return this.skipDamaged(start, len, `captured length ${caplen} exceeds the ${MAX_CAPLEN}-byte maximum`);
      }
      dataOff = o + 12;
      frame.tsSec = 0;
      frame.tsNsec = 0;
    } else {
      ifId = type === BT_EPB ? v.getUint32(o + 8, le) : v.getUint16(o + 8, le);
      caplen = v.getUint32(o + 20, le);
      origLen = v.getUint32(o + 24, le);
      if (caplen > len - 32) {
        return this.skipDamaged(start, len, `captured length ${caplen} runs past the end of the ${len}-byte block`);
      }
      if (caplen > MAX_CAPLEN) {
        return this.skipDamaged(start, len, `captured length ${caplen} exceeds the ${MAX_CAPLEN}-byte maximum`);
      }
      iface = this.ifaces[ifId];
      if (iface === undefined) {
        return this.skipDamaged(start, len, `interface ${ifId} is not defined (the section has ${this.ifaces.length})`);
      }
      iface.ts.convert(v.getUint32(o + 12, le), v.getUint32(o + 16, le), frame);
      dataOff = o + 28;
    }
    const fcs = iface.fcsLen;
    frame.index = ++this.count;
    frame.linkType = iface.linkType;
    frame.buf = this.b;
    frame.dv = v;
    frame.offset = dataOff;
    frame.caplen = fcs !== 0 && caplen === origLen && caplen >= fcs ? caplen - fcs : caplen;
    frame.origLen = origLen;
    frame.ifIndex = ifId;
    frame.fileOffset = start;
    this.consume(len);
    return 1;
  }
}

export interface ReadCaptureResult {
  frames: number;
  format: CaptureFormat | null;
  truncatedAt: number | null;
  warnings: string[];
}

/**
 * Reads an in-memory capture, calling onFrame for every frame (the same
 * frame object each time; return false to stop). Throws CaptureError.
 */
export function readCapture(
  bytes: Uint8Array,
  onFrame: (f: CaptureFrame) => void | boolean,
  options: CaptureReaderOptions = {},
): ReadCaptureResult {
  const r = new CaptureReader(options);
  const f = createFrame();
  r.push(bytes);
  r.end();
  while (r.next(f)) {
    if (onFrame(f) === false) break;
  }
  return { frames: r.frames, format: r.format, truncatedAt: r.truncatedAt, warnings: r.warnings };
}
