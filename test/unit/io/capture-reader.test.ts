import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CaptureReader, readCapture, sniffFormat } from '../../../src/io/capture-reader.js';
import { CaptureError } from '../../../src/io/errors.js';
import { createFrame } from '../../../src/io/frame.js';
import { buildPcap, buildPcapng, ethernet, ipv4Packet, ipv6Packet } from './build-capture.js';
import type { NgSection } from './build-capture.js';
import { readAll } from './helpers.js';

const P1 = ethernet(0x0800, ipv4Packet(10));
const P2 = ethernet(0x86dd, ipv6Packet(3));
const P3 = ipv4Packet(1);

function hexOf(b: Uint8Array): string {
  return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
}

// ---------------------------------------------------------------- pcap

const pcapCases: Array<{ name: string; nsec: boolean; le: boolean }> = [
  { name: 'usec little-endian', nsec: false, le: true },
  { name: 'usec big-endian', nsec: false, le: false },
  { name: 'nsec little-endian', nsec: true, le: true },
  { name: 'nsec big-endian', nsec: true, le: false },
];

for (const c of pcapCases) {
  test(`pcap ${c.name}`, () => {
    const frac1 = c.nsec ? 123456789 : 123456;
    const bytes = buildPcap({
      nsec: c.nsec,
      le: c.le,
      linkType: 1,
      records: [
        { sec: 1700000000, frac: frac1, data: P1 },
        { sec: 4294967295, frac: 0, data: P2.subarray(0, 30), origLen: P2.length },
        { sec: 0, frac: c.nsec ? 999999999 : 999999, data: P1 },
      ],
    });
    const r = readAll(bytes);
    assert.equal(r.error, null);
    assert.equal(r.format, 'pcap');
    assert.equal(r.truncatedAt, null);
    assert.equal(r.frames.length, 3);
    const [a, b, d] = r.frames;
    assert.deepEqual(
      { i: a!.index, lt: a!.linkType, s: a!.tsSec, ns: a!.tsNsec, cl: a!.caplen, ol: a!.origLen, off: a!.fileOffset, if: a!.ifIndex },
      { i: 1, lt: 1, s: 1700000000, ns: c.nsec ? 123456789 : 123456000, cl: P1.length, ol: P1.length, off: 24, if: 0 },
    );
    assert.equal(a!.data, hexOf(P1));
    assert.equal(b!.index, 2);
    assert.equal(b!.tsSec, 4294967295);
    assert.equal(b!.caplen, 30);
    assert.equal(b!.origLen, P2.length);
    assert.equal(b!.fileOffset, 24 + 16 + P1.length);
    assert.equal(d!.tsNsec, 999999999 - (c.nsec ? 0 : 999));
  });
}

test('pcap fractional part out of range is normalised', () => {
  const r = readAll(buildPcap({ records: [{ sec: 10, frac: 2500000, data: P3 }] }));
  assert.equal(r.frames[0]!.tsSec, 12);
  assert.equal(r.frames[0]!.tsNsec, 500000000);
  const n = readAll(buildPcap({ nsec: true, records: [{ sec: 10, frac: 4000000001, data: P3 }] }));
  assert.equal(n.frames[0]!.tsSec, 14);
  assert.equal(n.frames[0]!.tsNsec, 1);
});

test('pcap FCS bits in the link type field: masked off and FCS stripped from full-length frames', () => {
  const withFcs = new Uint8Array(P1.length + 4);
  withFcs.set(P1);
  withFcs.set([0xde, 0xad, 0xbe, 0xef], P1.length);
  const bytes = buildPcap({
    linkTypeField: (1 | 0x04000000 | (2 << 28)) >>> 0,
    records: [
      { sec: 1, frac: 0, data: withFcs },
      { sec: 2, frac: 0, data: P1.subarray(0, 20), origLen: 100 },
    ],
  });
  const r = readAll(bytes);
  assert.equal(r.error, null);
  assert.equal(r.frames[0]!.linkType, 1);
  assert.equal(r.frames[0]!.caplen, P1.length);
  assert.equal(r.frames[0]!.origLen, P1.length + 4);
  assert.equal(r.frames[0]!.data, hexOf(P1));
  assert.equal(r.frames[1]!.caplen, 20);
});

test('pcap upper 16 bits of link type are masked', () => {
  const r = readAll(buildPcap({ linkTypeField: 0x00ab0071, records: [{ sec: 1, frac: 0, data: P3 }] }));
  assert.equal(r.frames[0]!.linkType, 113);
});

test('pcap caplen above snaplen is accepted with one warning', () => {
  const r = readAll(buildPcap({ snaplen: 10, records: [{ sec: 1, frac: 0, data: P1 }, { sec: 1, frac: 0, data: P1 }] }));
  assert.equal(r.error, null);
  assert.equal(r.frames.length, 2);
  assert.equal(r.warnings.length, 1);
  assert.match(r.warnings[0]!, /above the snapshot length 10/);
});

test('pcap patched (Kuznetsov) magic with 24-byte record headers', () => {
  const base = buildPcap({ records: [] });
  const dv = new DataView(base.buffer);
  dv.setUint32(0, 0xa1b2cd34, true);
  const rec = new Uint8Array(24 + P3.length);
  const rdv = new DataView(rec.buffer);
  rdv.setUint32(0, 5, true);
  rdv.setUint32(4, 7, true);
  rdv.setUint32(8, P3.length, true);
  rdv.setUint32(12, P3.length, true);
  rec.set(P3, 24);
  const all = new Uint8Array(base.length + rec.length);
  all.set(base);
  all.set(rec, base.length);
  const r = readAll(all);
  assert.equal(r.error, null);
  assert.equal(r.frames.length, 1);
  assert.equal(r.frames[0]!.data, hexOf(P3));
  assert.equal(r.frames[0]!.tsNsec, 7000);
});

// ---------------------------------------------------------------- pcapng

for (const le of [true, false]) {
  test(`pcapng ${le ? 'little' : 'big'}-endian: IDB default resolution, EPB, options, unknown blocks`, () => {
    const bytes = buildPcapng([
      {
        le,
        blocks: [
          { kind: 'raw', type: 0x00000004, body: new Uint8Array(8) }, // NRB before the IDB
          { kind: 'idb', linkType: 1, snaplen: 65535 },
          { kind: 'epb', ifId: 0, ts: 1700000000123456n, data: P1, comment: 'hello' },
          { kind: 'raw', type: 0x00000005, body: new Uint8Array(20) }, // ISB
          { kind: 'raw', type: 0x40000bad, body: new Uint8Array(13) }, // custom, padded
          { kind: 'epb', ifId: 0, ts: 1n, data: P2.subarray(0, 17), origLen: P2.length },
        ],
      },
    ]);
    const r = readAll(bytes);
    assert.equal(r.error, null);
    assert.equal(r.format, 'pcapng');
    assert.equal(r.frames.length, 2);
    assert.equal(r.frames[0]!.tsSec, 1700000000);
    assert.equal(r.frames[0]!.tsNsec, 123456000);
    assert.equal(r.frames[0]!.data, hexOf(P1));
    assert.equal(r.frames[0]!.linkType, 1);
    assert.equal(r.frames[1]!.index, 2);
    assert.equal(r.frames[1]!.tsSec, 0);
    assert.equal(r.frames[1]!.tsNsec, 1000);
    assert.equal(r.frames[1]!.caplen, 17);
    assert.equal(r.frames[1]!.origLen, P2.length);
  });
}

const twoSections: NgSection[] = [
  {
    le: true,
    blocks: [
      { kind: 'idb', linkType: 1, tsresol: 9 },
      { kind: 'idb', linkType: 101, tsresol: 0x8a, tsoffset: 1000n },
      { kind: 'epb', ifId: 0, ts: 1700000000999999999n, data: P1 },
      { kind: 'epb', ifId: 1, ts: (5n << 10n) + 512n, data: P3 },
      { kind: 'pb', ifId: 1, ts: (7n << 10n) + 1n, data: P3 },
    ],
  },
  {
    le: false,
    versionMinor: 2,
    blocks: [
      { kind: 'idb', linkType: 113, snaplen: 24 },
      { kind: 'spb', data: ethernet(0x0800, ipv4Packet(40)).subarray(0, 24), origLen: 74 },
      { kind: 'epb', ifId: 0, ts: 42n, data: P3 },
    ],
  },
];

test('pcapng two sections (LE then BE), two interfaces with different link types and if_tsresol, PB, SPB', () => {
  const r = readAll(buildPcapng(twoSections));
  assert.equal(r.error, null);
  const got = r.frames.map((f) => [f.index, f.ifIndex, f.linkType, f.tsSec, f.tsNsec, f.caplen, f.origLen]);
  assert.deepEqual(got, [
    [1, 0, 1, 1700000000, 999999999, P1.length, P1.length],
    [2, 1, 101, 1005, 500000000, P3.length, P3.length],
    [3, 1, 101, 1007, 976562, P3.length, P3.length], // 1/1024 s = 976562.5 ns, truncated
    [4, 0, 113, 0, 0, 24, 74], // SPB: no timestamp, caplen = snaplen
    [5, 0, 113, 0, 42000, P3.length, P3.length],
  ]);
});

test('pcapng if_fcslen strips the FCS of full-length frames', () => {
  const withFcs = new Uint8Array(P1.length + 4);
  withFcs.set(P1);
  const r = readAll(buildPcapng([{ blocks: [{ kind: 'idb', linkType: 1, fcslenBits: 32 }, { kind: 'epb', ifId: 0, ts: 0n, data: withFcs }] }]));
  assert.equal(r.frames[0]!.caplen, P1.length);
  assert.equal(r.frames[0]!.origLen, P1.length + 4);
});

test('pcapng if_tsoffset negative', () => {
  const r = readAll(buildPcapng([{ blocks: [{ kind: 'idb', linkType: 1, tsoffset: -100n }, { kind: 'epb', ifId: 0, ts: 1000000000n, data: P3 }] }]));
  assert.equal(r.frames[0]!.tsSec, 900);
});

test('pcapng large unknown block skipped in streaming mode (with trailer check)', () => {
  const big = new Uint8Array(200000).fill(0xaa);
  const bytes = buildPcapng([{ blocks: [{ kind: 'idb', linkType: 1 }, { kind: 'raw', type: 0x0bad, body: big }, { kind: 'epb', ifId: 0, ts: 5n, data: P1 }] }]);
  for (const chunks of [[], [1000], [7, 65536, 3], [250000]]) {
    const r = readAll(bytes, chunks);
    assert.equal(r.error, null, `chunks ${chunks}`);
    assert.equal(r.frames.length, 1);
    assert.equal(r.frames[0]!.data, hexOf(P1));
  }
  // Trailer mismatch on the big block.
  const bad = buildPcapng([{ blocks: [{ kind: 'idb', linkType: 1 }, { kind: 'raw', type: 0x0bad, body: big, trailerField: 12 }] }]);
  const rb = readAll(bad, [4096]);
  assert.ok(rb.error);
  assert.match(rb.error.message, /does not match its trailing copy 12/);
});

// ---------------------------------------------------------------- errors / edge cases

interface ErrCase { name: string; bytes: Uint8Array; message: RegExp; offset: number; frames: number }
const pcapOk = buildPcap({ records: [{ sec: 1, frac: 0, data: P1 }, { sec: 2, frac: 0, data: P1 }] });
const corruptPcap = buildPcap({ records: [{ sec: 1, frac: 0, data: P1 }, { sec: 2, frac: 0, data: P1, caplenField: 0x7fffffff }] });
const ngHead: NgSection['blocks'] = [{ kind: 'idb', linkType: 1 }, { kind: 'epb', ifId: 0, ts: 0n, data: P1 }];
const ngPrefixLen = buildPcapng([{ blocks: ngHead }]).length;

const errCases: ErrCase[] = [
  { name: 'empty', bytes: new Uint8Array(0), message: /^empty file$/, offset: 0, frames: 0 },
  { name: 'text', bytes: new TextEncoder().encode('hello world!\n'), message: /^not a pcap or pcapng file \(magic 0x68656c6c\)$/, offset: 0, frames: 0 },
  { name: 'three bytes', bytes: Uint8Array.of(0xd4, 0xc3, 0xb2), message: /only 3 bytes/, offset: 0, frames: 0 },
  { name: 'truncated pcap header', bytes: pcapOk.subarray(0, 20), message: /truncated pcap file header \(20 of 24 bytes\)/, offset: 0, frames: 0 },
  { name: 'pcap version 1.0', bytes: buildPcap({ versionMajor: 1, versionMinor: 0, records: [] }), message: /unsupported pcap version 1\.0/, offset: 4, frames: 0 },
  { name: 'pcap corrupt caplen mid-file', bytes: corruptPcap, message: /^pcap record length 2147483647 exceeds the 262144-byte maximum \(damaged capture\?\)$/, offset: 24 + 16 + P1.length, frames: 1 },
  {
    name: 'pcapng bad block length mid-file',
    bytes: buildPcapng([{ blocks: [...ngHead, { kind: 'raw', type: 6, body: new Uint8Array(40), lenField: 7 }] }]),
    message: /^pcapng enhanced packet block length 7 is not a multiple of 4 \(damaged capture\?\)$/,
    offset: ngPrefixLen,
    frames: 1,
  },
  {
    name: 'pcapng trailer mismatch',
    bytes: buildPcapng([{ blocks: [...ngHead, { kind: 'raw', type: 1, body: new Uint8Array(8), trailerField: 99 }] }]),
    message: /^pcapng block length 20 does not match its trailing copy 99 \(damaged capture\?\)$/,
    offset: ngPrefixLen,
    frames: 1,
  },
  { name: 'pcapng version 2.0', bytes: buildPcapng([{ versionMajor: 2, blocks: [] }]), message: /unsupported pcapng version 2\.0/, offset: 0, frames: 0 },
  { name: 'pcapng truncated SHB', bytes: buildPcapng([{ blocks: [] }]).subarray(0, 20), message: /truncated pcapng section header/, offset: 0, frames: 0 },
  {
    name: 'pcapng bad if_tsresol',
    bytes: buildPcapng([{ blocks: [{ kind: 'idb', linkType: 1, tsresol: 0x80 | 64 }] }]),
    message: /unsupported if_tsresol 0xc0/,
    offset: 28,
    frames: 0,
  },
];

for (const c of errCases) {
  test(`error: ${c.name}`, () => {
    for (const chunks of [[], [1], [5, 3]]) {
      const r = readAll(c.bytes, chunks);
      assert.ok(r.error instanceof CaptureError, `expected a CaptureError (chunks ${chunks})`);
      assert.match(r.error.message, c.message);
      assert.equal(r.error.offset, c.offset);
      assert.equal(r.frames.length, c.frames);
    }
  });
}

// A packet block whose length is sound but whose content can't be used: skipped with a
// warning, and the blocks after it are read.
const skipCases: Array<{ name: string; bytes: Uint8Array; warning: string }> = [
  {
    name: 'pcapng EPB caplen larger than its block',
    bytes: buildPcapng([{ blocks: [...ngHead, { kind: 'epb', ifId: 0, ts: 0n, data: P1, caplenField: 1000 }, ngHead[1]!] }]),
    warning: `pcapng packet block at offset ${ngPrefixLen} skipped: captured length 1000 runs past the end of the ${32 + P1.length}-byte block`,
  },
  {
    name: 'pcapng EPB on undefined interface',
    bytes: buildPcapng([{ blocks: [...ngHead, { kind: 'epb', ifId: 3, ts: 0n, data: P1 }, ngHead[1]!] }]),
    warning: `pcapng packet block at offset ${ngPrefixLen} skipped: interface 3 is not defined (the section has 1)`,
  },
  {
    name: 'pcapng interfaces reset by a new section',
    bytes: buildPcapng([{ blocks: ngHead }, { blocks: [{ kind: 'epb', ifId: 0, ts: 0n, data: P1 }, ngHead[0]!, ngHead[1]!] }]),
    warning: `pcapng packet block at offset ${ngPrefixLen + 28} skipped: interface 0 is not defined (the section has 0)`,
  },
];

for (const c of skipCases) {
  test(`skipped: ${c.name}`, () => {
    for (const chunks of [[], [1], [5, 3]]) {
      const r = readAll(c.bytes, chunks);
      assert.equal(r.error, null);
      assert.deepEqual(r.warnings, [c.warning]);
      assert.deepEqual(r.frames.map((f) => f.index), [1, 2], 'the packets before and after');
    }
  });
}

test('skipped: pcapng SPB without IDB', () => {
  const r = readAll(buildPcapng([{ blocks: [{ kind: 'spb', data: P1 }] }]));
  assert.equal(r.error, null);
  assert.deepEqual(r.warnings, ['pcapng packet block at offset 28 skipped: simple packet block, but no interface is defined']);
  assert.equal(r.frames.length, 0);
});

test('an error is sticky: next() rethrows it', () => {
  const r = new CaptureReader();
  r.push(corruptPcap);
  r.end();
  const f = createFrame();
  assert.equal(r.next(f), true);
  assert.throws(() => r.next(f), CaptureError);
  assert.throws(() => r.next(f), /record length 2147483647/);
});

// ---------------------------------------------------------------- truncation

test('truncated final record: truncatedAt, earlier frames delivered, not an error', () => {
  const pcapLast = 24 + 16 + P1.length;
  const ng = buildPcapng([{ blocks: [...ngHead, { kind: 'epb', ifId: 0, ts: 0n, data: P2 }] }]);
  const cases: Array<[string, Uint8Array, number | null, number]> = [
    ['pcap cut in record header', pcapOk.subarray(0, pcapLast + 5), pcapLast, 1],
    ['pcap cut in record data', pcapOk.subarray(0, pcapOk.length - 1), pcapLast, 1],
    ['pcap cut at a record boundary', pcapOk.subarray(0, pcapLast), null, 1],
    ['pcap header only', pcapOk.subarray(0, 24), null, 0],
    ['pcapng cut in block', ng.subarray(0, ng.length - 3), ngPrefixLen, 1],
    ['pcapng cut after block header', ng.subarray(0, ngPrefixLen + 8), ngPrefixLen, 1],
    ['pcapng cut at block boundary', ng.subarray(0, ngPrefixLen), null, 1],
  ];
  for (const [name, bytes, at, n] of cases) {
    for (const chunks of [[], [1], [13]]) {
      const r = readAll(bytes, chunks);
      assert.equal(r.error, null, name);
      assert.equal(r.truncatedAt, at, name);
      assert.equal(r.frames.length, n, name);
    }
  }
});

// ---------------------------------------------------------------- chunking

const small = [
  ['pcap', buildPcap({ le: false, nsec: true, records: [{ sec: 1, frac: 2, data: P1 }, { sec: 3, frac: 4, data: P3 }, { sec: 5, frac: 6, data: P2 }] })],
  ['pcapng', buildPcapng(twoSections)],
] as const;

for (const [name, bytes] of small) {
  test(`${name}: split at every byte boundary gives the same frames as one push`, () => {
    const ref = readAll(bytes);
    assert.equal(ref.error, null);
    assert.ok(ref.frames.length >= 3);
    for (let k = 1; k < bytes.length; k++) {
      const r = readAll(bytes, [k, bytes.length]);
      assert.deepEqual(r.frames, ref.frames, `split at ${k}`);
      assert.equal(r.truncatedAt, null);
      // Two chunks pushed before draining.
      const r2 = readAll(bytes, [k, bytes.length], false);
      assert.deepEqual(r2.frames, ref.frames, `split at ${k} without draining`);
    }
    assert.deepEqual(readAll(bytes, [1]).frames, ref.frames);
    assert.deepEqual(readAll(bytes, [1], false).frames, ref.frames);
    assert.deepEqual(readAll(bytes, [3, 1, 4, 1, 5, 9, 2, 6]).frames, ref.frames);
  });
}

test('zero-copy: frames in a single chunk are views of that chunk', () => {
  const r = new CaptureReader();
  const f = createFrame();
  const chunk = buildPcapng(twoSections);
  r.push(chunk);
  let n = 0;
  while (r.next(f)) {
    assert.equal(f.buf, chunk);
    n++;
  }
  assert.equal(n, 5);
});

test('chunk memory may be reused after next() returned false', () => {
  const bytes = buildPcap({ records: Array.from({ length: 20 }, (_, i) => ({ sec: i, frac: i, data: i % 2 ? P1 : P2 })) });
  const ref = readAll(bytes);
  const buf = new Uint8Array(37);
  const r = new CaptureReader();
  const f = createFrame();
  const seen: string[] = [];
  for (let p = 0; p < bytes.length; p += buf.length) {
    const n = Math.min(buf.length, bytes.length - p);
    buf.set(bytes.subarray(p, p + n));
    r.push(buf.subarray(0, n));
    while (r.next(f)) seen.push(hexOf(f.buf.subarray(f.offset, f.offset + f.caplen)));
    buf.fill(0xee); // clobber
  }
  r.end();
  while (r.next(f)) seen.push(hexOf(f.buf.subarray(f.offset, f.offset + f.caplen)));
  assert.deepEqual(seen, ref.frames.map((x) => x.data));
});

test('chunk with non-zero byteOffset', () => {
  const bytes = buildPcap({ records: [{ sec: 1, frac: 1, data: P1 }] });
  const big = new Uint8Array(bytes.length + 11);
  big.set(bytes, 11);
  const r = readAll(big.subarray(11));
  assert.equal(r.frames[0]!.data, hexOf(P1));
});

test('readCapture convenience and early stop; sniffFormat', () => {
  const bytes = buildPcapng(twoSections);
  let n = 0;
  const res = readCapture(bytes, () => {
    n++;
    return n < 2;
  });
  assert.equal(n, 2);
  assert.equal(res.frames, 2);
  assert.equal(res.format, 'pcapng');
  assert.equal(sniffFormat(bytes), 'pcapng');
  assert.equal(sniffFormat(pcapOk), 'pcap');
  assert.equal(sniffFormat(Uint8Array.of(1, 2, 3, 4)), null);
  assert.equal(sniffFormat(Uint8Array.of(1)), null);
  assert.throws(() => readCapture(new Uint8Array(0), () => {}), /empty file/);
});

test('linkTypes reflects the interfaces', () => {
  const r = new CaptureReader();
  r.push(buildPcapng([twoSections[0]!]));
  const f = createFrame();
  r.next(f);
  assert.deepEqual(r.linkTypes, [1, 101]);
  const p = new CaptureReader();
  p.push(buildPcap({ linkType: 113, records: [] }));
  p.next(f);
  assert.deepEqual(p.linkTypes, [113]);
});
