/**
 * Damaged captures (test/unit/io/damaged-cases.ts) through the commands that
 * read captures: `replay FILE`, `replay -` (stdin), `replay --invalid` and
 * `conntrack --from`. Each must print exactly what it prints for an intact
 * capture of the packets readable before (or around) the damage — packets,
 * table, stats and summary — then the reader's warnings and, for damage it
 * can't read past, one last line naming the input and the offset, with the
 * exit code README "### Errors" gives.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DAMAGED } from '../io/damaged-cases.js';
import type { DamagedCase } from '../io/damaged-cases.js';

const root = join(import.meta.dirname, '..', '..', '..', '..');
const bin = join(root, 'bin', 'ctscope.js');
const tmp = mkdtempSync(join(tmpdir(), 'ctscope-damaged-'));
process.on('exit', () => rmSync(tmp, { recursive: true, force: true }));

interface Run { status: number; stdout: string; stderr: string[] }

function ctscope(args: string[], input?: Uint8Array): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = execFile(process.execPath, [bin, ...args], { cwd: root, encoding: 'utf8' }, (err, stdout, stderr) => {
      if (err && typeof err.code !== 'number') reject(err);
      else resolve({ status: err ? (err.code as number) : 0, stdout, stderr: stderr.split('\n').filter((l) => l !== '') });
    });
    child.stdin!.end(input);
  });
}

/** The commands, with FILE standing for the capture's path or '-'; all share the reader, so
 *  every case runs through `replay FILE` and a few through the others (their error paths). */
const MODES: Array<{ name: string; args: (file: string) => string[]; stdin?: true; all?: true }> = [
  { name: 'replay FILE', args: (f) => ['replay', f, '--packets', '--stats'], all: true },
  { name: 'replay - (stdin)', args: () => ['replay', '-', '--packets', '--stats'], stdin: true },
  { name: 'replay --invalid', args: (f) => ['replay', f, '--invalid', '--table=none'] },
  { name: 'conntrack --from', args: (f) => ['conntrack', '-L', '--from', f] },
];
const FEW = new Set([
  'pcap cut in a record header', 'pcap record length 0x7fffffff', 'pcapng packet on an interface that does not exist',
  'pcapng trailing length not the leading one', 'a gzip-compressed pcap',
]);
type Mode = (typeof MODES)[number];

let n = 0;
/** Runs a mode on bytes saved to a file (or piped to stdin); messages name the input as `name`. */
async function run(mode: Mode, bytes: Uint8Array, name: string): Promise<Run> {
  if (mode.stdin) return ctscope(mode.args('-'), bytes);
  const file = join(tmp, `c${n++}.cap`);
  writeFileSync(file, bytes);
  const r = await ctscope(mode.args(file));
  return { ...r, stderr: r.stderr.map((l) => l.split(file).join(name)) };
}

/** Intact captures are shared by several cases: each is run once per mode. */
const refRuns = new Map<Uint8Array, Map<Mode, Promise<Run>>>();
function refRun(mode: Mode, ref: Uint8Array): Promise<Run> {
  const m = refRuns.get(ref) ?? new Map<Mode, Promise<Run>>();
  refRuns.set(ref, m);
  let r = m.get(mode);
  if (r === undefined) {
    r = run(mode, ref, 'FILE');
    m.set(mode, r);
  }
  return r;
}

async function check(c: DamagedCase, mode: Mode): Promise<void> {
  const r = await run(mode, c.bytes, 'FILE');
  const ref = c.ref === null ? { status: 0, stdout: '', stderr: [] } : await refRun(mode, c.ref);
  assert.equal(ref.status, 0, `the intact capture replays cleanly: ${ref.stderr.join('\n')}`);
  assert.equal(r.status, c.status, `exit code; stderr:\n${r.stderr.join('\n')}`);
  assert.equal(r.stdout, ref.stdout, 'the same output as the intact capture of the readable packets');
  const name = mode.stdin ? 'stdin' : 'FILE';
  const warnings = c.warnings.map((w) => `ctscope: warning: ${name}: ${w}`);
  if (c.truncatedAt !== null) {
    warnings.push(`ctscope: warning: ${name}: capture ends mid-record at offset ${c.truncatedAt}; the packets before it were processed`);
  }
  const error = c.error === null ? [] : [`ctscope: ${name} at offset ${c.error.offset}: ${c.error.message}`];
  // The intact capture's summary lines and the warnings, in the order the command gives them,
  // and the error line last.
  assert.deepEqual(r.stderr.filter((l) => l.startsWith('ctscope: warning: ')), warnings);
  assert.deepEqual(r.stderr.filter((l) => !l.startsWith('ctscope: warning: ')), [...ref.stderr, ...error]);
  if (error.length > 0) assert.equal(r.stderr.at(-1), error[0]);
}

/** `replay -` fed in 16-byte pieces with pauses, as a live stream arrives: the reader sees many chunks. */
function trickle(bytes: Uint8Array): Promise<Run> {
  const child = spawn(process.execPath, [bin, 'replay', '-', '--packets', '--stats'], { cwd: root });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => { stdout += d.toString(); });
  child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
  child.stdin.on('error', () => {}); // EPIPE once ctscope stopped at the damage
  const exit = new Promise<number>((r) => child.once('exit', (code) => r(code ?? -1)));
  return (async () => {
    for (let p = 0; p < bytes.length; p += 16) {
      child.stdin.write(bytes.subarray(p, p + 16));
      await new Promise((r) => setTimeout(r, 1));
    }
    child.stdin.end();
    const status = await exit;
    return { status, stdout, stderr: stderr.split('\n').filter((l) => l !== '') };
  })();
}

describe('damaged captures through the CLI', { concurrency: 2 }, () => {
  for (const c of DAMAGED) {
    for (const mode of MODES) {
      if (mode.all || FEW.has(c.name)) test(`${mode.name}: ${c.name}`, () => check(c, mode));
    }
  }
  for (const name of ['pcap record length 0x7fffffff', 'pcapng trailing length not the leading one', 'pcapng cut in a block']) {
    test(`replay - in small pieces: ${name}`, async () => {
      const c = DAMAGED.find((d) => d.name === name)!;
      const whole = await ctscope(['replay', '-', '--packets', '--stats'], c.bytes);
      assert.deepEqual(await trickle(c.bytes), whole, 'the same as the capture in one piece');
      assert.equal(whole.status, c.status);
    });
  }
  test('the few cases run through every command exist', () => {
    assert.deepEqual(DAMAGED.filter((c) => FEW.has(c.name)).length, FEW.size);
  });
});
