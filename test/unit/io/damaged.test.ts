/**
 * Damaged captures (damaged-cases.ts) through the reader, pushed whole and in
 * small chunks as a stream arrives: the same error at the same offset, the same
 * warnings, and exactly the frames of the intact capture of the readable packets.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DAMAGED } from './damaged-cases.js';
import { readAll } from './helpers.js';
import type { FrameInfo } from './helpers.js';

/** What must survive the damage; the offset in the file and origLen (one case damages it) may differ. */
const packet = (f: FrameInfo): string => `${f.index} ${f.linkType} ${f.ifIndex} ${f.tsSec}.${f.tsNsec} ${f.caplen} ${f.data}`;

for (const c of DAMAGED) {
  test(`damaged capture: ${c.name}`, () => {
    const want = c.ref === null ? [] : readAll(c.ref).frames.map(packet);
    for (const chunks of [[], [1], [3], [7, 64], [4096]]) {
      const r = readAll(c.bytes, chunks);
      const how = `chunks ${JSON.stringify(chunks)}`;
      assert.deepEqual(r.error === null ? null : { offset: r.error.offset, message: r.error.message }, c.error, how);
      assert.deepEqual(r.warnings, c.warnings, how);
      assert.equal(r.truncatedAt, c.truncatedAt, how);
      assert.deepEqual(r.frames.map(packet), want, how);
    }
  });
}

test('damaged captures: the cases read some packets before the damage', () => {
  // Guards the table itself: a damage at the wrong place would leave nothing to compare.
  for (const c of DAMAGED) {
    if (c.ref !== null && c.ref.length > 100) assert.ok(readAll(c.ref).frames.length >= 4, c.name);
  }
});
