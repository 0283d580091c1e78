/**
 * `npm run fuzz [-- --packets N] [--seed N] [--batch N]`: robustness fuzzing,
 * independent of CI. Feeds at least 10^6 packets (default) to trackers with
 * several settings — defaults; checksums off (mutants reach the state
 * machines); a tiny table (nf_conntrack_max=64, 512 buckets: early drop and
 * table-full drops all the time);
 * the FTP and TFTP helpers — from three sources:
 *   random: a valid IPv4/IPv6 header and random L4 bytes of a random protocol;
 *   mutated: packets of every test/conformance/scenarios/*.pcap with bit flips,
 *            byte overwrites, truncation, extension, IP length edits, replayed
 *            in capture order so mutants meet live entries;
 *   floods:  SYN/UDP/ICMP floods and scans from tools/floods, some mutated.
 * The clock mostly advances, sometimes jumps (expiring most of the table),
 * rarely steps back. After every batch (default 5000 packets) the invariant
 * checker runs on every tracker: ConnTable.verify() (both tuples of every
 * entry hashed, counts, timers, kernel chains, nothing expired still visible)
 * and count <= nf_conntrack_max.
 *
 * Zero exceptions is the goal: a crash or a broken invariant is written to
 * test/fuzz/regressions/<name>.pcap (the batch up to the failing packet,
 * LINKTYPE_RAW) with <name>.json (the tracker's options), which `npm test`
 * replays (test/fuzz/regressions.test.ts). Exit status 1 if any was found.
 */
import { readFileSync, readdirSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { Conntrack, type ConntrackOptions } from '../../src/conntrack.js';
import { readCapture } from '../../src/io/capture-reader.js';
import { writePcap } from '../lib/pcap-writer.js';
import { floodBytes, FLOOD_KINDS } from '../floods/gen.js';
import { mulberry32 } from '../lib/prng.js';

const root = join(import.meta.dirname, '..', '..', '..');
const scenarioDir = join(root, 'test', 'conformance', 'scenarios');
export const REGRESSION_DIR = join(root, 'test', 'fuzz', 'regressions');

/** The tracker settings every packet goes through. */
export const CONFIGS: Array<{ name: string; options: ConntrackOptions }> = [
  { name: 'default', options: { hashSeed: 1 } },
  { name: 'nocsum', options: { hashSeed: 2, sysctl: { nf_conntrack_checksum: 0 } } },
  { name: 'tiny', options: { hashSeed: 3, sysctl: { nf_conntrack_checksum: 0, nf_conntrack_max: 64, nf_conntrack_buckets: 512 } } },
  { name: 'small', options: { hashSeed: 4, sysctl: { nf_conntrack_checksum: 0, nf_conntrack_max: 400, nf_conntrack_buckets: 1 } } },
  { name: 'helpers', options: { hashSeed: 5, helpers: ['ftp', 'tftp'], sysctl: { nf_conntrack_checksum: 0, nf_conntrack_tcp_be_liberal: 1 } } },
];

/** What is wrong with a tracker now, or null. */
export function checkInvariants(ct: Conntrack): string | null {
  const e = ct.engine;
  const bad = e.table.verify(e.nowMs);
  if (bad !== null) return bad;
  const max = ct.sysctl.nf_conntrack_max;
  if (max > 0 && ct.count > max) return `count ${ct.count} > nf_conntrack_max ${max}`;
  return null;
}


class Rng {
  readonly next: () => number;
  constructor(seed: number) {
    this.next = mulberry32(seed);
  }
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
  pick<T>(a: readonly T[]): T {
    return a[this.int(a.length)]!;
  }
}

function ipv4Checksum(b: Uint8Array): void {
  if (b.length < 20 || b[0]! >> 4 !== 4) return;
  const ihl = Math.min((b[0]! & 15) * 4, b.length);
  b[10] = 0;
  b[11] = 0;
  let s = 0;
  for (let i = 0; i + 1 < ihl; i += 2) s += (b[i]! << 8) | b[i + 1]!;
  while (s > 0xffff) s = (s & 0xffff) + (s >>> 16);
  const c = ~s & 0xffff;
  b[10] = c >> 8;
  b[11] = c & 0xff;
}

const PROTOS = [6, 17, 1, 58, 136, 47, 132, 0, 43, 44, 60, 51, 59, 41, 4];

function randomPacket(rng: Rng): Uint8Array {
  const v6 = rng.chance(0.3);
  const l4len = rng.chance(0.1) ? rng.int(4) : rng.int(80);
  const proto = rng.pick(PROTOS);
  const hl = v6 ? 40 : 20;
  const b = new Uint8Array(hl + l4len);
  for (let i = hl; i < b.length; i++) b[i] = rng.int(256);
  // Few hosts and ports, so random packets hit each other's entries.
  const host = (): number => rng.int(4);
  if (v6) {
    b[0] = 0x60;
    b[4] = l4len >> 8;
    b[5] = l4len & 0xff;
    b[6] = proto;
    b[7] = rng.chance(0.5) ? 255 : 64;
    b[8] = 0xfe;
    b[9] = 0x80;
    b[23] = host();
    b[24] = 0xfe;
    b[25] = 0x80;
    b[39] = host();
  } else {
    b[0] = 0x45;
    b[2] = b.length >> 8;
    b[3] = b.length & 0xff;
    b[8] = 64;
    b[9] = proto;
    b[12] = 10;
    b[15] = host();
    b[16] = 10;
    b[19] = host();
    if (rng.chance(0.05)) b[6] = rng.int(256); // fragments
  }
  if ((proto === 6 || proto === 17 || proto === 132 || proto === 136) && l4len >= 4) {
    b[hl] = 0;
    b[hl + 1] = rng.pick([21, 69, 80, 1024]);
    b[hl + 2] = 0;
    b[hl + 3] = rng.pick([21, 69, 80, 1024]);
  }
  if (!v6) ipv4Checksum(b);
  return b;
}

function mutate(rng: Rng, src: Uint8Array): Uint8Array {
  let b = src.slice();
  const n = 1 + rng.int(4);
  for (let k = 0; k < n; k++) {
    const r = rng.int(6);
    if (b.length === 0) break;
    if (r === 0) b[rng.int(b.length)]! ^= 1 << rng.int(8);
    else if (r === 1) b[rng.int(b.length)] = rng.int(256);
    else if (r === 2) b = b.slice(0, rng.int(b.length + 1));
    else if (r === 3) {
      const c = new Uint8Array(b.length + 1 + rng.int(40));
      c.set(b);
      for (let i = b.length; i < c.length; i++) c[i] = rng.int(256);
      b = c;
    } else if (r === 4 && b.length >= 4) {
      // IP total / payload length edits
      const v = rng.int(0x10000);
      const at = b[0]! >> 4 === 6 ? 4 : 2;
      b[at] = v >> 8;
      b[at + 1] = v & 0xff;
    } else if (r === 5 && b.length > 24) {
      // an L4 header byte (flags, ports, types)
      const hl = b[0]! >> 4 === 6 ? 40 : (b[0]! & 15) * 4;
      if (hl < b.length) b[hl + rng.int(Math.min(20, b.length - hl))] = rng.int(256);
    }
  }
  if (rng.chance(0.8)) ipv4Checksum(b);
  return b;
}

function loadPackets(bytes: Uint8Array): Uint8Array[] {
  const out: Uint8Array[] = [];
  readCapture(bytes, (f) => {
    // Strip a link header: keep from the first byte that looks like IPv4/IPv6.
    let off = f.offset;
    if (f.linkType === 1) off += 14;
    else if (f.linkType === 113) off += 16;
    else if (f.linkType === 276) off += 20;
    else if (f.linkType === 0 || f.linkType === 108) off += 4;
    out.push(f.buf.slice(off, f.offset + f.caplen));
  });
  return out;
}

export function scenarioPackets(): Uint8Array[][] {
  const out: Uint8Array[][] = [];
  for (const name of readdirSync(scenarioDir).sort()) {
    if (!name.endsWith('.pcap')) continue;
    try {
      out.push(loadPackets(new Uint8Array(readFileSync(join(scenarioDir, name)))));
    } catch {
      // unreadable seeds are skipped
    }
  }
  return out;
}

interface Failure {
  config: string;
  message: string;
  file: string;
}

/** Runs `total` packets through every config; returns the failures (each saved as a regression). */
export function fuzz(total: number, seed: number, batch: number, log: (s: string) => void): Failure[] {
  const rng = new Rng(seed);
  const seeds = scenarioPackets();
  const floods = FLOOD_KINDS.map((kind, i) => loadPackets(floodBytes({ kind, packets: 2000, legit: 5, seed: seed + i, pps: 2000 })));
  const trackers = CONFIGS.map((c) => new Conntrack(c.options));
  const events = trackers.map(() => 0);
  trackers.forEach((ct, i) => ct.on('event', () => events[i]!++));
  const failures: Failure[] = [];
  const batchPackets: Array<{ bytes: Uint8Array; time: number }> = [];
  let clock = 1_767_225_600;
  let fed = 0;
  const outcomes = new Map<string, number>();
  const started = performance.now();

  const save = (which: number, message: string): void => {
    const cfg = CONFIGS[which]!;
    const records = batchPackets.map((p) => ({ tsUs: Math.round(p.time * 1e6), data: p.bytes }));
    const pcap = writePcap(records);
    const name = `${cfg.name}-${createHash('sha1').update(pcap).digest('hex').slice(0, 12)}`;
    mkdirSync(REGRESSION_DIR, { recursive: true });
    const file = join(REGRESSION_DIR, `${name}.pcap`);
    writeFileSync(file, pcap);
    writeFileSync(join(REGRESSION_DIR, `${name}.json`), JSON.stringify({ options: cfg.options, message }, null, 2) + '\n');
    failures.push({ config: cfg.name, message, file });
    log(`FAIL ${cfg.name}: ${message}\n  saved ${file}`);
    // Carry on with a fresh tracker for this config.
    trackers[which] = new Conntrack(cfg.options);
  };

  const feed = (bytes: Uint8Array): void => {
    const r = rng.next();
    if (r < 0.9) clock += rng.next() * 0.01;
    else if (r < 0.995) clock += rng.next() * 0.5;
    else if (r < 0.9995) clock += rng.next() * 400;
    else clock -= rng.next() * 5;
    batchPackets.push({ bytes, time: clock });
    for (let i = 0; i < trackers.length; i++) {
      try {
        const res = trackers[i]!.processPacket(bytes, clock);
        const o = res.outcome;
        outcomes.set(o, (outcomes.get(o) ?? 0) + 1);
        res.reasons();
      } catch (e) {
        save(i, `exception: ${e instanceof Error ? e.stack ?? e.message : String(e)}`);
      }
    }
    fed++;
    if (batchPackets.length >= batch) endBatch();
  };

  const endBatch = (): void => {
    for (let i = 0; i < trackers.length; i++) {
      let bad: string | null;
      try {
        bad = checkInvariants(trackers[i]!);
        trackers[i]!.entries();
      } catch (e) {
        bad = `exception in the checker: ${String(e)}`;
      }
      if (bad !== null) save(i, `invariant: ${bad}`);
    }
    batchPackets.length = 0;
  };

  let lastReport = 0;
  while (fed < total) {
    const r = rng.next();
    if (r < 0.35) {
      feed(randomPacket(rng));
    } else if (r < 0.8) {
      // A whole scenario, mostly mutated, in order.
      const pkts = rng.pick(seeds);
      const rate = rng.next();
      for (const p of pkts) feed(rng.chance(rate) ? mutate(rng, p) : p);
    } else {
      // A slice of a flood, some mutated.
      const pkts = rng.pick(floods);
      const start = rng.int(pkts.length);
      const len = 50 + rng.int(500);
      for (let k = 0; k < len; k++) {
        const p = pkts[(start + k) % pkts.length]!;
        feed(rng.chance(0.1) ? mutate(rng, p) : p);
      }
    }
    if (fed - lastReport >= 200_000) {
      lastReport = fed;
      const s = (performance.now() - started) / 1000;
      log(`${fed} packets x ${trackers.length} trackers, ${s.toFixed(1)} s, ${failures.length} failures; entries ${trackers.map((t) => t.count).join('/')}`);
    }
  }
  endBatch();
  const s = (performance.now() - started) / 1000;
  log(`done: ${fed} packets x ${trackers.length} trackers in ${s.toFixed(1)} s, ${failures.length} failures`);
  log(`outcomes: ${[...outcomes].map(([k, v]) => `${k} ${v}`).join(', ')}; events ${events.join('/')}`);
  log(`stats: ${trackers.map((t, i) => `${CONFIGS[i]!.name} early_drop=${t.stats['early_drop']} drop=${t.stats['drop']} chaintoolong=${t.stats['chaintoolong']} invalid=${t.stats['invalid']}`).join('; ')}`);
  return failures;
}

function main(argv: string[]): number {
  let total = 1_000_000;
  let seed = 1;
  let batch = 5000;
  for (let i = 0; i < argv.length; i += 2) {
    const v = Number(argv[i + 1]);
    if (argv[i] === '--packets') total = v;
    else if (argv[i] === '--seed') seed = v;
    else if (argv[i] === '--batch') batch = v;
    else {
      process.stderr.write('usage: fuzz.js [--packets N] [--seed N] [--batch N]\n');
      return 2;
    }
  }
  const failures = fuzz(total, seed, batch, (s) => process.stdout.write(`${s}\n`));
  return failures.length === 0 ? 0 : 1;
}

if (process.argv[1] !== undefined && import.meta.filename === process.argv[1]) process.exitCode = main(process.argv.slice(2));
