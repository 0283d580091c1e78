/**
 * Reading comfort: --json gives JSON lines for everything asked for, and on a
 * terminal (no --table) the table is the aligned one, coloured unless NO_COLOR.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const root = join(import.meta.dirname, '..', '..', '..', '..');
const bin = join(root, 'bin', 'ctscope.js');
const scen = join(root, 'test', 'conformance', 'scenarios');

test('--json: every line of --table, --packets, --events and --stats is JSON', () => {
  const r = spawnSync(process.execPath, [bin, 'replay', join(scen, 'tcp_bad_checksum.pcap'), '--json', '--packets', '--events', '--stats', '-q'], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
  const golden = JSON.parse(readFileSync(join(root, 'test', 'conformance', 'golden', 'tcp_bad_checksum.json'), 'utf8')) as {
    packets: Array<{ ctstate: string }>; table: string[]; stats: { invalid: number };
  };
  assert.equal(lines.filter((l) => 'frame' in l).length, golden.packets.length, 'one object per frame');
  assert.equal(lines.filter((l) => l['v'] === 1).length, golden.table.length, 'one object per entry');
  assert.ok(lines.some((l) => l['type'] === 'NEW'), 'events');
  const stats = lines.find((l) => 'stats' in l) as { stats: { invalid: number } } | undefined;
  assert.equal(stats?.stats.invalid, golden.stats.invalid);
});

const script = ['/usr/bin/script', '/bin/script'].find((p) => existsSync(p));
test('on a terminal the table is aligned; NO_COLOR drops the colour', { skip: script === undefined ? 'script(1) is missing: no pseudo-terminal to test with' : false }, () => {
  const cmd = `${process.execPath} ${bin} replay ${join(root, 'examples', 'tutorial-telnet.pcap')} -q`;
  const coloured = spawnSync(script!, ['-qc', cmd, '/dev/null'], { encoding: 'utf8', env: { ...process.env, NO_COLOR: '' } });
  assert.match(coloured.stdout, /PROTO +SOURCE +DESTINATION +STATE/);
  assert.match(coloured.stdout, /\x1b\[/, 'coloured');
  assert.match(coloured.stdout, /192\.168\.1\.5:1031 +192\.168\.1\.35:23 +.*TIME_WAIT/);
  const plain = spawnSync(script!, ['-qc', cmd, '/dev/null'], { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
  assert.match(plain.stdout, /PROTO +SOURCE/);
  assert.doesNotMatch(plain.stdout, /\x1b\[/, 'NO_COLOR');
  // Piped, the default stays the /proc line.
  const piped = spawnSync(process.execPath, [bin, 'replay', join(root, 'examples', 'tutorial-telnet.pcap'), '-q'], { encoding: 'utf8' });
  assert.match(piped.stdout, /^ipv4 +2 tcp +6 \d+ TIME_WAIT /);
});
