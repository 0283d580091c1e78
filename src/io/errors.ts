/**
 * Errors raised while reading a capture. Browser-safe (no Node imports).
 *
 * A CaptureError always carries a one-line message and the absolute byte
 * offset in the input where the problem was found (0 when not tied to a
 * position, e.g. "empty file" or a file that cannot be opened).
 */
export class CaptureError extends Error {
  /** Absolute byte offset in the input where the problem was detected. */
  readonly offset: number;

  constructor(message: string, offset: number) {
    super(message);
    this.name = 'CaptureError';
    this.offset = offset;
  }
}

/**
 * The capture could not be opened or read (missing file, directory,
 * permissions, I/O error). Raised by the Node capture source; kept here so
 * that consumers can test for it without importing Node-only code.
 */
export class CaptureOpenError extends CaptureError {
  /** The path given by the user ('-' for stdin). */
  readonly path: string;
  /** System error code when known, e.g. 'ENOENT'. */
  readonly code: string | undefined;

  constructor(message: string, path: string, code?: string) {
    super(message, 0);
    this.name = 'CaptureOpenError';
    this.path = path;
    this.code = code;
  }
}

/** True for errors raised by the capture layer (including open errors). */
export function isCaptureError(e: unknown): e is CaptureError {
  return e instanceof CaptureError;
}
