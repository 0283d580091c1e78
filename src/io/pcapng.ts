/**
 * pcapng format (https://datatracker.ietf.org/doc/draft-ietf-opsawg-pcapng/):
 * block constants, Interface Description Block parsing and exact 64-bit
 * timestamp conversion. The block loop lives in capture-reader.ts.
 * Browser-safe.
 */
import { CaptureError } from './errors.js';
import type { CaptureFrame } from './frame.js';

export const BT_SHB = 0x0a0d0d0a;
export const BT_IDB = 0x00000001;
/** Obsolete Packet Block. */
export const BT_PB = 0x00000002;
export const BT_SPB = 0x00000003;
export const BT_EPB = 0x00000006;
export const BYTE_ORDER_MAGIC = 0x1a2b3c4d;

/** Minimum total lengths per block type (header + fixed fields + trailer). */
export const MIN_SHB_LEN = 28;
export const MIN_IDB_LEN = 20;
export const MIN_EPB_LEN = 32;
export const MIN_PB_LEN = 32;
export const MIN_SPB_LEN = 16;
/** Largest block that is parsed in memory (SHB/IDB/packet blocks); same limit as Wireshark. */
export const MAX_BLOCK_LEN = 16 * 1024 * 1024;

const OPT_ENDOFOPT = 0;
const IF_TSRESOL = 9;
const IF_FCSLEN = 13;
const IF_TSOFFSET = 14;

const TWO32 = 4294967296;
const POW5: readonly number[] = [1, 5, 25, 125, 625, 3125, 15625, 78125, 390625, 1953125, 9765625];
const POW10: readonly number[] = [
  1, 10, 100, 1000, 10000, 100000, 1000000, 10000000, 100000000, 1000000000,
];

/**
 * Converts 64-bit timestamps (two 32-bit halves) in units of 10^-e or 2^-e
 * seconds to (sec, nsec) exactly, with float-safe integer arithmetic only
 * (no BigInt per packet). Seconds beyond 2^53 lose precision (year > 285
 * million). The nanosecond part is truncated (floor) for resolutions finer
 * than 1 ns, as Wireshark does.
 */
export class TsConverter {
  /** 10 or 2. */
  readonly base: 10 | 2;
  /** Exponent: units are base^-exp seconds (0..19 for base 10, 0..63 for base 2). */
  readonly exp: number;
  /** if_tsoffset in seconds (added to every timestamp). */
  readonly offsetSec: number;

  constructor(base: 10 | 2, exp: number, offsetSec: number) {
    this.base = base;
    this.exp = exp;
    this.offsetSec = offsetSec;
  }

  /** Writes frame.tsSec / frame.tsNsec from the timestamp hi:lo. */
  convert(hi: number, lo: number, frame: CaptureFrame): void {
    if (this.base === 10) this.pow10(hi >>> 0, lo >>> 0, frame);
    else this.pow2(hi >>> 0, lo >>> 0, frame);
  }

  private pow10(hi: number, lo: number, frame: CaptureFrame): void {
    const e = this.exp;
    if (e === 0) {
      frame.tsSec = hi * TWO32 + lo + this.offsetSec;
      frame.tsNsec = 0;
      return;
    }
    // ts = x * 2^e + low; 10^e = 2^e * 5^e; so ts / 10^e = x / 5^e with remainder
    // (x mod 5^e) * 2^e + low.
    const low = lo % (1 << e); // e <= 19
    let xh = hi >>> e;
    let xl = ((lo >>> e) | (hi << (32 - e))) >>> 0;
    // Divide x by 5^e in factors of at most 5^9 (< 2^21) so that every
    // intermediate (rem * 2^32 + limb) stays below 2^53.
    let rem = 0;
    let mul = 1;
    let left = e;
    while (left > 0) {
      const k = left > 9 ? 9 : left;
      const d = POW5[k]!;
      const qh = Math.floor(xh / d);
      const rh = xh - qh * d;
      const t = rh * TWO32 + xl;
      let ql = Math.floor(t / d);
      let r = t - ql * d;
      if (r < 0) { ql -= 1; r += d; } else if (r >= d) { ql += 1; r -= d; }
      xh = qh;
      xl = ql;
      rem += r * mul;
      mul *= d;
      left -= k;
    }
    frame.tsSec = xh * TWO32 + xl + this.offsetSec;
    if (e <= 9) {
      frame.tsNsec = (rem * (1 << e) + low) * POW10[9 - e]!;
    } else {
      // nsec = floor((rem * 2^e + low) / 10^(e-9)) = floor((rem * 2^9 + (low >> (e-9))) / 5^(e-9))
      const D = POW5[e - 9]!;
      const q1 = Math.floor(rem / D);
      const ra = rem - q1 * D;
      frame.tsNsec = q1 * 512 + Math.floor((ra * 512 + (low >>> (e - 9))) / D);
    }
  }

  private pow2(hi: number, lo: number, frame: CaptureFrame): void {
    const r = this.exp;
    let sec: number;
    let fh: number;
    let fl: number;
    if (r === 0) {
      frame.tsSec = hi * TWO32 + lo + this.offsetSec;
      frame.tsNsec = 0;
      return;
    } else if (r < 32) {
      sec = (hi >>> r) * TWO32 + (((lo >>> r) | (hi << (32 - r))) >>> 0);
      fh = 0;
      fl = lo % 2 ** r;
    } else if (r === 32) {
      sec = hi;
      fh = 0;
      fl = lo;
    } else {
      sec = hi >>> (r - 32);
      fh = hi % 2 ** (r - 32);
      fl = lo;
    }
    frame.tsSec = sec + this.offsetSec;
    // nsec = floor(frac * 10^9 / 2^r) = floor(frac * 1953125 / 2^(r-9))
    if (r <= 9) {
      frame.tsNsec = fl * 1953125 * (1 << (9 - r));
      return;
    }
    const k = r - 9;
    const c = fl * 1953125; // < 2^53
    const cHi = Math.floor(c / TWO32);
    const cLo = c - cHi * TWO32;
    const A = fh * 1953125 + cHi;
    frame.tsNsec = k <= 32 ? A * 2 ** (32 - k) + Math.floor(cLo / 2 ** k) : Math.floor(A / 2 ** (k - 32));
  }
}

export const DEFAULT_TS = new TsConverter(10, 6, 0);

/** One interface of the current pcapng section. */
export interface NgInterface {
  linkType: number;
  snaplen: number;
  /** FCS bytes at the end of full-length packets (if_fcslen, which is in bits, / 8). */
  fcsLen: number;
  ts: TsConverter;
}

/**
 * Parses an IDB whose block starts at dv[off] (total length len, already
 * validated). `warn` receives non-fatal problems (bad options).
 */
export function parseIdb(
  dv: DataView,
  off: number,
  len: number,
  le: boolean,
  fileOffset: number,
  ifId: number,
  warn: (msg: string) => void,
): NgInterface {
  const linkType = dv.getUint16(off + 8, le);
  const snaplen = dv.getUint32(off + 12, le);
  let tsBase: 10 | 2 = 10;
  let tsExp = 6;
  let tsOffset = 0;
  let fcsLen = 0;
  const end = off + len - 4;
  let p = off + 16;
  while (p + 4 <= end) {
    const code = dv.getUint16(p, le);
    const olen = dv.getUint16(p + 2, le);
    if (code === OPT_ENDOFOPT) break;
    const v = p + 4;
    if (v + olen > end) {
      warn(`pcapng interface ${ifId} at offset ${fileOffset}: option ${code} overruns the block; options ignored from here`);
      break;
    }
    if (code === IF_TSRESOL && olen >= 1) {
      const b = dv.getUint8(v);
      const e = b & 0x7f;
      const base: 10 | 2 = (b & 0x80) !== 0 ? 2 : 10;
      if ((base === 10 && e > 19) || (base === 2 && e > 63)) {
        throw new CaptureError(
          `pcapng interface ${ifId} has unsupported if_tsresol 0x${b.toString(16).padStart(2, '0')}`,
          fileOffset,
        );
      }
      tsBase = base;
      tsExp = e;
    } else if (code === IF_TSOFFSET && olen >= 8) {
      const hi = dv.getInt32(v + (le ? 4 : 0), le);
      const lo = dv.getUint32(v + (le ? 0 : 4), le);
      tsOffset = hi * TWO32 + lo;
    } else if (code === IF_FCSLEN && olen >= 1) {
      fcsLen = dv.getUint8(v) >>> 3; // the option is in bits
    }
    p = v + ((olen + 3) & ~3);
  }
  return { linkType, snaplen, fcsLen, ts: new TsConverter(tsBase, tsExp, tsOffset) };
}
