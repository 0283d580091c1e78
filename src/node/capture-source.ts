/**
 * Node-only capture source: reads a file (or '-' for stdin) in big
 * sequential chunks into one reusable buffer and drives a CaptureReader.
 */
import * as fs from 'node:fs';
import { CaptureReader } from '../io/capture-reader.js';
import type { CaptureFormat } from '../io/capture-reader.js';
import { CaptureError, CaptureOpenError } from '../io/errors.js';
import { createFrame } from '../io/frame.js';
import type { CaptureFrame } from '../io/frame.js';

export interface ReadSummary {
  /** Frames delivered to onFrame. */
  frames: number;
  /** Bytes read from the input. */
  bytes: number;
  /** Offset of an incomplete final record (warn "capture ends mid-record at offset N"), else null. */
  truncatedAt: number | null;
  format: CaptureFormat | null;
  /** Non-fatal reader warnings. */
  warnings: string[];
  /** True when onFrame returned false. */
  stopped: boolean;
}

export interface CaptureSourceOptions {
  /** Read size in bytes (default 4 MiB). */
  chunkSize?: number;
  onWarning?: (message: string) => void;
}

/** Read size, also of replay --threads. */
export const DEFAULT_CHUNK = 4 * 1024 * 1024;

/** One turn of the event loop (signals, worker messages). */
export function turn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

function describe(code: string | undefined, fallback: string): string {
  switch (code) {
    case 'ENOENT': return 'no such file';
    case 'EISDIR': return 'is a directory';
    case 'EACCES':
    case 'EPERM': return 'permission denied';
    case 'ENOTDIR': return 'not a directory';
    case 'ELOOP': return 'too many symbolic links';
    case 'ENAMETOOLONG': return 'file name too long';
    case 'EMFILE':
    case 'ENFILE': return 'too many open files';
    case 'EIO': return 'input/output error';
    default: return fallback;
  }
}

function errCode(e: unknown): string | undefined {
  const c = (e as { code?: unknown } | null)?.code;
  return typeof c === 'string' ? c : undefined;
}

function errText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

function isRegularFile(fd: number): boolean {
  try {
    return fs.fstatSync(fd).isFile();
  } catch {
    return false;
  }
}

/** An opened capture input. */
export class CaptureSource {
  readonly path: string;
  private fd: number;
  private readonly isStdin: boolean;
  private closed = false;
  private reader: CaptureReader | null = null;
  private stopped = false;
  /** Read so far of an input already in memory (openCaptureBytes). */
  private pos = 0;

  /** Use openCapture(). */
  constructor(path: string, fd: number, isStdin: boolean, private readonly bytes: Uint8Array | null = null) {
    this.path = path;
    this.fd = fd;
    this.isStdin = isStdin;
  }

  private get displayName(): string {
    return this.isStdin ? 'stdin' : this.path;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (!this.isStdin && this.bytes === null) {
      try {
        fs.closeSync(this.fd);
      } catch {
        // ignore
      }
    }
    this.fd = -1;
  }

  /**
   * What forEach() read, also after it threw: a damaged capture's frames
   * before the damage and its warnings are still to be reported.
   */
  get summary(): ReadSummary {
    const r = this.reader;
    return {
      frames: r?.frames ?? 0,
      bytes: r?.bytes ?? 0,
      truncatedAt: r?.truncatedAt ?? null,
      format: r?.format ?? null,
      warnings: r?.warnings ?? [],
      stopped: this.stopped,
    };
  }

  /**
   * Reads the next chunk of the input into `buf`: the number of bytes, 0 at the
   * end, -1 when stdin would block (read it as a stream instead). Throws
   * CaptureOpenError on I/O errors.
   */
  readChunk(buf: Uint8Array): number {
    const mem = this.bytes;
    if (mem !== null) {
      const n = Math.min(buf.length, mem.length - this.pos);
      buf.set(mem.subarray(this.pos, this.pos + n));
      this.pos += n;
      return n;
    }
    try {
      return fs.readSync(this.fd, buf, 0, buf.length, null);
    } catch (e) {
      const code = errCode(e);
      if (code === 'EAGAIN' && this.isStdin) return -1;
      if (code === 'EOF') return 0; // Windows pipes
      throw new CaptureOpenError(`cannot read ${this.displayName}: ${describe(code, errText(e))}`, this.path, code);
    }
  }

  /**
   * Reads the whole input, calling onFrame synchronously for every frame
   * (the same frame object each time; its bytes are valid only during the
   * call). Return false from onFrame to stop early. Throws CaptureError
   * (corrupt capture, `empty file`) or CaptureOpenError (I/O errors); the
   * summary getter then tells what was read before. Closes the source when done.
   */
  async forEach(
    onFrame: (f: CaptureFrame) => void | boolean,
    options: CaptureSourceOptions = {},
  ): Promise<ReadSummary> {
    if (this.closed) throw new Error('CaptureSource already closed');
    const reader = new CaptureReader(options.onWarning ? { onWarning: options.onWarning } : {});
    this.reader = reader;
    const frame = createFrame();
    let stopped = false;
    const drain = (): boolean => {
      while (reader.next(frame)) {
        if (onFrame(frame) === false) return false;
      }
      return true;
    };
    try {
      const size = Math.max(65536, options.chunkSize ?? DEFAULT_CHUNK);
      const buf = new Uint8Array(size);
      // Pipes, sockets and terminals on stdin are read as a stream, so that the event loop
      // runs while waiting for input (Ctrl-C prints the summary at once); files keep readSync.
      let useAsync = this.isStdin && !isRegularFile(this.fd);
      while (!useAsync) {
        const n = this.readChunk(buf);
        if (n < 0) {
          useAsync = true;
          break;
        }
        if (n === 0) break;
        // The reader holds no reference to buf once next() returned false, so buf is reused.
        reader.push(n === size ? buf : buf.subarray(0, n));
        if (!drain()) {
          stopped = true;
          break;
        }
        // A turn of the event loop between chunks: Ctrl-C is heard during a long file.
        await turn();
      }
      if (useAsync && !stopped) {
        // Non-blocking stdin (e.g. a TTY or some pipes): fall back to stream reading.
        for await (const chunk of process.stdin as AsyncIterable<Uint8Array>) {
          reader.push(chunk);
          if (!drain()) {
            stopped = true;
            break;
          }
        }
      }
      if (!stopped) {
        reader.end();
        if (!drain()) stopped = true;
      }
    } finally {
      this.stopped = stopped;
      this.close();
    }
    return this.summary;
  }
}

/**
 * Opens a capture file, or stdin for '-'. Throws CaptureOpenError with a
 * one-line message such as `cannot open FILE: no such file`.
 */
export function openCapture(path: string): CaptureSource {
  if (path === '-') return new CaptureSource(path, 0, true);
  let fd: number;
  try {
    fd = fs.openSync(path, 'r');
  } catch (e) {
    const code = errCode(e);
    throw new CaptureOpenError(`cannot open ${path}: ${describe(code, errText(e))}`, path, code);
  }
  try {
    const st = fs.fstatSync(fd);
    if (st.isDirectory()) {
      throw new CaptureOpenError(`cannot open ${path}: is a directory`, path, 'EISDIR');
    }
  } catch (e) {
    try {
      fs.closeSync(fd);
    } catch {
      // ignore
    }
    if (e instanceof CaptureError) throw e;
    const code = errCode(e);
    throw new CaptureOpenError(`cannot open ${path}: ${describe(code, errText(e))}`, path, code);
  }
  return new CaptureSource(path, fd, false);
}

/**
 * A capture already read into memory (readWholeCapture), as a source named
 * `path`: stdin can be read only once, so a second pass over it reads this.
 */
export function openCaptureBytes(path: string, bytes: Uint8Array): CaptureSource {
  return new CaptureSource(path, -1, false, bytes);
}

/**
 * The whole input in memory, for callers that replay it more than once (stdin
 * too, for '-'); fails with the same one-line messages as openCapture().
 */
export function readWholeCapture(path: string): Uint8Array {
  try {
    return new Uint8Array(fs.readFileSync(path === '-' ? 0 : path));
  } catch (e) {
    const code = errCode(e);
    throw new CaptureOpenError(`cannot open ${path}: ${describe(code, errText(e))}`, path, code);
  }
}

/** openCapture(path) then forEach(onFrame). */
export async function forEachFrame(
  path: string,
  onFrame: (f: CaptureFrame) => void | boolean,
  options: CaptureSourceOptions = {},
): Promise<ReadSummary> {
  return openCapture(path).forEach(onFrame, options);
}
