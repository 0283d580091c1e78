import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TsConverter } from '../../../src/io/pcapng.js';
import { createFrame } from '../../../src/io/frame.js';
import { mulberry32 as rng } from '../../../tools/lib/prng.js';


function reference(base: 10 | 2, exp: number, ts: bigint): [bigint, bigint] {
  const u = base === 10 ? 10n ** BigInt(exp) : 1n << BigInt(exp);
  return [ts / u, ((ts % u) * 1000000000n) / u];
}

test('TsConverter matches BigInt reference for every resolution (exact ns, floor)', () => {
  const rand = rng(12345);
  const f = createFrame();
  const limits: Array<[10 | 2, number]> = [];
  for (let e = 0; e <= 19; e++) limits.push([10, e]);
  for (let e = 0; e <= 63; e++) limits.push([2, e]);
  let checked = 0;
  for (const [base, exp] of limits) {
    const conv = new TsConverter(base, exp, 0);
    const samples: bigint[] = [0n, 1n, 0xffffffffn, 0x100000000n, 0xffffffffffffffffn, 0x8000000000000000n];
    for (let i = 0; i < 400; i++) {
      const hi = BigInt(Math.floor(rand() * 4294967296));
      const lo = BigInt(Math.floor(rand() * 4294967296));
      const shift = BigInt(Math.floor(rand() * 33));
      samples.push(((hi << 32n) | lo) >> shift);
    }
    // Values around multiples of the unit.
    const u = base === 10 ? 10n ** BigInt(exp) : 1n << BigInt(exp);
    for (const k of [1n, 2n, 1700000000n, 4294967295n]) {
      for (const d of [-1n, 0n, 1n]) {
        const v = k * u + d;
        if (v >= 0n && v < 1n << 64n) samples.push(v);
      }
    }
    for (const ts of samples) {
      const [sec, nsec] = reference(base, exp, ts);
      conv.convert(Number(ts >> 32n), Number(ts & 0xffffffffn), f);
      assert.equal(f.tsNsec, Number(nsec), `nsec base ${base} exp ${exp} ts ${ts}`);
      if (sec <= BigInt(Number.MAX_SAFE_INTEGER)) {
        assert.equal(f.tsSec, Number(sec), `sec base ${base} exp ${exp} ts ${ts}`);
      } else {
        assert.ok(Math.abs(f.tsSec - Number(sec)) / Number(sec) < 1e-12);
      }
      assert.ok(Number.isInteger(f.tsNsec) && f.tsNsec >= 0 && f.tsNsec < 1e9);
      checked++;
    }
  }
  assert.ok(checked > 30000);
});

test('TsConverter adds if_tsoffset', () => {
  const f = createFrame();
  new TsConverter(10, 9, -5).convert(0, 3000000000, f);
  assert.equal(f.tsSec, -2);
  assert.equal(f.tsNsec, 0);
});
