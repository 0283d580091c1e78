/**
 * Live use: `ctscope replay -` reading a capture that arrives slowly on stdin, as
 * from `tcpdump -w - | ctscope replay - --events`. A writer sends the pcap header
 * and the records one by one with pauses; the tests check that each packet's
 * lines reach stdout before the writer closes the pipe (flushed per packet), that
 * a stream cut in the middle of a record ends cleanly (exit 0, a warning naming
 * the offset), and that Ctrl-C (SIGINT to ctscope alone, the pipe still open)
 * prints the summary and exits 130.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const root = join(import.meta.dirname, '..', '..', '..', '..');
const bin = join(root, 'bin', 'ctscope.js');
const capture = readFileSync(join(root, 'examples', 'tutorial-telnet.pcap'));

/** The classic pcap's header and its records (byte ranges), little-endian as tcpdump writes on x86. */
function split(buf: Buffer): { header: Buffer; records: { offset: number; bytes: Buffer }[] } {
  assert.equal(buf.readUInt32LE(0), 0xa1b2c3d4, 'a little-endian classic pcap');
  const records: { offset: number; bytes: Buffer }[] = [];
  let off = 24;
  while (off + 16 <= buf.length) {
    const len = buf.readUInt32LE(off + 8);
    records.push({ offset: off, bytes: buf.subarray(off, off + 16 + len) });
    off += 16 + len;
  }
  return { header: buf.subarray(0, 24), records };
}
const { header, records } = split(capture);

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

interface Live {
  child: ChildProcessWithoutNullStreams;
  stdout(): string;
  stderr(): string;
  /** Resolves with the stdout so far once `pred` holds (rejects after `ms`). */
  until(pred: (out: string) => boolean, ms?: number): Promise<string>;
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

function start(args: string[]): Live {
  const child = spawn(process.execPath, [bin, 'replay', '-', ...args], { cwd: root, stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  const waiters: (() => void)[] = [];
  child.stdout.on('data', (d: Buffer) => {
    out += d.toString();
    for (const w of waiters) w();
  });
  child.stderr.on('data', (d: Buffer) => {
    err += d.toString();
  });
  child.stdin.on('error', () => {}); // EPIPE after the child exited
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) => child.once('exit', (code, signal) => r({ code, signal })));
  return {
    child,
    stdout: () => out,
    stderr: () => err,
    until(pred, ms = 5000): Promise<string> {
      return new Promise((resolve, reject) => {
        const check = (): void => {
          if (pred(out)) {
            clearTimeout(timer);
            waiters.splice(waiters.indexOf(check), 1);
            resolve(out);
          }
        };
        const timer = setTimeout(() => {
          waiters.splice(waiters.indexOf(check), 1);
          reject(new Error(`timed out; stdout so far:\n${out}\nstderr:\n${err}`));
        }, ms);
        waiters.push(check);
        check();
      });
    },
    exit,
  };
}

const lines = (s: string): string[] => s.split('\n').filter((l) => l !== '');

describe('ctscope replay - (live stdin)', () => {
  test('--packets: each packet\'s line arrives while the pipe is still open', async () => {
    const live = start(['--packets', '--table=none', '-q']);
    try {
      live.child.stdin.write(header);
      for (let i = 0; i < 6; i++) {
        live.child.stdin.write(records[i]!.bytes);
        const out = await live.until((o) => lines(o).length >= i + 1);
        assert.equal(lines(out).length, i + 1, `after record ${i + 1}`);
        assert.match(lines(out)[i]!, new RegExp(`^\\s*${i + 1}\\s`));
        assert.equal(live.child.stdin.writableEnded, false);
        await sleep(60);
      }
    } finally {
      live.child.stdin.end();
    }
    const { code } = await live.exit;
    assert.equal(code, 0, live.stderr());
    assert.equal(lines(live.stdout()).length, 6);
  });

  test('--events: [NEW] is on stdout before the writer closes the pipe', async () => {
    const live = start(['--events']);
    live.child.stdin.write(header);
    await sleep(100);
    live.child.stdin.write(records[0]!.bytes);
    const out = await live.until((o) => o.includes('[NEW]'));
    assert.match(out, /^\[\d+\.\d{6}\]\t +\[NEW\] tcp +6 120 SYN_SENT src=192\.168\.1\.5 dst=192\.168\.1\.35 sport=1031 dport=23 \[UNREPLIED\]/);
    for (const r of records.slice(1, 3)) {
      await sleep(80);
      live.child.stdin.write(r.bytes);
    }
    await live.until((o) => o.includes('ESTABLISHED'));
    assert.equal(live.child.stdin.writableEnded, false);
    live.child.stdin.end();
    const { code } = await live.exit;
    assert.equal(code, 0, live.stderr());
    assert.match(live.stderr(), /ctscope: 3 packets \(1 new, 2 established\), 1 entries in the table/);
  });

  test('a stream cut in the middle of a record: the packets before it, a warning with the offset, exit 0', async () => {
    const live = start(['--packets', '--table=none']);
    live.child.stdin.write(header);
    for (const r of records.slice(0, 5)) {
      live.child.stdin.write(r.bytes);
      await sleep(30);
    }
    await live.until((o) => lines(o).length === 5);
    const cut = records[5]!;
    live.child.stdin.write(cut.bytes.subarray(0, 16 + 7)); // its header and 7 bytes of its 60
    await sleep(100);
    live.child.stdin.end();
    const { code } = await live.exit;
    assert.equal(code, 0, live.stderr());
    assert.equal(lines(live.stdout()).length, 5);
    assert.match(live.stderr(), new RegExp(`ctscope: warning: stdin: capture ends mid-record at offset ${cut.offset}; the packets before it were processed`));
    assert.match(live.stderr(), /ctscope: 5 packets \(1 new, 4 established\)/);
  });

  // Needs src/node/capture-source.ts to read stdin without blocking the event loop
  // (a blocking readSync keeps the SIGINT handler from running until the pipe closes):
  // see the live-use notes in README "conntrack-tools compatibility".
  test('Ctrl-C (SIGINT, pipe still open): the summary on stderr, exit 130', async () => {
    const live = start(['--packets', '--table=none']);
    live.child.stdin.write(header);
    for (const r of records.slice(0, 4)) live.child.stdin.write(r.bytes);
    await live.until((o) => lines(o).length === 4);
    live.child.kill('SIGINT');
    const timeout = sleep(3000).then(() => 'timeout' as const);
    const first = await Promise.race([live.exit, timeout]);
    live.child.stdin.end(); // let it go in any case
    const result = first === 'timeout' ? await live.exit : first;
    assert.notEqual(first, 'timeout', 'ctscope did not react to SIGINT while waiting for input (it ended only when the pipe closed)');
    assert.equal(result.code, 130, live.stderr());
    assert.match(live.stderr(), /packets: 4 \(1 new, 3 established\)/);
    assert.match(live.stderr(), /connections in the table: 1/);
  });
});
