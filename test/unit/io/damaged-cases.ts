/**
 * Damaged captures made from the tutorial capture (examples/tutorial-telnet.pcap,
 * and the same packets as pcapng), each with what reading it must give: the
 * error (offset, message) or none, the reader's warnings, where a cut record
 * starts, and an intact capture holding exactly the packets that are readable.
 * Shared by the reader test (chunked input) and the CLI test.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { buildPcapng, concat } from './build-capture.js';
import type { NgBlock } from './build-capture.js';
import { mulberry32 } from '../../../tools/lib/prng.js';

export interface DamagedCase {
  name: string;
  bytes: Uint8Array;
  /** The packets that must come out, as an intact capture; null when none may. */
  ref: Uint8Array | null;
  /** The reader's CaptureError, or null. */
  error: { offset: number; message: string } | null;
  warnings: string[];
  truncatedAt: number | null;
  /** The CLI's exit code. */
  status: number;
}

const root = join(import.meta.dirname, '..', '..', '..', '..');
const T = new Uint8Array(readFileSync(join(root, 'examples', 'tutorial-telnet.pcap')));
const dv = (b: Uint8Array): DataView => new DataView(b.buffer, b.byteOffset, b.byteLength);

/** Offsets of the tutorial's records (its own little-endian walker, independent of the reader). */
const REC: number[] = [];
for (let o = 24; o + 16 <= T.length; o += 16 + dv(T).getUint32(o + 8, true)) REC.push(o);

interface Rec { ts: bigint; data: Uint8Array }
const RECS: Rec[] = REC.map((o) => {
  const d = dv(T);
  const caplen = d.getUint32(o + 8, true);
  return { ts: BigInt(d.getUint32(o, true)) * 1000000n + BigInt(d.getUint32(o + 4, true)), data: T.slice(o + 16, o + 16 + caplen) };
});

/** A copy with 32-bit little-endian words written at the given offsets. */
function patched(b: Uint8Array, words: Array<[number, number]>, le = true): Uint8Array {
  const c = b.slice();
  for (const [at, v] of words) dv(c).setUint32(at, v >>> 0, le);
  return c;
}

const epb = (r: Rec, extra: Partial<Extract<NgBlock, { kind: 'epb' }>> = {}): NgBlock => ({ kind: 'epb', ifId: 0, ts: r.ts, data: r.data, ...extra });
const IDB: NgBlock = { kind: 'idb', linkType: 1 };
/** The tutorial as pcapng: SHB, IDB, one EPB per packet; `blocks` replaces the EPBs. */
const ng = (blocks: NgBlock[] = RECS.map((r) => epb(r)), le = true): Uint8Array => buildPcapng([{ le, blocks: [IDB, ...blocks] }]);
const N = ng();
/** Offsets of the pcapng blocks after SHB (28 bytes) and IDB (20 bytes). */
const BLK: number[] = [];
for (let o = 48; o < N.length; o += dv(N).getUint32(o + 4, true)) BLK.push(o);
/** The EPBs with packet k replaced by `b` (or left out), and the blocks around it kept. */
const withBlock = (k: number, b: NgBlock | null): NgBlock[] => [
  ...RECS.slice(0, k).map((r) => epb(r)), ...(b === null ? [] : [b]), ...RECS.slice(k + 1).map((r) => epb(r)),
];

const K = 4; // the damaged record / block, so that packets 1-4 (the handshake and more) come before it
const cut = (name: string, bytes: Uint8Array, at: number, n: number, ref: Uint8Array): DamagedCase =>
  ({ name, bytes: bytes.subarray(0, at + n), ref, error: null, warnings: [], truncatedAt: at, status: 0 });
const fatal = (name: string, bytes: Uint8Array, offset: number, message: string, ref: Uint8Array | null): DamagedCase =>
  ({ name, bytes, ref, error: { offset, message }, warnings: [], truncatedAt: null, status: 2 });

const pcapBefore = T.subarray(0, REC[K]!);
const ngBefore = N.subarray(0, BLK[K]!);
const ngWithoutK = ng(withBlock(K, null));
const capK = dv(T).getUint32(REC[K]! + 8, true);
const origLenK = dv(T).getUint32(REC[K]! + 12, true);
const EPB_K_LEN = dv(N).getUint32(BLK[K]! + 4, true);
const snap60 = patched(T, [[16, 60]]);
const firstOver60 = REC.find((o) => dv(T).getUint32(o + 8, true) > 60)!;
const twoSections = concat([
  buildPcapng([{ blocks: [IDB, ...RECS.slice(0, 20).map((r) => epb(r))] }]),
  buildPcapng([{ le: false, blocks: [IDB, ...RECS.slice(20).map((r) => epb(r))] }]),
]);
const ngSection1 = twoSections.subarray(0, buildPcapng([{ blocks: [IDB, ...RECS.slice(0, 20).map((r) => epb(r))] }]).length);
const section2 = ngSection1.length;
const random = new Uint8Array(4096);
{
  const rand = mulberry32(8);
  for (let i = 0; i < random.length; i++) random[i] = Math.floor(rand() * 256);
}
const randomMagic = dv(random).getUint32(0, false).toString(16).padStart(8, '0');

export const DAMAGED: DamagedCase[] = [
  // ---- pcap: cut, and record lengths that can't be right
  cut('pcap cut in a record header', T, REC[K]!, 7, pcapBefore),
  cut('pcap cut in a record\'s data', T, REC[K]!, 16 + 10, pcapBefore),
  fatal('pcap record length 0x7fffffff', patched(T, [[REC[K]! + 8, 0x7fffffff]]), REC[K]!,
    'pcap record length 2147483647 exceeds the 262144-byte maximum (damaged capture?)', pcapBefore),
  fatal('pcap record length over the maximum, snaplen 65535', patched(T, [[16, 65535], [REC[K]! + 8, 300000]]), REC[K]!,
    'pcap record length 300000 exceeds snaplen 65535 and the 262144-byte maximum (damaged capture?)', pcapBefore),
  fatal('pcap record length above its original length', patched(T, [[REC[K]! + 8, capK + 100]]), REC[K]!,
    `pcap record length ${capK + 100} exceeds its original length ${origLenK} and no record header follows it (damaged capture?)`, pcapBefore),
  fatal('pcap record length above snaplen 65535, past the end', patched(T, [[16, 65535], [REC[K]! + 8, 70000], [REC[K]! + 12, 70000]]), REC[K]!,
    'pcap record length 70000 exceeds the snapshot length 65535 and runs past the end of the capture (damaged capture?)', pcapBefore),
  {
    name: 'pcap records above a too small snaplen (a sloppy writer, read like libpcap does)',
    bytes: snap60, ref: T, error: null, truncatedAt: null, status: 0,
    warnings: [`pcap record at offset ${firstOver60} has captured length ${dv(T).getUint32(firstOver60 + 8, true)} above the snapshot length 60`],
  },
  {
    name: 'pcap original length below the captured length, the length itself sound',
    bytes: patched(T, [[REC[K]! + 12, 20]]), ref: T, error: null, truncatedAt: null, status: 0,
    warnings: [`pcap record at offset ${REC[K]!} has captured length ${capK} above its original length 20`],
  },
  fatal('pcap with a cut file header', T.subarray(0, 20), 0, 'truncated pcap file header (20 of 24 bytes)', null),
  // Not damage: a capture of no packets (ref: the same, for the output of an empty capture).
  { name: 'pcap with only its file header', bytes: T.subarray(0, 24), ref: T.subarray(0, 24), error: null, warnings: [], truncatedAt: null, status: 0 },

  // ---- pcapng: block lengths that can't be trusted are fatal, unusable content in a sound block is skipped
  cut('pcapng cut in a block', N, BLK[K]!, 10, ngBefore),
  cut('pcapng block length beyond the end of the file', patched(N, [[BLK[K]! + 4, 1 << 20]]), BLK[K]!, N.length - BLK[K]!, ngBefore),
  fatal('pcapng block length not a multiple of 4', patched(N, [[BLK[K]! + 4, EPB_K_LEN + 2]]), BLK[K]!,
    `pcapng enhanced packet block length ${EPB_K_LEN + 2} is not a multiple of 4 (damaged capture?)`, ngBefore),
  fatal('pcapng packet block length below its minimum', patched(N, [[BLK[K]! + 4, 16]]), BLK[K]!,
    'pcapng enhanced packet block length 16 is below the 32-byte minimum (damaged capture?)', ngBefore),
  fatal('pcapng block length below 12', ng(withBlock(K, { kind: 'raw', type: 0x0bad, body: new Uint8Array(8), lenField: 8 })), BLK[K]!,
    'pcapng block length 8 is below the 12-byte minimum (damaged capture?)', ngBefore),
  fatal('pcapng block length over 16 MiB', patched(N, [[BLK[K]! + 4, 0x7ffffffc]]), BLK[K]!,
    'pcapng enhanced packet block length 2147483644 exceeds the 16 MiB limit (damaged capture?)', ngBefore),
  fatal('pcapng trailing length not the leading one', patched(N, [[BLK[K]! + EPB_K_LEN - 4, EPB_K_LEN + 4]]), BLK[K]!,
    `pcapng block length ${EPB_K_LEN} does not match its trailing copy ${EPB_K_LEN + 4} (damaged capture?)`, ngBefore),
  {
    name: 'pcapng unknown block types (skipped silently, as the format asks)',
    bytes: ng([
      ...RECS.slice(0, K).map((r) => epb(r)),
      { kind: 'raw', type: 0x12345678, body: new Uint8Array(21).fill(7) },
      { kind: 'raw', type: 4, body: new Uint8Array(4) }, // name resolution block
      { kind: 'raw', type: 0x0bad, body: new Uint8Array(200000) }, // custom, skipped streaming
      ...RECS.slice(K).map((r) => epb(r)),
    ]),
    ref: N, error: null, warnings: [], truncatedAt: null, status: 0,
  },
  {
    name: 'pcapng packet on an interface that does not exist',
    bytes: ng(withBlock(K, epb(RECS[K]!, { ifId: 5 }))), ref: ngWithoutK, error: null, truncatedAt: null, status: 0,
    warnings: [`pcapng packet block at offset ${BLK[K]!} skipped: interface 5 is not defined (the section has 1)`],
  },
  {
    name: 'pcapng packet with a captured length beyond its block',
    bytes: ng(withBlock(K, epb(RECS[K]!, { caplenField: 1000 }))), ref: ngWithoutK, error: null, truncatedAt: null, status: 0,
    warnings: [`pcapng packet block at offset ${BLK[K]!} skipped: captured length 1000 runs past the end of the ${EPB_K_LEN}-byte block`],
  },
  { name: 'pcapng second section in the other byte order', bytes: twoSections, ref: N, error: null, warnings: [], truncatedAt: null, status: 0 },
  fatal('pcapng second section of version 2.0', concat([ngSection1, buildPcapng([{ versionMajor: 2, blocks: [IDB] }])]), section2,
    'unsupported pcapng version 2.0', ngSection1),
  fatal('pcapng second section with a bad byte-order magic', concat([ngSection1, patched(buildPcapng([{ blocks: [IDB] }]), [[8, 0x11223344]])]), section2,
    'pcapng section header has bad byte-order magic 0x44332211 (damaged capture?)', ngSection1),
  { name: 'pcapng with only a section header', bytes: buildPcapng([{ blocks: [] }]), ref: buildPcapng([{ blocks: [] }]), error: null, warnings: [], truncatedAt: null, status: 0 },

  // ---- not a capture
  fatal('empty file', new Uint8Array(0), 0, 'empty file', null),
  fatal('random bytes', random, 0, `not a pcap or pcapng file (magic 0x${randomMagic})`, null),
  fatal('a text file', new TextEncoder().encode('these are my notes, not a packet capture\n'), 0, 'not a pcap or pcapng file (magic 0x74686573)', null),
  fatal('a gzip-compressed pcap', new Uint8Array(gzipSync(T)), 0, 'not a pcap or pcapng file but gzip-compressed data: decompress it first', null),
];
