/**
 * `npm run bench [-- WORKLOAD... ] [--scale=F] [--runs=N] [--memory=0]`: how fast ctscope tracks captures.
 *
 * Workloads (bench/gen.ts, generated once and cached under $TMPDIR/ctscope-bench/v<generator version>):
 *   mixed  5 M packets, ~500 k flows, 50 k open at once (TCP/UDP/ICMP, some IPv6)
 *   wide   2 M packets, ~1 M mostly short flows (table growth and expiry)
 *   long   5 M packets in a few thousand long TCP/UDP flows
 * Per workload: `ctscope replay FILE --table=none --stats` end to end (packets/s,
 * MB/s, peak RSS) alternating with the C floor (bench/floor.c: walk the pcap,
 * hash each 5-tuple into an open-addressing table; the ratio is the median of
 * the back-to-back pairs), the library on in-memory packets (packets/s) and,
 * when installed, argus, softflowd and ndpiReader on the same file.
 * Then (unless --memory=0): bytes per tracked connection and peak RSS at up to
 * 10 M UDP and TCP entries, the cost of expiry at several table sizes, and
 * lookups under adversarial (colliding) tuples.
 */
import { spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, readSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir, cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { ConntrackEngine } from '../src/core/conntrack.js';
import { Conntrack } from '../src/conntrack.js';
import { readCapture } from '../src/io/capture-reader.js';
import { TUPLE_WORDS } from '../src/tuple/tuple.js';
import { hashConn } from '../src/tuple/invert.js';
import { GENERATOR_VERSION, WORKLOADS, generate } from './gen.js';

const root = join(import.meta.dirname, '..', '..');
const cacheDir = join(process.env.CTSCOPE_BENCH_CACHE ?? join(tmpdir(), 'ctscope-bench'), `v${GENERATOR_VERSION}`);

/** The capture of a workload, from the cache or generated now. */
export function workloadFile(name: string, scale = 1): { file: string; packets: number } {
  const w = WORKLOADS[name];
  if (!w) throw new Error(`unknown workload ${name}`);
  const packets = Math.max(1000, Math.round(w.packets * scale));
  mkdirSync(cacheDir, { recursive: true });
  const file = join(cacheDir, `${name}-${packets}.pcap`);
  if (!existsSync(file)) {
    const g = generate(w, packets);
    writeFileSync(`${file}.tmp`, g.bytes);
    renameSync(`${file}.tmp`, file);
    writeFileSync(`${file}.flows`, String(g.flows));
  }
  return { file, packets };
}

/**
 * Reads a file through once, discarding it: every timed command starts with the
 * capture in the page cache (this VM's DAMON pages out a cache it finds idle, so
 * otherwise whichever tool runs first would also pay for the disk).
 */
function warm(file: string): void {
  const fd = openSync(file, 'r');
  const buf = new Uint8Array(8 << 20);
  while (readSync(fd, buf, 0, buf.length, null) > 0);
  closeSync(fd);
}

/** Times a command; `file`, when given, is read through first (see warm). */
function timeCmd(cmd: string, args: string[], file?: string): { ms: number; rssKb: number; stdout: string; ok: boolean } {
  if (file !== undefined) warm(file);
  const t0 = performance.now();
  const r = spawnSync('/usr/bin/time', ['-f', '%M', cmd, ...args], { encoding: 'utf8', maxBuffer: 1 << 26 });
  const ms = performance.now() - t0;
  const rssKb = Number((r.stderr ?? '').trim().split('\n').pop());
  return { ms, rssKb, stdout: r.stdout ?? '', ok: r.status === 0 };
}

function have(cmd: string): string | null {
  const r = spawnSync('sh', ['-c', `command -v ${cmd}`], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : null;
}

/** Full tracking: every flow gets its entry, as with a table sized for the capture. */
const UNLIMITED = ['--sysctl', 'net.netfilter.nf_conntrack_max=0'];

const fmtM = (pps: number): string => `${(pps / 1e6).toFixed(2)} M`;

// ---- child modes (fresh process each, so one workload's JIT state doesn't leak into another) ----

/** Library on in-memory packets: readCapture + Conntrack.processFrame. */
function childLib(file: string, runs: number): void {
  const bytes: Uint8Array = readFileSync(file);
  let best = Infinity;
  let packets = 0;
  let entries = 0;
  for (let i = 0; i < runs; i++) {
    const ct = new Conntrack({ sysctl: { 'net.netfilter.nf_conntrack_max': 0 } });
    packets = 0;
    const t0 = performance.now();
    readCapture(bytes, (f) => {
      ct.processFrame(f);
      packets++;
    });
    best = Math.min(best, performance.now() - t0);
    entries = ct.count;
  }
  console.log(JSON.stringify({ pps: packets / (best / 1000), entries }));
}

/** Sum of 16-bit words of buf[from..to), folded (RFC 1071). */
function sum16(dv: DataView, from: number, to: number, s = 0): number {
  for (let k = from; k < to; k += 2) s += dv.getUint16(k);
  while (s > 0xffff) s = (s & 0xffff) + (s >>> 16);
  return s;
}

/**
 * The first packet of connection `i`, written into `buf`: a UDP datagram (28
 * bytes, no UDP checksum) or a TCP SYN (40 bytes, checksummed). Returns its length.
 */
function firstPacket(buf: Uint8Array, dv: DataView, i: number, tcp: boolean, sport = 1024 + (i & 0x7fff), dst = 0xc0a80001): number {
  const len = tcp ? 40 : 28;
  buf.fill(0, 0, len);
  buf[0] = 0x45;
  dv.setUint16(2, len);
  buf[8] = 64;
  buf[9] = tcp ? 6 : 17;
  dv.setUint32(12, (0x0a000000 | (i >>> 15)) >>> 0);
  dv.setUint32(16, dst);
  dv.setUint16(10, ~sum16(dv, 0, 20) & 0xffff);
  dv.setUint16(20, sport);
  dv.setUint16(22, tcp ? 80 : 53);
  if (!tcp) {
    dv.setUint16(24, 8);
    return len;
  }
  dv.setUint32(24, Math.imul(i, 2654435761) >>> 0); // seq
  buf[32] = 5 << 4; // data offset
  buf[33] = 0x02; // SYN
  dv.setUint16(34, 64240);
  // Pseudo-header: addresses, protocol, TCP length.
  const pseudo = sum16(dv, 12, 20, 6 + 20);
  dv.setUint16(36, ~sum16(dv, 20, 40, pseudo) & 0xffff);
  return len;
}

/**
 * Bytes per connection at `n` UDP or TCP (SYN_SENT) entries, the peak RSS, and
 * the cost of refreshing and expiring them. Above a million entries the hash is
 * sized like `hashsize` would be for such a table (nf_conntrack_buckets = n / 2):
 * with the default 262144 buckets the kernel's chain-length limit refuses entries.
 */
function childMem(n: number, proto: string): void {
  const tcp = proto === 'tcp';
  const gc = (globalThis as { gc?: () => void }).gc;
  const mem = (): number => {
    gc?.();
    gc?.();
    const m = process.memoryUsage();
    return m.heapUsed + m.arrayBuffers;
  };
  const buf = new Uint8Array(40);
  const dv = new DataView(buf.buffer);
  const before = mem();
  const e = new ConntrackEngine({ sysctl: { 'net.netfilter.nf_conntrack_max': 0, 'net.netfilter.nf_conntrack_buckets': Math.max(262144, n >>> 1) } });
  let t = 1000;
  const t0 = performance.now();
  for (let i = 0; i < n; i++) {
    const len = firstPacket(buf, dv, i, tcp);
    e.advance(t);
    e.processIp(buf, dv, 0, len, len);
    t += 0.001; // 1 µs apart: all alive (30 s UDP, 120 s SYN_SENT timeout)
  }
  const insertMs = performance.now() - t0;
  const after = mem();
  const count = e.table.count;
  // Refresh cost with a full table: each packet of an existing connection.
  const r0 = performance.now();
  const refreshes = Math.min(n, 1_000_000);
  for (let i = 0; i < refreshes; i++) {
    const len = firstPacket(buf, dv, i, tcp);
    e.advance(t);
    e.processIp(buf, dv, 0, len, len);
    t += 0.001;
  }
  const refreshMs = performance.now() - r0;
  const x0 = performance.now();
  e.advance(t + 200_000);
  const expireMs = performance.now() - x0;
  console.log(JSON.stringify({
    n: count, bytesPerConn: (after - before) / count, peakRssMiB: process.resourceUsage().maxRSS / 1024, insertNs: insertMs * 1e6 / n,
    refreshNs: refreshMs * 1e6 / refreshes, expireNs: expireMs * 1e6 / count, left: e.table.count,
  }));
}

/**
 * Adversarial tuples: `n` UDP tuples whose hashes share their low `bits` bits
 * under `seed` (an attacker who knows the seed). Replayed against a tracker
 * with that seed, then against one with a random seed.
 */
function childAdversarial(n: number, bits: number): void {
  const seed = 0x5eed1234;
  const buf = new Uint8Array(28);
  const dv = new DataView(buf.buffer);
  const tuple = new Uint32Array(TUPLE_WORDS);
  const mask = (1 << bits) - 1;
  const chosen: number[] = [];
  const s0 = performance.now();
  for (let i = 0; chosen.length < n; i++) {
    // Original tuple as the engine builds it (zone 0, AF_INET 2, UDP 17).
    const src = (0x0a000000 | (i >>> 15)) >>> 0;
    tuple[0] = src;
    tuple[4] = 0xc0a80001;
    tuple[8] = (((1024 + (i & 0x7fff)) << 16) | 53) >>> 0;
    tuple[9] = (2 << 8) | 17;
    // The table's slots are keyed by hashConn (the kernel chains, kept beside them, by hashTuple).
    if ((hashConn(tuple, 0, seed) & mask) === 0) chosen.push(i);
  }
  const searchMs = performance.now() - s0;
  const run = (hashSeed: number | undefined): number => {
    const e = new ConntrackEngine(hashSeed === undefined ? {} : { hashSeed });
    let t = 1000;
    const t0 = performance.now();
    for (let rep = 0; rep < 2; rep++) {
      for (const i of chosen) {
        firstPacket(buf, dv, i, false);
        e.advance(t);
        e.processIp(buf, dv, 0, 28, 28);
        t += 0.001;
      }
    }
    return (2 * chosen.length) / ((performance.now() - t0) / 1000);
  };
  const known = run(seed);
  const random = run(undefined);
  console.log(JSON.stringify({ n, bits, searchMs, knownSeedPps: known, randomSeedPps: random }));
}

// ---- driver ----

/**
 * `replay --threads 1` against `--threads 2`, without the table limit (a limit within
 * reach sends --threads back to one thread); both must print the same counters.
 */
function threadsRow(bin: string, file: string, packets: number, runs: number): void {
  const best = (threads: number): { ms: number; stdout: string } => {
    let b = { ms: Infinity, stdout: '' };
    for (let i = 0; i < runs; i++) {
      const r = timeCmd(process.execPath, [bin, 'replay', file, '--table=none', '--stats', '-q', '--sysctl', 'net.netfilter.nf_conntrack_max=0', '--threads', String(threads)], file);
      if (!r.ok) throw new Error(`replay --threads ${threads} failed on ${file}`);
      if (r.ms < b.ms) b = r;
    }
    return b;
  };
  const one = best(1);
  const two = best(2);
  if (two.stdout !== one.stdout) throw new Error(`replay --threads 2 printed other counters than one thread on ${file}`);
  console.log(`  --threads 1 → 2     ${fmtM(packets / (one.ms / 1000))} → ${fmtM(packets / (two.ms / 1000))} packets/s (${(one.ms / two.ms).toFixed(2)}×, nf_conntrack_max=0)`);
}

function child(args: string[], nodeFlags: string[] = []): Record<string, number> {
  const r = spawnSync(process.execPath, [...nodeFlags, import.meta.filename, ...args], { encoding: 'utf8', maxBuffer: 1 << 24 });
  if (r.status !== 0) throw new Error(`child ${args.join(' ')} failed: ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').pop()!) as Record<string, number>;
}

function main(argv: string[]): void {
  const names = argv.filter((a) => !a.startsWith('--'));
  const opt = (k: string, d: number): number => {
    const a = argv.find((x) => x.startsWith(`--${k}=`));
    return a ? Number(a.slice(k.length + 3)) : d;
  };
  const scale = opt('scale', 1);
  const runs = opt('runs', 3);
  const list = names.length > 0 ? names : ['mixed', 'wide', 'long'];
  console.log(`machine: ${cpus()[0]?.model ?? 'unknown'}, ${cpus().length} cores, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}`);
  mkdirSync(cacheDir, { recursive: true });
  const floorBin = join(cacheDir, 'floor');
  const cc = spawnSync('gcc', ['-O2', '-o', floorBin, join(root, 'bench', 'floor.c')], { encoding: 'utf8' });
  const floorOk = cc.status === 0;
  const argus = have('argus');
  const softflowd = have('softflowd');
  const ndpi = have('ndpiReader');
  const bin = join(root, 'bin', 'ctscope.js');
  for (const name of list) {
    const g0 = performance.now();
    const { file, packets } = workloadFile(name, scale);
    const genS = (performance.now() - g0) / 1000;
    const mb = statSync(file).size / 1e6;
    const flows = existsSync(`${file}.flows`) ? readFileSync(`${file}.flows`, 'utf8') : '?';
    console.log(`\n${name}: ${packets} packets, ${flows} flows, ${mb.toFixed(0)} MB${genS > 0.5 ? ` (generated in ${genS.toFixed(1)} s)` : ''}`);
    // Replay and the C floor alternate, so that each ratio compares two runs made a few seconds
    // apart: this VM's speed drifts by a fifth or more within minutes.
    let best = { ms: Infinity, rssKb: 0, stdout: '', ok: true };
    let floorBest = Infinity;
    const ratios: number[] = [];
    for (let i = 0; i < runs; i++) {
      const r = timeCmd(process.execPath, [bin, 'replay', file, '--table=none', '--stats', '-q', ...UNLIMITED], file);
      if (!r.ok) throw new Error(`replay failed on ${file}`);
      if (r.ms < best.ms) best = r;
      if (!floorOk) continue;
      const f = timeCmd(floorBin, [file], file).ms;
      floorBest = Math.min(floorBest, f);
      ratios.push(r.ms / f);
    }
    console.log(`  replay end to end   ${fmtM(packets / (best.ms / 1000))} packets/s, ${(mb / (best.ms / 1000)).toFixed(0)} MB/s, ${(best.ms / 1000).toFixed(2)} s, peak RSS ${(best.rssKb / 1024).toFixed(0)} MiB`);
    if (floorOk) {
      ratios.sort((x, y) => x - y);
      const median = ratios[(ratios.length - 1) >> 1]!;
      console.log(`  C floor             ${fmtM(packets / (floorBest / 1000))} packets/s, ${(floorBest / 1000).toFixed(2)} s (replay = ${median.toFixed(2)}× floor: median of ${ratios.length} back-to-back pairs, ${ratios.map((x) => x.toFixed(2)).join(' ')})`);
    }
    threadsRow(bin, file, packets, runs);
    const lib = child(['--child-lib', file, String(runs)]);
    console.log(`  library (in memory) ${fmtM(lib.pps!)} packets/s, ${lib.entries} entries at the end`);
    const others: [string, string | null, string[]][] = [
      ['argus -r', argus, ['-r', file, '-w', '/dev/null']],
      ['softflowd -r', softflowd, ['-r', file, '-n', '127.0.0.1:9', '-d']],
      ['ndpiReader -i', ndpi, ['-i', file, '-q']],
    ];
    for (const [label, cmd, args] of others) {
      if (cmd === null) continue;
      const r = timeCmd(cmd, args, file);
      console.log(`  ${label.padEnd(19)} ${fmtM(packets / (r.ms / 1000))} packets/s, ${(r.ms / 1000).toFixed(2)} s, peak RSS ${(r.rssKb / 1024).toFixed(0)} MiB${r.ok ? '' : ' (exit status not 0)'}`);
    }
  }
  if (opt('memory', 1) === 0) return;
  console.log('\nmemory and expiry (one packet per connection, 1 µs apart; then the clock jumps past their timeout):');
  const cases: [number, string][] = [[10_000, 'udp'], [100_000, 'udp'], [1_000_000, 'udp'], [1_000_000, 'tcp'], [10_000_000, 'udp'], [10_000_000, 'tcp']];
  for (const [n, proto] of cases) {
    const m = child(['--child-mem', String(Math.round(n * Math.min(1, scale * 4))), proto], ['--expose-gc']);
    const fits = n >= 10_000_000 ? `, ${m.peakRssMiB! <= 2048 ? 'fits' : 'does not fit'} in 2 GiB` : '';
    console.log(`  ${String(m.n).padStart(8)} ${proto} entries: ${m.bytesPerConn!.toFixed(0)} bytes/connection, peak RSS ${m.peakRssMiB!.toFixed(0)} MiB${fits}; insert ${m.insertNs!.toFixed(0)} ns, refresh ${m.refreshNs!.toFixed(0)} ns, expire ${m.expireNs!.toFixed(0)} ns per entry`);
  }
  const adv = child(['--child-adv', '20000', '12']);
  console.log(`adversarial: ${adv.n} tuples colliding in ${adv.bits} hash bits under a known seed: ${fmtM(adv.knownSeedPps!)} packets/s with that seed, ${fmtM(adv.randomSeedPps!)} packets/s with a random seed`);
}

const [mode, a1, a2] = process.argv.slice(2);
if (mode === '--child-lib') childLib(a1!, Number(a2 ?? 2));
else if (mode === '--child-mem') childMem(Number(a1), a2 ?? 'udp');
else if (mode === '--child-adv') childAdversarial(Number(a1), Number(a2));
else main(process.argv.slice(2));
