/**
 * The "table full" block of `ctscope replay --stats` / `--summary` / `--json`
 * on generated SYN floods against a small nf_conntrack_max. Expected values
 * follow from the generator's layout and the kernel's rules:
 *   - the capture starts with 5 packets per legit connection (L of them, 10 µs
 *     apart, like every packet), then flood SYNs, with 2 legit packets before
 *     every 1000th flood packet;
 *   - each flood SYN makes an entry until nf_conntrack_max (M) is reached, so the
 *     first packet to find the table full is flood SYN number M - L + 1, frame
 *     5L + M - L + 1; in a flood shorter than the gc's first run (1 s) every
 *     later SYN finds it full too, the last frame included;
 *   - early drop never evicts an ASSURED (legit, port 443) entry;
 *   - in a longer flood the gc worker's first run (1 s after the first packet)
 *     finds the table full and in early-drop mode and kills flood entries until
 *     the count is below M / 100 * 95.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { floodBytes } from '../../../tools/floods/gen.js';

const root = join(import.meta.dirname, '..', '..', '..', '..');
const bin = join(root, 'bin', 'ctscope.js');

function replay(input: Uint8Array, args: string[]): { stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [bin, 'replay', '-', '--table=none', ...args], { input, encoding: 'utf8', maxBuffer: 64 << 20 });
  if (r.error) throw r.error;
  assert.equal(r.status, 0, r.stderr);
  return { stdout: r.stdout, stderr: r.stderr };
}

const L = 5;
const M = 300;
const N = 20_000;

test('replay --stats: when the table was full, the drops, and the evicted connections (first 20)', () => {
  const out = replay(floodBytes({ kind: 'syn', packets: N, legit: L, seed: 21 }), ['--sysctl', `net.netfilter.nf_conntrack_max=${M}`, '--stats']);
  const lines = out.stdout.trimEnd().split('\n');
  const drop = Number(/ drop=(\d+)/.exec(lines[0]!)![1]);
  const early = Number(/ early_drop=(\d+)/.exec(lines[0]!)![1]);
  const firstFrame = 5 * L + (M - L) + 1;
  const lastFrame = 5 * L + N + 2 * Math.floor(N / 1000);
  const stamp = (frame: number): string => `1767225600.${String((frame - 1) * 10).padStart(6, '0')}`;
  assert.equal(lines[1], `table full: first at ${stamp(firstFrame)} (frame ${firstFrame}), last at ${stamp(lastFrame)} (frame ${lastFrame}); ` +
    `${drop} packets dropped (10 logged), ${early} connections evicted by early drop (0 by the gc worker)`);
  // Every flood SYN from the first full one on evicted (at least one entry) or was dropped.
  assert.ok(drop + early >= N - (M - L), `${drop} + ${early}`);
  assert.ok(early > 20, `early_drop ${early}: enough for the list to be cut`);
  const listed = lines.slice(2, 22);
  for (const l of listed) assert.match(l, /^ {2}\[1767225600\.\d{6}\] early_drop tcp {6}6 \d+ SYN_SENT src=10\.\S+ dst=192\.0\.2\.1 sport=\d+ dport=80 \[UNREPLIED\] /);
  assert.equal(lines[22], `  … and ${early - 20} more`);
  assert.equal(lines.length, 23);
});

test('replay --json --stats: the whole list; --summary: the block on stderr', () => {
  const input = floodBytes({ kind: 'syn', packets: N, legit: L, seed: 21 });
  const out = replay(input, ['--sysctl', `net.netfilter.nf_conntrack_max=${M}`, '--stats', '--json', '--summary']);
  const [stats, full] = out.stdout.trimEnd().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
  const s = stats!['stats'] as Record<string, number>;
  const t = full!['tableFull'] as {
    firstFrame: number; dropped: number; logged: number; evicted: number; evictedByGc: number; notKept: number;
    evictions: Array<{ ts: number; frame: number; by: string; entry: { original: { dport: number }; status: string[] } }>;
  };
  assert.equal(t.firstFrame, 5 * L + (M - L) + 1);
  assert.equal(t.dropped, s['drop']);
  assert.equal(t.logged, 10);
  assert.equal(t.evicted, s['early_drop']);
  assert.equal(t.evictions.length, t.evicted);
  assert.equal(t.notKept, 0);
  for (const e of t.evictions) {
    assert.equal(e.by, 'early_drop');
    assert.equal(e.entry.original.dport, 80, 'a legit (ASSURED) connection was evicted');
    assert.ok(e.frame >= t.firstFrame);
  }
  assert.match(out.stderr, /^table full: first at 1767225600\.\d{6} \(frame \d+\), last at .* connections evicted by early drop \(0 by the gc worker\)$/m);
});

test('replay --stats: a flood longer than a second: the gc worker\'s first run evicts down to the 95 % mark', () => {
  // 10 000 SYN/s for 1.5 s; M = 300, mark 300 / 100 * 95 = 285: the run at 1 s kills at counts 300 ... 285, i.e. 16.
  const out = replay(floodBytes({ kind: 'syn', packets: 15_000, pps: 10_000, legit: L, seed: 4 }),
    ['--sysctl', `net.netfilter.nf_conntrack_max=${M}`, '--stats']);
  const head = out.stdout.split('\n')[1]!;
  assert.match(head, / connections evicted by early drop \(16 by the gc worker\)$/);
  const early = Number(/ early_drop=(\d+)/.exec(out.stdout)![1]);
  assert.match(head, new RegExp(` ${early + 16} connections evicted`));
});

test('replay --packets: the first 10 table-full drops carry the kernel\'s message, the rest show [dropped]', () => {
  const out = replay(floodBytes({ kind: 'syn', packets: 1000, legit: L, seed: 21 }), ['--sysctl', `net.netfilter.nf_conntrack_max=${M}`, '--packets']);
  const lines = out.stdout.trimEnd().split('\n');
  const logged = lines.filter((l) => l.endsWith('  [nf_conntrack: nf_conntrack: table full, dropping packet]'));
  const silent = lines.filter((l) => l.endsWith('  [dropped]'));
  assert.equal(logged.length, 10);
  // 1000 flood SYNs, the first 295 fill the table: the other 705 evicted or were dropped.
  assert.ok(silent.length > 600 && silent.length + logged.length <= 705, `${silent.length} silent drops`);
  for (const l of [...logged, ...silent]) assert.match(l, /^ *\d+ +\d+\.\d{6} new +- +- +tcp 10\.[\d.]+:\d+ > 192\.0\.2\.1:80 /);
  // Frame numbers: the first logged drop comes no earlier than the first packet to find the table full.
  assert.ok(Number(logged[0]!.trim().split(' ')[0]) >= 5 * L + (M - L) + 1);
});
