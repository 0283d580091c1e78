/**
 * How the commands that read a capture report its problems on stderr. A
 * damaged capture is reported after everything read before the damage (see
 * README "### Errors"): warnings first, then the one error line, last.
 */
import { CaptureError, CaptureOpenError } from '../io/errors.js';
import type { Output } from './output.js';

/** The input as messages name it. */
export function inputName(file: string): string {
  return file === '-' ? 'stdin' : file;
}

/** A capture that can't be read (further): one line naming the input and the offset, exit code 2. */
export function captureErrorExit(out: Output, file: string, e: unknown): number {
  if (!(e instanceof CaptureError)) throw e;
  out.flush();
  // Open and read errors name the input themselves and have no offset.
  if (e instanceof CaptureOpenError) out.stderr(`ctscope: ${e.message}\n`);
  else out.stderr(`ctscope: ${inputName(file)} at offset ${e.offset}: ${e.message}\n`);
  return 2;
}

/** The reader's warnings and a cut final record, one line each. */
export function captureWarnings(out: Output, file: string, read: { warnings: readonly string[]; truncatedAt: number | null }): void {
  const name = inputName(file);
  for (const w of read.warnings) out.stderr(`ctscope: warning: ${name}: ${w}\n`);
  if (read.truncatedAt !== null) {
    out.stderr(`ctscope: warning: ${name}: capture ends mid-record at offset ${read.truncatedAt}; the packets before it were processed\n`);
  }
}
