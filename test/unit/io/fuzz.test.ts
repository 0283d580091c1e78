import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CaptureReader } from '../../../src/io/capture-reader.js';
import { CaptureError } from '../../../src/io/errors.js';
import { createFrame } from '../../../src/io/frame.js';
import { createLinkResult, decodeLink } from '../../../src/packet/link.js';
import { buildPcap, buildPcapng, ethernet, ipv4Packet, ipv6Packet } from './build-capture.js';
import { mulberry32 as rng } from '../../../tools/lib/prng.js';


const seeds: Uint8Array[] = [
  buildPcap({ records: [{ sec: 1, frac: 2, data: ethernet(0x0800, ipv4Packet(20)) }, { sec: 3, frac: 4, data: ethernet(0x86dd, ipv6Packet(5), [[0x8100, 1]]) }] }),
  buildPcap({ le: false, nsec: true, linkType: 113, records: [{ sec: 1, frac: 2, data: new Uint8Array(40) }] }),
  buildPcap({ linkType: 101, linkTypeField: (101 | 0x04000000 | (2 << 28)) >>> 0, records: [{ sec: 1, frac: 2, data: ipv4Packet(4) }] }),
  buildPcapng([
    {
      blocks: [
        { kind: 'idb', linkType: 1, tsresol: 9, snaplen: 100 },
        { kind: 'idb', linkType: 0, tsresol: 0x8a, tsoffset: 7n },
        { kind: 'epb', ifId: 0, ts: 123456789n, data: ethernet(0x0800, ipv4Packet(10)), comment: 'x' },
        { kind: 'epb', ifId: 1, ts: 99n, data: Uint8Array.of(2, 0, 0, 0, 0x45, 0) },
        { kind: 'raw', type: 5, body: new Uint8Array(12) },
        { kind: 'spb', data: new Uint8Array(30) },
        { kind: 'pb', ifId: 1, ts: 5n, data: new Uint8Array(3) },
      ],
    },
    { le: false, blocks: [{ kind: 'idb', linkType: 276, fcslenBits: 32 }, { kind: 'epb', ifId: 0, ts: 1n, data: new Uint8Array(24) }] },
  ]),
];

const MAGICS = [0xa1b2c3d4, 0xd4c3b2a1, 0xa1b23c4d, 0x4d3cb2a1, 0x0a0d0d0a];

function mutate(rand: () => number, src: Uint8Array): Uint8Array {
  const r = rand();
  if (r < 0.1) {
    // random bytes behind a valid magic
    const n = Math.floor(rand() * 300);
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i++) out[i] = Math.floor(rand() * 256);
    if (n >= 4 && rand() < 0.8) new DataView(out.buffer).setUint32(0, MAGICS[Math.floor(rand() * MAGICS.length)]!, false);
    if (n >= 12 && rand() < 0.5) new DataView(out.buffer).setUint32(8, rand() < 0.5 ? 0x1a2b3c4d : 0x4d3c2b1a, false);
    return out;
  }
  let out = src.slice();
  const nmut = 1 + Math.floor(rand() * 6);
  for (let m = 0; m < nmut; m++) {
    const kind = rand();
    if (out.length === 0) break;
    const at = Math.floor(rand() * out.length);
    if (kind < 0.45) {
      out[at] = Math.floor(rand() * 256);
    } else if (kind < 0.65) {
      // interesting 32-bit values (lengths)
      const vals = [0, 1, 7, 12, 0xffffffff, 0x7fffffff, 262144, 262145, 0x01000000, 28, 32, 16, out.length];
      if (at + 4 <= out.length) new DataView(out.buffer, out.byteOffset).setUint32(at & ~3, vals[Math.floor(rand() * vals.length)]!, rand() < 0.5);
    } else if (kind < 0.8) {
      out = out.slice(0, at); // truncate
    } else if (kind < 0.9) {
      // duplicate a slice
      const len = Math.floor(rand() * 64);
      const piece = out.slice(at, at + len);
      const n = new Uint8Array(out.length + piece.length);
      n.set(out.subarray(0, at));
      n.set(piece, at);
      n.set(out.subarray(at), at + piece.length);
      out = n;
    } else {
      // delete a slice
      const len = Math.floor(rand() * 16);
      const tail = out.subarray(Math.min(out.length, at + len));
      const n = new Uint8Array(at + tail.length);
      n.set(out.subarray(0, at));
      n.set(tail, at);
      out = n;
    }
  }
  return out;
}

test('fuzz: 20000 random/mutated captures in random chunks: only CaptureError, always terminates', () => {
  const rand = rng(0xc0ffee);
  const f = createFrame();
  const link = createLinkResult();
  let errors = 0;
  let frames = 0;
  let truncated = 0;
  for (let iter = 0; iter < 20000; iter++) {
    const input = mutate(rand, seeds[iter % seeds.length]!);
    const r = new CaptureReader();
    let steps = 0;
    const drain = (): void => {
      while (r.next(f)) {
        steps++;
        frames++;
        assert.ok(steps <= input.length + 1, 'reader does not terminate');
        assert.ok(f.offset >= 0 && f.caplen >= 0 && f.offset + f.caplen <= f.buf.length, 'frame inside its buffer');
        assert.ok(f.caplen <= 262144);
        assert.ok(Number.isInteger(f.tsNsec) && f.tsNsec >= 0 && f.tsNsec < 1e9, `tsNsec ${f.tsNsec}`);
        assert.ok(Number.isFinite(f.tsSec));
        assert.ok(f.fileOffset >= 0 && f.fileOffset < input.length);
        if (decodeLink(f, link)) {
          assert.ok(link.l3Off >= f.offset && link.l3Off + link.l3Len === f.offset + f.caplen);
        } else {
          assert.equal(typeof link.skip, 'string');
        }
      }
    };
    try {
      let p = 0;
      const drainEach = rand() < 0.8;
      while (p < input.length) {
        const n = 1 + Math.floor(rand() * (rand() < 0.5 ? 8 : 200));
        r.push(input.subarray(p, p + n));
        p += n;
        if (drainEach) drain();
      }
      r.end();
      drain();
      assert.equal(r.next(f), false);
      if (r.truncatedAt !== null) {
        truncated++;
        assert.ok(r.truncatedAt >= 0 && r.truncatedAt < input.length);
      }
    } catch (e) {
      if (!(e instanceof CaptureError)) {
        throw new Error(`iteration ${iter}: non-CaptureError thrown: ${String((e as Error)?.stack ?? e)}`);
      }
      assert.ok(Number.isInteger(e.offset) && e.offset >= 0 && e.offset <= input.length, `offset ${e.offset}`);
      assert.ok(!e.message.includes('\n'));
      errors++;
    }
  }
  // The corpus must exercise all outcomes.
  assert.ok(errors > 1000, `errors ${errors}`);
  assert.ok(frames > 10000, `frames ${frames}`);
  assert.ok(truncated > 500, `truncated ${truncated}`);
});
