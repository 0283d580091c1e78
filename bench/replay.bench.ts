/**
 * `npm run bench`: how fast ctscope tracks a capture. Generates a deterministic
 * mixed capture (IPv4 TCP flows with handshake, data both ways and FIN/RST
 * closes, UDP request/response, ICMP echo, some IPv6), then measures
 *   - the library on in-memory frames (packets/s),
 *   - `ctscope replay FILE --table=none --stats` end to end (packets/s, MB/s),
 *   - peak RSS of the end-to-end run.
 * Usage: npm run bench [-- PACKETS]   (default 1,000,000)
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir, cpus } from 'node:os';
import { join } from 'node:path';
import { Conntrack } from '../src/conntrack.js';
import { readCapture } from '../src/io/capture-reader.js';
import { TCP_FLAGS, tcp, udp, icmp, type IpSpec } from '../tools/lib/packet-builder.js';
import { writePcap, LINKTYPE_RAW, type PcapRecord } from '../tools/lib/pcap-writer.js';

const target = Number(process.argv[2] ?? 1_000_000);
const { SYN, ACK, FIN, PSH, RST } = TCP_FLAGS;
const payload = new Uint8Array(200).fill(0x61);

/** One flow's packets, appended to `out` interleaved by the caller. */
function tcpFlow(i: number, v6: boolean, dataPackets: number, rst: boolean): Uint8Array[] {
  const c: IpSpec = v6 ? { src: `2001:db8::${(i % 60000).toString(16)}`, dst: '2001:db8:1::1' } : { src: `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`, dst: '192.168.100.1' };
  const s: IpSpec = { src: c.dst, dst: c.src };
  const sport = 1024 + (i % 60000);
  let cs = 1000;
  let ss = 5000;
  const out: Uint8Array[] = [];
  out.push(tcp(c, { sport, dport: 80, seq: cs, flags: SYN, win: 65535 }));
  out.push(tcp(s, { sport: 80, dport: sport, seq: ss, ack: cs + 1, flags: SYN | ACK, win: 65535 }));
  cs++; ss++;
  out.push(tcp(c, { sport, dport: 80, seq: cs, ack: ss, flags: ACK, win: 65535 }));
  for (let k = 0; k < dataPackets; k++) {
    if (k % 2 === 0) {
      out.push(tcp(c, { sport, dport: 80, seq: cs, ack: ss, flags: ACK | PSH, win: 65535, payload }));
      cs += payload.length;
    } else {
      out.push(tcp(s, { sport: 80, dport: sport, seq: ss, ack: cs, flags: ACK | PSH, win: 65535, payload }));
      ss += payload.length;
    }
  }
  if (rst) {
    out.push(tcp(c, { sport, dport: 80, seq: cs, ack: ss, flags: RST | ACK, win: 0 }));
  } else {
    out.push(tcp(c, { sport, dport: 80, seq: cs, ack: ss, flags: FIN | ACK, win: 65535 }));
    out.push(tcp(s, { sport: 80, dport: sport, seq: ss, ack: cs + 1, flags: FIN | ACK, win: 65535 }));
    out.push(tcp(c, { sport, dport: 80, seq: cs + 1, ack: ss + 1, flags: ACK, win: 65535 }));
  }
  return out;
}

function udpFlow(i: number): Uint8Array[] {
  const c: IpSpec = { src: `172.16.${(i >> 8) & 255}.${i & 255}`, dst: '192.168.200.53' };
  const s: IpSpec = { src: c.dst, dst: c.src };
  const sport = 2000 + (i % 50000);
  return [udp(c, { sport, dport: 53, payload: payload.subarray(0, 40) }), udp(s, { sport: 53, dport: sport, payload: payload.subarray(0, 120) })];
}

function icmpFlow(i: number): Uint8Array[] {
  const c: IpSpec = { src: `172.17.${(i >> 8) & 255}.${i & 255}`, dst: '192.168.201.1' };
  const s: IpSpec = { src: c.dst, dst: c.src };
  return [icmp(c, { type: 8, code: 0, id: i & 0xffff, seq: 1 }), icmp(s, { type: 0, code: 0, id: i & 0xffff, seq: 1 })];
}

/** Interleaves flows with ~50 concurrent, 100 µs apart. */
function generate(n: number): { bytes: Uint8Array; packets: number } {
  const records: PcapRecord[] = [];
  const active: Uint8Array[][] = [];
  let flow = 0;
  let t = 1_767_225_600 * 1e6;
  while (records.length < n) {
    while (active.length < 50) {
      const kind = flow % 10;
      active.push(kind < 7 ? tcpFlow(flow, kind === 6, 4 + (flow % 7), flow % 13 === 0) : kind < 9 ? udpFlow(flow) : icmpFlow(flow));
      flow++;
    }
    const pick = (records.length * 7919) % active.length;
    const f = active[pick]!;
    const pkt = f.shift()!;
    records.push({ tsUs: t, data: pkt });
    t += 100;
    if (f.length === 0) active.splice(pick, 1);
  }
  return { bytes: writePcap(records, LINKTYPE_RAW), packets: records.length };
}

const g0 = performance.now();
const { bytes, packets } = generate(target);
const genMs = performance.now() - g0;
console.log(`workload: ${packets} packets, ${(bytes.length / 1e6).toFixed(1)} MB (generated in ${(genMs / 1000).toFixed(1)} s)`);
console.log(`machine: ${cpus()[0]?.model ?? 'unknown'}, ${cpus().length} cores, Node ${process.version}`);

// Library, in memory: reading frames + full tracking.
for (let round = 0; round < 3; round++) {
  const ct = new Conntrack();
  const t0 = performance.now();
  readCapture(bytes, (f) => {
    ct.processFrame(f);
  });
  const ms = performance.now() - t0;
  console.log(`library (in memory), run ${round + 1}: ${(packets / ms / 1000).toFixed(2)} M packets/s, ${ct.count} entries at the end`);
}

// End to end through the CLI.
const dir = mkdtempSync(join(tmpdir(), 'ctscope-bench-'));
try {
  const file = join(dir, 'mixed.pcap');
  writeFileSync(file, bytes);
  const bin = join(import.meta.dirname, '..', '..', 'bin', 'ctscope.js');
  const t0 = performance.now();
  const r = spawnSync('/usr/bin/env', ['time', '-f', '%M', process.execPath, bin, 'replay', file, '--table=none', '--stats', '-q'], { encoding: 'utf8' });
  const ms = performance.now() - t0;
  const rssKb = Number(r.stderr.trim().split('\n').pop());
  console.log(`replay end to end: ${(packets / ms / 1000).toFixed(2)} M packets/s, ${(bytes.length / 1e6 / (ms / 1000)).toFixed(0)} MB/s, ` +
    `${(ms / 1000).toFixed(2)} s${Number.isFinite(rssKb) ? `, peak RSS ${(rssKb / 1024).toFixed(0)} MiB` : ''}`);
  console.log(`  stats: ${r.stdout.trim()}`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
