/**
 * IPFIX round trip through a real collector: Debian's nfcapd (nfdump package) on
 * 127.0.0.1, spawned here in a temporary directory and stopped after each capture.
 * Each capture is replayed with IPFIX export (`ctscope replay --ipfix` when replay
 * has the option, else the same library path: attachIpfix), then
 * `nfdump -r FILE -o json` and `-o raw` must show the same flows — addresses, ports
 * (ICMP type/code), protocol, first/last in ms, packets and bytes each way, end
 * reason, biflow direction — as `ctscope replay --flows` for the same capture.
 * Skipped, with a message, when nfcapd/nfdump are not installed (apt-get install nfdump).
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Conntrack } from '../../../src/conntrack.js';
import { readCapture } from '../../../src/io/capture-reader.js';
import type { FlowRecord } from '../../../src/flow/flows.js';
import { flowEndReason } from '../../../src/flow/ipfix.js';
import { attachIpfix } from '../../../src/cli/conntrack/ipfix-hook.js';
import { REPLAY_OPTIONS } from '../../../src/cli/replay.js';

const root = join(import.meta.dirname, '..', '..', '..', '..');
const bin = join(root, 'bin', 'ctscope.js');
const scenario = (n: string): string => join(root, 'test', 'conformance', 'scenarios', `${n}.pcap`);

function have(cmd: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${cmd}`], { encoding: 'utf8' }).status === 0;
}
const missing = ['nfcapd', 'nfdump'].filter((c) => !have(c));
const skip = missing.length > 0 ? `${missing.join(' and ')} not installed (apt-get install nfdump): IPFIX round trip skipped` : false;
if (skip) process.stderr.write(`ipfix-nfcapd: ${skip}\n`);

const CASES: { name: string; file: string; at?: number; reasons?: string[] }[] = [
  { name: 'interleaved_flows (30 TCP/UDP flows)', file: scenario('interleaved_flows') },
  { name: 'tutorial-telnet', file: join(root, 'examples', 'tutorial-telnet.pcap') },
  { name: 'merged conntrack fixture (IPv6, ICMP, ICMPv6, UDP-Lite, ESP)', file: join(root, 'test', 'fixtures', 'conntrack', 'merged.pcap') },
  { name: 'RST, then expiry (--at 3600)', file: scenario('tcp_rst_in_established_client'), at: 3600, reasons: ['rst'] },
  { name: 'UDP idle timeout (--at 100)', file: scenario('udp_one_way'), at: 100, reasons: ['timeout'] },
  { name: 'port reuse after TIME_WAIT', file: scenario('tcp_port_reuse_after_time_wait'), reasons: ['reopen', 'end-of-capture'] },
];

async function freeUdpPort(): Promise<number> {
  const s = createSocket('udp4');
  await new Promise<void>((r) => s.bind(0, '127.0.0.1', () => r()));
  const port = s.address().port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

interface Collector {
  dir: string;
  port: number;
  stop(): Promise<string>;
}

async function startNfcapd(): Promise<Collector> {
  const dir = mkdtempSync(join(tmpdir(), 'ctscope-nfcapd-'));
  const port = await freeUdpPort();
  const child: ChildProcess = spawn('nfcapd', ['-w', dir, '-b', '127.0.0.1', '-p', String(port)], { stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`nfcapd did not start:\n${log}`)), 10000);
    const onData = (d: Buffer): void => {
      log += d.toString();
      if (/Startup nfcapd|Bound to/.test(log)) {
        clearTimeout(timer);
        setTimeout(resolve, 100);
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`nfcapd exited (${code}):\n${log}`));
    });
  });
  return {
    dir,
    port,
    async stop(): Promise<string> {
      await new Promise((r) => setTimeout(r, 300)); // let it read the last datagrams
      child.kill('SIGTERM');
      await exited;
      const files = readdirSync(dir).filter((n) => /^nfcapd\.\d{12}$/.test(n));
      assert.equal(files.length, 1, `nfcapd wrote ${readdirSync(dir).join(', ')}\n${log}`);
      return join(dir, files[0]!);
    },
  };
}

/** ctscope's own flow records (--flows), as the reference. */
function ctscopeFlows(file: string, at: number | undefined, dir: string): FlowRecord[] {
  const out = join(dir, 'flows.jsonl');
  const r = spawnSync(process.execPath, [bin, 'replay', file, '--flows', out, '--table=none', '-q', ...(at !== undefined ? ['--at', String(at)] : [])], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return readFileSync(out, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as FlowRecord);
}

/** IPFIX export of a capture to 127.0.0.1:port: through the CLI when replay has --ipfix, else the library path. */
async function exportIpfix(file: string, at: number | undefined, port: number): Promise<void> {
  if ('ipfix' in REPLAY_OPTIONS) {
    const r = spawnSync(process.execPath, [bin, 'replay', file, '--ipfix', `127.0.0.1:${port}`, '--table=none', '-q', ...(at !== undefined ? ['--at', String(at)] : [])], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    return;
  }
  const ct = new Conntrack();
  const ipfix = await attachIpfix(ct, `127.0.0.1:${port}`);
  let t0 = -1;
  let stopAt = Infinity;
  readCapture(new Uint8Array(readFileSync(file)), (f) => {
    const ts = f.tsSec + f.tsNsec / 1e9;
    if (t0 < 0) {
      t0 = ts;
      if (at !== undefined) stopAt = t0 + at;
    }
    if (ts > stopAt) return false;
    ct.processFrame(f);
    return true;
  });
  if (at !== undefined && t0 >= 0) ct.advance(t0 + at);
  await ipfix.finish();
}

interface NfFlow {
  first: string;
  last: string;
  proto: number;
  src4_addr?: string;
  dst4_addr?: string;
  src6_addr?: string;
  dst6_addr?: string;
  src_port?: number;
  dst_port?: number;
  icmp_type?: number;
  icmp_code?: number;
  in_packets: number;
  in_bytes: number;
  out_packets?: number;
  out_bytes?: number;
}

function nfdump(file: string, format: string): string {
  const r = spawnSync('nfdump', ['-r', file, '-o', format], { encoding: 'utf8', env: { ...process.env, TZ: 'UTC' }, maxBuffer: 64 << 20 });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout;
}

/** One comparable line per flow, from either side. */
function key(f: { src: string; dst: string; proto: number; sport: number; dport: number; first: number; last: number; op: number; ob: number; rp: number; rb: number }): string {
  return `${f.src} ${f.dst} p${f.proto} ${f.sport}>${f.dport} ${f.first}-${f.last} orig ${f.op}/${f.ob} reply ${f.rp}/${f.rb}`;
}

describe('IPFIX round trip through nfcapd/nfdump', { skip }, () => {
  for (const c of CASES) {
    test(c.name, async () => {
      const collector = await startNfcapd();
      try {
        const expected = ctscopeFlows(c.file, c.at, collector.dir);
        if (c.reasons) assert.deepEqual([...new Set(expected.map((f) => f.reason))].sort(), [...c.reasons].sort());
        await exportIpfix(c.file, c.at, collector.port);
        const nffile = await collector.stop();

        const got = JSON.parse(nfdump(nffile, 'json')) as NfFlow[];
        const icmp = (p: number): boolean => p === 1 || p === 58;
        const mine = expected.map((f) => key({
          src: f.src, dst: f.dst, proto: f.protonum, sport: f.sport, dport: f.dport,
          first: Math.round(f.start * 1000), last: Math.round(f.end * 1000),
          op: f.origPackets, ob: f.origBytes, rp: f.replyPackets, rb: f.replyBytes,
        })).sort();
        const theirs = got.map((n) => key({
          src: n.src4_addr ?? n.src6_addr ?? '?', dst: n.dst4_addr ?? n.dst6_addr ?? '?', proto: n.proto,
          sport: icmp(n.proto) ? n.icmp_type ?? -1 : n.src_port ?? -1, dport: icmp(n.proto) ? n.icmp_code ?? -1 : n.dst_port ?? -1,
          first: Date.parse(`${n.first}Z`), last: Date.parse(`${n.last}Z`),
          op: n.in_packets, ob: n.in_bytes, rp: n.out_packets ?? 0, rb: n.out_bytes ?? 0,
        })).sort();
        assert.deepEqual(theirs, mine);

        // flowEndReason and biflowDirection: nfdump prints them in its raw format only.
        const raw = nfdump(nffile, 'raw');
        const reasons = [...raw.matchAll(/end reason\s+=\s+0x([0-9a-f]+)/g)].map((m) => parseInt(m[1]!, 16)).sort();
        assert.deepEqual(reasons, expected.map((f) => flowEndReason(f.reason, f.state)).sort());
        const dirs = [...raw.matchAll(/biFlow Dir\s+=\s+0x([0-9a-f]+)/g)].map((m) => parseInt(m[1]!, 16));
        assert.deepEqual(dirs, expected.map(() => 1));
      } finally {
        rmSync(collector.dir, { recursive: true, force: true });
      }
    });
  }
});
