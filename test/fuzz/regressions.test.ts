/**
 * Replays every crash or broken invariant the robustness fuzzer (`npm run
 * fuzz`, tools/robustness/fuzz.ts) ever saved: test/fuzz/regressions/NAME.pcap
 * (LINKTYPE_RAW packets) with NAME.json (the tracker's options and the original
 * failure). Each must now replay without an exception, with the table
 * consistent after every packet.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { Conntrack, type ConntrackOptions } from '../../src/conntrack.js';
import { readCapture } from '../../src/io/capture-reader.js';
import { checkInvariants, REGRESSION_DIR } from '../../tools/robustness/fuzz.js';

const files = existsSync(REGRESSION_DIR) ? readdirSync(REGRESSION_DIR).filter((f) => f.endsWith('.pcap')).sort() : [];

for (const file of files) {
  const name = file.slice(0, -5);
  test(`fuzz regression ${name}`, () => {
    const meta = JSON.parse(readFileSync(join(REGRESSION_DIR, `${name}.json`), 'utf8')) as { options: ConntrackOptions; message: string };
    const ct = new Conntrack(meta.options);
    ct.on('event', () => {});
    let n = 0;
    readCapture(new Uint8Array(readFileSync(join(REGRESSION_DIR, file))), (f) => {
      n++;
      const r = ct.processFrame(f);
      r.reasons();
      const bad = checkInvariants(ct);
      assert.equal(bad, null, `${name}, packet ${n} (was: ${meta.message})`);
    });
    ct.entries();
    assert.ok(n > 0);
  });
}
