/**
 * Streaming from stdin runs in constant memory: a 1.5 M-packet capture piped
 * through `ctscope replay -` peaks at about the RSS of a 5× smaller one (the
 * table stays small: a few thousand long flows), and the verdict counts match
 * replaying the file directly.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WORKLOADS, generate } from '../../../bench/gen.js';

const bin = join(import.meta.dirname, '..', '..', '..', '..', 'bin', 'ctscope.js');
const timeBin = '/usr/bin/time';

function pipeRss(file: string): { rssKb: number; stderr: string; stdout: string } {
  const r = spawnSync('sh', ['-c', `cat "$1" | ${timeBin} -f 'rss=%M' "$2" "$3" replay - --table=none --stats`, 'sh', file, process.execPath, bin], {
    encoding: 'utf8', maxBuffer: 1 << 24,
  });
  assert.equal(r.status, 0, r.stderr);
  const m = /rss=(\d+)/.exec(r.stderr);
  assert.ok(m, r.stderr);
  return { rssKb: Number(m[1]), stderr: r.stderr, stdout: r.stdout };
}

test('replay - streams a 1.5 M-packet capture in bounded memory', { skip: !existsSync(timeBin) && 'no /usr/bin/time', timeout: 60_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'ctscope-stdin-'));
  try {
    const w = { ...WORKLOADS.long!, payloadMax: 48, concurrency: 2000, dataMin: 200, dataSpan: 400 };
    const big = join(dir, 'big.pcap');
    const small = join(dir, 'small.pcap');
    writeFileSync(big, generate(w, 1_500_000).bytes);
    writeFileSync(small, generate(w, 300_000).bytes);
    const s = pipeRss(small);
    const b = pipeRss(big);
    assert.match(b.stderr, /ctscope: 1500000 packets/);
    assert.ok(b.rssKb < 250 * 1024, `peak RSS ${b.rssKb} KiB`);
    assert.ok(b.rssKb - s.rssKb < 48 * 1024, `peak RSS grew from ${s.rssKb} KiB to ${b.rssKb} KiB for 5× the packets`);
    // Same counters as reading the file directly.
    const direct = spawnSync(process.execPath, [bin, 'replay', big, '--table=none', '--stats', '-q'], { encoding: 'utf8' });
    assert.equal(b.stdout, direct.stdout);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
