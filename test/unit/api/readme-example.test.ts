/** The README's library example (examples/library.mjs) runs and shows the kernel's answers. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

const root = join(import.meta.dirname, '..', '..', '..', '..');

test('examples/library.mjs runs as documented', () => {
  const r = spawnSync(process.execPath, [join(root, 'examples', 'library.mjs')], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const lines = r.stdout.split('\n');
  // Frame 1 is the tutorial's SYN: NEW in the original direction (kernel: tutorial_telnet golden).
  assert.ok(lines.includes('1 new original []'), r.stdout);
  assert.ok(lines.includes('2 established reply []'), r.stdout);
  // After the FIN close the entry sits in TIME_WAIT, and 600 s later TIME_WAIT (120 s) has expired.
  assert.ok(lines.some((l) => /^ipv4 +2 tcp +6 \d+ TIME_WAIT src=192\.168\.1\.5 /.test(l)), r.stdout);
  assert.ok(lines.some((l) => l.startsWith('DESTROY TIME_WAIT')), r.stdout);
  assert.ok(lines.some((l) => l.startsWith('0 {')), r.stdout);
});
