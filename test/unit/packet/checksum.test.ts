/**
 * The Internet checksum sums (RFC 1071): the fast column sum agrees with the
 * byte-pair definition at every offset and length, and both give RFC 1071's
 * worked example.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fold16, sum16, sumWords } from '../../../src/packet/checksum.js';

test('RFC 1071 section 3 example: 00 01 f2 03 f4 f5 f6 f7 folds to ddf2', () => {
  const b = Uint8Array.from([0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7]);
  assert.equal(fold16(sum16(b, 0, 8, 0)), 0xddf2);
  assert.equal(fold16(sumWords(new DataView(b.buffer), 0, 8, 0)), 0xddf2);
});

test('sumWords folds like sum16 for every length 0..80 at every offset 0..7, and random spans', () => {
  let s = 12345;
  const rnd = (): number => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return s >>> 0;
  };
  const buf = new Uint8Array(70000);
  for (let i = 0; i < buf.length; i++) buf[i] = rnd() & 0xff;
  buf.fill(0xff, 1000, 3000); // long runs of ones: the column sums carry most
  const dv = new DataView(buf.buffer);
  const same = (off: number, len: number, init: number): void => {
    assert.equal(fold16(sumWords(dv, off, len, init)), fold16(sum16(buf, off, len, init)), `off ${off} len ${len}`);
  };
  for (let off = 0; off < 8; off++) for (let len = 0; len <= 80; len++) same(off, len, off * 977);
  for (let k = 0; k < 2000; k++) same(rnd() % 4000, rnd() % 2000, rnd() & 0xffff);
  same(0, 65535, 0);
  same(3, 65536, 0xffff);
});

test('sumWords over views that start anywhere in their buffer, and after switching buffers', () => {
  const whole = new Uint8Array(5000);
  for (let i = 0; i < whole.length; i++) whole[i] = (i * 2654435761) >>> 24;
  const other = new Uint8Array(300).fill(0xa5);
  for (let shift = 0; shift < 8; shift++) {
    const view = whole.subarray(shift, shift + 4000);
    const dv = new DataView(view.buffer, view.byteOffset, view.byteLength);
    for (const [off, len] of [[0, 0], [0, 3], [1, 4], [2, 17], [3, 64], [5, 1499], [0, 4000], [7, 3993]] as const) {
      assert.equal(fold16(sumWords(dv, off, len, 0)), fold16(sum16(view, off, len, 0)), `shift ${shift} off ${off} len ${len}`);
      // Another buffer in between changes nothing.
      assert.equal(fold16(sumWords(new DataView(other.buffer), 1, 299, 0)), fold16(sum16(other, 1, 299, 0)));
    }
  }
});
