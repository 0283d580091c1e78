/**
 * `npm run conformance:live`: records the whole corpus from the kernel running
 * on this machine (tools/conformance/record.py, needs root) into a temporary
 * directory and compares ctscope with it, scenario by scenario. Exits 0 when
 * everything agrees (or differs only where a scenario is marked expected to
 * differ), 1 on an unexpected difference, and 0 with a "skipping" line when the
 * machine can't record (not root, no namespaces, no nft/conntrack).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compareWithGolden, expectedToDiffer, loadJson, type Golden, type ScenarioInfo } from '../../test/conformance/compare.js';

const root = join(import.meta.dirname, '..', '..', '..');
const scenarioDir = join(root, 'test', 'conformance', 'scenarios');
const names = process.argv.slice(2);
// `node --test dist/test/` runs this file too (every .js under a test/ folder): honour the switch that keeps npm test off the kernel.
if (process.env['CTSCOPE_NO_KERNEL']) {
  console.log('conformance:live: skipping: CTSCOPE_NO_KERNEL is set');
  process.exit(0);
}
const out = mkdtempSync(join(tmpdir(), 'ctscope-live-'));
try {
  const rec = spawnSync('python3', [join(root, 'tools', 'conformance', 'record.py'), '--out', out, ...names], { stdio: ['ignore', 'inherit', 'inherit'] });
  if (rec.status === 77) {
    console.log('conformance:live: skipping: recording needs root, network namespaces, nft, conntrack and /dev/net/tun');
    process.exit(0);
  }
  if (rec.status !== 0) {
    console.error(`conformance:live: the recorder failed (exit ${rec.status})`);
    process.exit(1);
  }
  const scenarios = loadJson<ScenarioInfo[]>(join(scenarioDir, 'manifest.json')).filter((s) => names.length === 0 || names.includes(s.name));
  let agree = 0;
  let known = 0;
  let failed = 0;
  for (const s of scenarios) {
    const path = join(out, `${s.name}.json`);
    if (!existsSync(path)) {
      console.log(`MISSING  ${s.name}: the recorder wrote no result`);
      failed++;
      continue;
    }
    const diffs = compareWithGolden(loadJson<Golden>(path), new Uint8Array(readFileSync(join(scenarioDir, `${s.name}.pcap`))), s.helpers ?? []);
    const why = expectedToDiffer(s);
    if (diffs.length === 0) {
      agree++;
      console.log(`agree    ${s.name}${why ? ' (marked expected to differ: drop the mark)' : ''}`);
      if (why) failed++;
    } else if (why) {
      known++;
      console.log(`known    ${s.name}: ${why}`);
    } else {
      failed++;
      console.log(`DIFFER   ${s.name}\n  ${diffs.join('\n  ')}`);
    }
  }
  console.log(`conformance:live: ${scenarios.length} scenarios against the live kernel: ${agree} agree, ${known} differ as expected, ${failed} unexpected`);
  console.log(`${agree + known} passed, ${failed} failed`);
  process.exit(failed === 0 ? 0 : 1);
} finally {
  rmSync(out, { recursive: true, force: true });
}
