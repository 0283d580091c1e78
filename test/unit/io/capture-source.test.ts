import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CaptureError, CaptureOpenError } from '../../../src/io/errors.js';
import { forEachFrame, openCapture } from '../../../src/node/capture-source.js';
import { buildPcap, buildPcapng, ethernet, ipv4Packet } from './build-capture.js';
import { readCapture } from '../../../src/io/capture-reader.js';

/** Per-frame [index, tsSec, tsNsec, caplen, byte sum] from the in-memory reader. */
function summary(bytes: Uint8Array): number[][] {
  const out: number[][] = [];
  readCapture(bytes, (f) => {
    let sum = 0;
    for (let i = 0; i < f.caplen; i++) sum += f.buf[f.offset + i]!;
    out.push([f.index, f.tsSec, f.tsNsec, f.caplen, sum]);
  });
  return out;
}

const tmp = mkdtempSync(join(tmpdir(), 'ctscope-io-'));
process.on('exit', () => rmSync(tmp, { recursive: true, force: true }));

// ~6 MB capture with packet sizes that make records straddle 64 KiB reads.
const many = buildPcap({
  records: Array.from({ length: 20000 }, (_, i) => ({ sec: 1700000000 + i, frac: i % 1000000, data: ethernet(0x0800, ipv4Packet(i % 577)) })),
});
const manyPath = join(tmp, 'many.pcap');
writeFileSync(manyPath, many);

test('node source: large file in 64 KiB and default chunks equals in-memory reading', async () => {
  const ref = summary(many);
  for (const chunkSize of [65536, undefined]) {
    const got: number[][] = [];
    const s = await forEachFrame(manyPath, (f) => {
      let sum = 0;
      for (let i = 0; i < f.caplen; i++) sum += f.buf[f.offset + i]!;
      got.push([f.index, f.tsSec, f.tsNsec, f.caplen, sum]);
    }, chunkSize === undefined ? {} : { chunkSize });
    assert.deepEqual(got, ref);
    assert.deepEqual({ ...s, warnings: s.warnings.length }, { frames: 20000, bytes: many.length, truncatedAt: null, format: 'pcap', warnings: 0, stopped: false });
  }
});

test('node source: early stop', async () => {
  let n = 0;
  const s = await forEachFrame(manyPath, () => ++n < 5);
  assert.equal(n, 5);
  assert.equal(s.stopped, true);
  assert.equal(s.frames, 5);
});

test('node source: truncated file reports truncatedAt', async () => {
  const p = join(tmp, 'trunc.pcapng');
  const ng = buildPcapng([{ blocks: [{ kind: 'idb', linkType: 1 }, { kind: 'epb', ifId: 0, ts: 1n, data: ipv4Packet(10) }, { kind: 'epb', ifId: 0, ts: 2n, data: ipv4Packet(10) }] }]);
  writeFileSync(p, ng.subarray(0, ng.length - 5));
  const s = await forEachFrame(p, () => {});
  assert.equal(s.frames, 1);
  assert.equal(s.format, 'pcapng');
  assert.equal(s.truncatedAt, 28 + 20 + 64);
});

test('node source: after a damaged capture threw, summary tells what was read before', async () => {
  const p = join(tmp, 'damaged.pcapng');
  const epb = (ifId: number, ts: bigint) => ({ kind: 'epb' as const, ifId, ts, data: ipv4Packet(10) });
  const ng = buildPcapng([{ blocks: [{ kind: 'idb', linkType: 1 }, epb(0, 1n), epb(7, 2n), epb(0, 3n), { kind: 'raw', type: 0x0bad, body: new Uint8Array(8), trailerField: 99 }] }]);
  writeFileSync(p, ng);
  const source = openCapture(p);
  let n = 0;
  await assert.rejects(source.forEach(() => { n++; }), (e: unknown) => e instanceof CaptureError && e.offset === 28 + 20 + 3 * 64);
  const s = source.summary;
  assert.equal(n, 2);
  assert.equal(s.frames, 2);
  assert.deepEqual(s.warnings, [`pcapng packet block at offset ${28 + 20 + 64} skipped: interface 7 is not defined (the section has 1)`]);
  assert.equal(s.truncatedAt, null);
});

test('node source: open errors are CaptureOpenError with one-line messages', async () => {
  const cases: Array<[string, RegExp]> = [
    [join(tmp, 'nope.pcap'), /^cannot open .*nope\.pcap: no such file$/],
    [tmp, /^cannot open .*: is a directory$/],
  ];
  if (process.getuid?.() !== 0) {
    const locked = join(tmp, 'locked.pcap');
    writeFileSync(locked, many.subarray(0, 100));
    chmodSync(locked, 0);
    cases.push([locked, /^cannot open .*locked\.pcap: permission denied$/]);
  }
  for (const [path, re] of cases) {
    assert.throws(() => openCapture(path), (e: unknown) => e instanceof CaptureOpenError && e instanceof CaptureError && re.test(e.message));
    await assert.rejects(forEachFrame(path, () => {}), (e: unknown) => e instanceof CaptureOpenError && re.test(e.message));
  }
});

test('node source: empty and non-capture files', async () => {
  const empty = join(tmp, 'empty.pcap');
  writeFileSync(empty, new Uint8Array(0));
  await assert.rejects(forEachFrame(empty, () => {}), (e: unknown) => e instanceof CaptureError && e.message === 'empty file');
  const text = join(tmp, 'text.pcap');
  writeFileSync(text, 'GIF89a..........................');
  await assert.rejects(forEachFrame(text, () => {}), /not a pcap or pcapng file \(magic 0x47494638\)/);
});

test('node source: stdin ("-") from a pipe', () => {
  const mod = fileURLToPath(new URL('../../../src/node/capture-source.js', import.meta.url));
  const script = `import { forEachFrame } from ${JSON.stringify(mod)};
    let bytes = 0; const s = await forEachFrame('-', (f) => { bytes += f.caplen; });
    console.log(JSON.stringify({ frames: s.frames, bytes, format: s.format, truncatedAt: s.truncatedAt }));`;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { input: many, encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const total = summary(many).reduce((a, f) => a + f[3]!, 0);
  assert.deepEqual(JSON.parse(r.stdout), { frames: 20000, bytes: total, format: 'pcap', truncatedAt: null });
});
