/**
 * The scenario corpus is generated (tools/scenarios/generate.ts) and its goldens
 * were recorded from the kernel for exactly those bytes: generating it again
 * must give the committed captures, manifest and example byte for byte, or a
 * change to the generator would silently leave the goldens describing other
 * packets (or the generator broken, unnoticed).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { spawnSync } from 'node:child_process';

const root = join(import.meta.dirname, '..', '..', '..');
const committed = join(root, 'test', 'conformance', 'scenarios');

test('generating the scenario corpus again gives the committed files byte for byte', () => {
  const out = mkdtempSync(join(tmpdir(), 'ctscope-scenarios-'));
  const examples = mkdtempSync(join(tmpdir(), 'ctscope-examples-'));
  try {
    const r = spawnSync(process.execPath, [join(root, 'dist', 'tools', 'scenarios', 'generate.js'), '--out', out, '--examples', examples], { encoding: 'utf8' });
    assert.equal(r.status, 0, `generator failed: ${r.stderr.slice(0, 500)}`);
    const want = readdirSync(committed).filter((f) => f.endsWith('.pcap') || f === 'manifest.json').sort();
    assert.deepEqual(readdirSync(out).sort(), want);
    for (const f of want) assert.ok(readFileSync(join(out, f)).equals(readFileSync(join(committed, f))), `${f} differs from the committed file`);
    for (const f of readdirSync(examples)) {
      assert.ok(readFileSync(join(examples, f)).equals(readFileSync(join(root, 'examples', f))), `examples/${f} differs`);
    }
  } finally {
    rmSync(out, { recursive: true, force: true });
    rmSync(examples, { recursive: true, force: true });
  }
});
