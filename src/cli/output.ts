/** Buffered stdout (big writes, flushed at the end or when large) and direct stderr. */
import { writeSync } from 'node:fs';

export class Output {
  private buf: string[] = [];
  private size = 0;

  line(s: string): void {
    this.buf.push(s);
    this.size += s.length + 1;
    if (this.size > 1 << 16) this.flush();
  }

  stdout(s: string): void {
    this.flush();
    writeAll(1, s);
  }

  stderr(s: string): void {
    writeAll(2, s);
  }

  flush(): void {
    if (this.buf.length === 0) return;
    const text = this.buf.join('\n') + '\n';
    this.buf = [];
    this.size = 0;
    writeAll(1, text);
  }
}

function writeAll(fd: number, s: string): void {
  const data = Buffer.from(s);
  let off = 0;
  while (off < data.length) {
    try {
      off += writeSync(fd, data, off);
    } catch (e) {
      const code = (e as { code?: string }).code;
      if (code === 'EAGAIN') continue;
      if (code === 'EPIPE') process.exit(0);
      throw e;
    }
  }
}
