/** A capture that can't be read: one line on stderr naming the input and the offset, exit code 2. */
import { CaptureError } from '../io/errors.js';
import type { Output } from './output.js';

export function captureErrorExit(out: Output, file: string, e: unknown): number {
  if (!(e instanceof CaptureError)) throw e;
  out.flush();
  out.stderr(`ctscope: ${file === '-' ? 'stdin' : file}${e.offset > 0 ? ` at offset ${e.offset}` : ''}: ${e.message}\n`);
  return 2;
}
