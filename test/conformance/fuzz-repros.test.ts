/**
 * Differences the live-kernel fuzzer found (npm run conformance:fuzz), reduced to
 * a few packets, with the kernel's recording: each must now agree with the kernel.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { compareWithGolden, type Golden } from './compare.js';

const dir = join(import.meta.dirname, '..', '..', '..', 'test', 'conformance', 'fuzz-repros');
const cases = readdirSync(dir).filter((f) => f.endsWith('.json')).sort();

/**
 * Reproducers ctscope still disagrees with, and why (none at the moment). The RST-after-an-ignored-
 * SYN class (fuzz_20261124_2004, _7895, fuzz_1001_2664, fuzz_20261125_*) was kept here until
 * ctscope learnt the stable fix that makes the "RST answering a SYN we let through" shortcut need
 * the SYN from the other direction.
 */
const KNOWN: Record<string, string> = {};

for (const f of cases) {
  const repro = JSON.parse(readFileSync(join(dir, f), 'utf8')) as { name: string; summary: string; golden: Golden };
  test(`${repro.name} (${repro.summary.slice(0, 60)}…)`, () => {
    const diffs = compareWithGolden(repro.golden, new Uint8Array(readFileSync(join(dir, `${repro.name}.pcap`))));
    const known = KNOWN[repro.name];
    if (known !== undefined) {
      assert.ok(diffs.length > 0, `${repro.name} now agrees with the kernel: drop it from KNOWN (${known})`);
      return;
    }
    assert.deepEqual(diffs, [], diffs.join('\n'));
  });
}
