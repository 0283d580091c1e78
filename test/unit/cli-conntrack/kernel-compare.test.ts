/**
 * `ctscope conntrack --from merged.pcap ARGS` against what the real conntrack(8)
 * 1.4.7 printed for the same capture replayed into a 6.18 kernel
 * (test/fixtures/conntrack/kernel.json, recorded by record-kernel.py). Entry order
 * aside (the kernel lists in hash order), timeouts within 1 s, id values ignored
 * (the kernel's are random). When run as root, the recording is also redone live.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { conntrackCommand } from '../../../src/cli/conntrack/index.js';
import { Output } from '../../../src/cli/output.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', '..');
const FIX = join(ROOT, 'test', 'fixtures', 'conntrack');
const CAPTURE = join(FIX, 'merged.pcap');

interface Rec { args: string[]; stdout: string; stderr: string; rc: number; elapsed?: number }
interface Recording { kernel: string; commands: Rec[]; events: Rec[] }

export class CaptureOutput extends Output {
  out = '';
  err = '';
  override line(s: string): void { this.out += s + '\n'; }
  override stdout(s: string): void { this.out += s; }
  override stderr(s: string): void { this.err += s; }
  override flush(): void {}
}

export async function ctscope(args: readonly string[]): Promise<{ stdout: string; stderr: string; rc: number }> {
  const o = new CaptureOutput();
  const rc = await conntrackCommand(args, o);
  return { stdout: o.out, stderr: o.err, rc };
}

/** Timeout fields of a line (text, xml, save) replaced by a marker; returns [key, timeouts]. */
function split(line: string): [string, number[]] {
  const t: number[] = [];
  const grab = (_m: string, a: string, n: string, b: string): string => {
    t.push(Number(n));
    return `${a}T${b}`;
  };
  let key = line
    .replace(/ id=\d+$/, ' id=ID')
    .replace(/<id>\d+<\/id>/, '<id>ID</id>');
  key = key
    .replace(/^((?:\s*\[\w+\] )?(?:\S+\s+\d+ )?\S+\s+\d+ )(\d+)( )/, grab)
    .replace(/(<timeout>)(\d+)(<\/timeout>)/, grab)
    .replace(/^(-A -t )(\d+)( )/, grab);
  return [key, t];
}

function compareLines(kernel: string, ours: string, what: string, ordered: boolean, elapsed = 0): void {
  const k = kernel.split('\n').filter((l) => l !== '').map(split);
  const c = ours.split('\n').filter((l) => l !== '').map(split);
  if (!ordered) {
    k.sort((a, b) => a[0].localeCompare(b[0]));
    c.sort((a, b) => a[0].localeCompare(b[0]));
  }
  assert.deepEqual(c.map((x) => x[0]), k.map((x) => x[0]), `${what}: lines differ`);
  for (let i = 0; i < k.length; i++) {
    const kt = k[i]![1];
    const ct = c[i]![1];
    assert.equal(ct.length, kt.length, what);
    for (let j = 0; j < kt.length; j++) {
      // The kernel's clock ran on while conntrack was started: its timeouts may be lower by that much.
      const d = ct[j]! - kt[j]!;
      assert.ok(d >= -1 && d <= 1 + Math.ceil(elapsed), `${what}: timeout ${ct[j]} vs kernel ${kt[j]} in ${k[i]![0]}`);
    }
  }
}

function compareRecording(rec: Recording, label: string): Promise<void>[] {
  const jobs: Promise<void>[] = [];
  for (const r of rec.commands) {
    jobs.push((async () => {
      const ours = await ctscope(['--from', CAPTURE, ...r.args]);
      const what = `${label} conntrack ${r.args.join(' ')}`;
      assert.equal(ours.rc, r.rc, `${what}: exit code (stderr: ${ours.stderr})`);
      assert.equal(ours.stderr, r.stderr, `${what}: stderr`);
      compareLines(r.stdout, ours.stdout, what, false, r.elapsed ?? 0);
    })());
  }
  for (const r of rec.events) {
    jobs.push((async () => {
      const ours = await ctscope(['--from', CAPTURE, ...r.args]);
      const what = `${label} conntrack ${r.args.join(' ')}`;
      assert.equal(ours.rc, 0, what);
      assert.equal(ours.stderr, r.stderr, `${what}: stderr`);
      compareLines(r.stdout, ours.stdout, what, true);
    })());
  }
  return jobs;
}

const recorded = JSON.parse(readFileSync(join(FIX, 'kernel.json'), 'utf8')) as Recording;

test(`conntrack(8) outputs recorded on ${recorded.kernel}: ctscope conntrack prints the same`, async (t) => {
  for (const r of [...recorded.commands, ...recorded.events]) {
    await t.test(`conntrack ${r.args.join(' ')}`, async () => {
      const rec: Recording = { ...recorded, commands: recorded.commands.includes(r) ? [r] : [], events: recorded.events.includes(r) ? [r] : [] };
      await Promise.all(compareRecording(rec, 'recorded'));
    });
  }
});

test('live: the running kernel and conntrack(8) agree with ctscope conntrack (root only)', async (t) => {
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  const hasTools = spawnSync('sh', ['-c', 'command -v conntrack && command -v ip && test -c /dev/net/tun'], { stdio: 'ignore' }).status === 0;
  if (process.env.CTSCOPE_NO_KERNEL) {
    t.skip('CTSCOPE_NO_KERNEL is set: the recorded fixture above is compared instead');
    return;
  }
  if (!isRoot || !hasTools) {
    t.skip('needs root, ip netns, conntrack(8) and /dev/net/tun: the recorded fixture above is compared instead');
    return;
  }
  const dir = mkdtempSync(join(tmpdir(), 'ctscope-ctk-'));
  try {
    execFileSync('python3', [join(FIX, 'record-kernel.py'), '--out', dir], { stdio: ['ignore', 'ignore', 'inherit'] });
    const live = JSON.parse(readFileSync(join(dir, 'kernel.json'), 'utf8')) as Recording;
    await Promise.all(compareRecording(live, 'live'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
