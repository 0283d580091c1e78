import { CaptureReader } from '../../../src/io/capture-reader.js';
import { CaptureError } from '../../../src/io/errors.js';
import { createFrame } from '../../../src/io/frame.js';

export interface FrameInfo {
  index: number;
  linkType: number;
  tsSec: number;
  tsNsec: number;
  caplen: number;
  origLen: number;
  ifIndex: number;
  fileOffset: number;
  data: string;
}

export interface ReadResult {
  frames: FrameInfo[];
  truncatedAt: number | null;
  format: string | null;
  warnings: string[];
  error: CaptureError | null;
}

function toHex(b: Uint8Array): string {
  let s = '';
  for (const x of b) s += x.toString(16).padStart(2, '0');
  return s;
}

/**
 * Reads bytes pushed as the given chunk sizes (cycled; default one chunk),
 * draining next() after each push. CaptureErrors are returned, others thrown.
 */
export function readAll(bytes: Uint8Array, chunkSizes: number[] = [], drainEachPush = true): ReadResult {
  const r = new CaptureReader();
  const f = createFrame();
  const frames: FrameInfo[] = [];
  const drain = (): void => {
    while (r.next(f)) {
      if (f.offset < 0 || f.offset + f.caplen > f.buf.length) throw new Error('frame outside its buffer');
      if (f.dv.buffer !== f.buf.buffer || f.dv.byteOffset !== f.buf.byteOffset) throw new Error('dv/buf mismatch');
      frames.push({
        index: f.index,
        linkType: f.linkType,
        tsSec: f.tsSec,
        tsNsec: f.tsNsec,
        caplen: f.caplen,
        origLen: f.origLen,
        ifIndex: f.ifIndex,
        fileOffset: f.fileOffset,
        data: toHex(f.buf.subarray(f.offset, f.offset + f.caplen)),
      });
    }
  };
  try {
    if (chunkSizes.length === 0) {
      r.push(bytes);
      drain();
    } else {
      let p = 0;
      let i = 0;
      while (p < bytes.length) {
        const n = Math.max(1, chunkSizes[i++ % chunkSizes.length]!);
        // Copy so that stale references into earlier chunks would show up as wrong data.
        r.push(bytes.slice(p, p + n));
        p += n;
        if (drainEachPush) drain();
      }
    }
    r.end();
    drain();
    return { frames, truncatedAt: r.truncatedAt, format: r.format, warnings: r.warnings, error: null };
  } catch (e) {
    if (e instanceof CaptureError) {
      return { frames, truncatedAt: r.truncatedAt, format: r.format, warnings: r.warnings, error: e };
    }
    throw e;
  }
}
