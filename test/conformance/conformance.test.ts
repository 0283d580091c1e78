/**
 * Conformance: every scenario capture replayed through ctscope must give what
 * the live 6.18 kernel recorded (test/conformance/golden/*.json).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { compareWithGolden, expectedToDiffer, loadJson, type Golden, type ScenarioInfo } from './compare.js';

const root = join(import.meta.dirname, '..', '..', '..', 'test', 'conformance');
const scenarios = loadJson<ScenarioInfo[]>(join(root, 'scenarios', 'manifest.json'));

for (const s of scenarios) {
  const goldenPath = join(root, 'golden', `${s.name}.json`);
  const pcapPath = join(root, 'scenarios', `${s.name}.pcap`);
  const known = expectedToDiffer(s);
  test(`${s.name}: ${s.description}`, () => {
    assert.ok(existsSync(goldenPath), `no golden file for ${s.name}: run npm run conformance:record`);
    const golden = loadJson<Golden>(goldenPath);
    const diffs = compareWithGolden(golden, new Uint8Array(readFileSync(pcapPath)), s.helpers ?? golden.helpers ?? []);
    if (known !== null) {
      // Known to differ: keep the list honest by failing once it agrees.
      assert.ok(diffs.length > 0, `${s.name} now agrees with the kernel: drop its expected-to-differ mark (${known})`);
      return;
    }
    assert.deepEqual(diffs, [], `${s.name} differs from the kernel:\n  ${diffs.join('\n  ')}`);
  });
}
