/** CRC32c (Castagnoli), against RFC 3720's check value and the checksum-field rule. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { crc32c } from '../../../src/packet/crc32c.js';

test('crc32c("123456789") is the standard check value 0xe3069283', () => {
  assert.equal(crc32c(new TextEncoder().encode('123456789'), 0, 9), 0xe3069283);
});

test('the 4 bytes of the checksum field count as zero, wherever they are', () => {
  const a = new TextEncoder().encode('abcdefghijkl');
  const b = a.slice();
  b.set([0, 0, 0, 0], 4);
  assert.equal(crc32c(a, 0, a.length, 4), crc32c(b, 0, b.length));
  assert.notEqual(crc32c(a, 0, a.length), crc32c(b, 0, b.length));
});
