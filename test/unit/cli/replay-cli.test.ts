/**
 * `ctscope replay` end to end: runs bin/ctscope.js in a child process on the
 * tutorial capture and on conformance scenario captures, and compares what it
 * prints with the kernel's golden recordings (test/conformance/golden/*.json)
 * or with values from the kernel's documented rules (default timeouts).
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const root = join(import.meta.dirname, '..', '..', '..', '..');
const bin = join(root, 'bin', 'ctscope.js');
const tutorial = join(root, 'examples', 'tutorial-telnet.pcap');
const scenario = (name: string): string => join(root, 'test', 'conformance', 'scenarios', `${name}.pcap`);

interface GoldenPacket {
  frame: number;
  ctstate: string;
  dir: string | null;
  log: string[];
  events: string[];
}
interface Golden {
  sysctls: Record<string, number>;
  packets: GoldenPacket[];
  table: string[];
  conntrackL: string[];
  stats: Record<string, number>;
}
function golden(name: string): Golden {
  return JSON.parse(readFileSync(join(root, 'test', 'conformance', 'golden', `${name}.json`), 'utf8')) as Golden;
}
function sysctlArgs(g: Golden): string[] {
  return Object.entries(g.sysctls).flatMap(([k, v]) => ['--sysctl', `${k}=${v}`]);
}

interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
}
function ctscope(args: string[], input?: Uint8Array): Run {
  const r = spawnSync(process.execPath, [bin, ...args], {
    cwd: root,
    encoding: 'utf8',
    ...(input !== undefined ? { input } : {}),
    maxBuffer: 64 << 20,
  });
  if (r.error) throw r.error;
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}
/** The same, without blocking: the per-scenario tests run a few at a time. */
function ctscopeAsync(args: string[]): Promise<Run> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [bin, ...args], { cwd: root, encoding: 'utf8', maxBuffer: 64 << 20 }, (err, stdout, stderr) => {
      if (err && typeof err.code !== 'number') {
        reject(err);
        return;
      }
      resolve({ status: err ? (err.code as number) : 0, stdout, stderr });
    });
  });
}
const PARALLEL = { concurrency: 4 };

function lines(s: string): string[] {
  return s.split('\n').filter((l) => l !== '');
}

/** Exit 2, nothing on stdout, exactly one `ctscope: ...` line on stderr, no stack trace. */
function assertUsageError(r: Run, mustMention?: string): void {
  assert.equal(r.status, 2, `exit code (stderr: ${r.stderr})`);
  assert.equal(r.stdout, '');
  assert.ok(r.stderr.endsWith('\n'), `stderr ends with a newline: ${JSON.stringify(r.stderr)}`);
  const ls = r.stderr.slice(0, -1).split('\n');
  assert.equal(ls.length, 1, `one line on stderr, got ${JSON.stringify(r.stderr)}`);
  assert.match(ls[0]!, /^ctscope: \S/);
  assert.doesNotMatch(r.stderr, /^\s+at /m);
  assert.doesNotMatch(r.stderr, /internal error|Error:|TypeError|RangeError/);
  if (mustMention !== undefined) assert.ok(ls[0]!.includes(mustMention), `${JSON.stringify(ls[0])} names ${mustMention}`);
}

// ---- timeouts within ±1 s ---------------------------------------------------

/** The line with its `col`-th whitespace-separated word (the timeout) taken out, and that number. */
function splitTimeout(line: string, col: number): { text: string; timeout: number } {
  const lead = line.length - line.trimStart().length;
  const parts = line.slice(lead).split(/( +)/);
  const n = Number(parts[col * 2]);
  parts[col * 2] = '<t>';
  return { text: line.slice(0, lead) + parts.join(''), timeout: n };
}
function sameWithin1s(a: string, b: string, col: number): boolean {
  if (a === b) return true;
  const x = splitTimeout(a, col);
  const y = splitTimeout(b, col);
  return x.text === y.text && Number.isInteger(x.timeout) && Number.isInteger(y.timeout) && Math.abs(x.timeout - y.timeout) <= 1;
}
/** Same multiset of lines, timeouts within ±1 s (the kernel lists in hash order, ctscope in creation order). */
function assertSameTable(ours: string[], kernel: string[], col: number, what: string): void {
  assert.equal(ours.length, kernel.length, `${what}: ${ours.length} lines, kernel ${kernel.length}\nours: ${ours.join('\n')}`);
  const left = [...kernel];
  for (const o of ours) {
    const i = left.findIndex((k) => sameWithin1s(o, k, col));
    assert.ok(i >= 0, `${what}: line not in the kernel's table:\n  ${o}\nkernel:\n  ${kernel.join('\n  ')}`);
    left.splice(i, 1);
  }
}

// ---- a tiny independent pcap walker (for cut copies) -------------------------

function pcapRecordOffsets(b: Uint8Array): number[] {
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const magic = dv.getUint32(0, true);
  const le = magic === 0xa1b2c3d4 || magic === 0xa1b23c4d;
  assert.ok(le || dv.getUint32(0, false) === 0xa1b2c3d4 || dv.getUint32(0, false) === 0xa1b23c4d, 'classic pcap');
  const out: number[] = [];
  for (let off = 24; off + 16 <= b.length;) {
    out.push(off);
    off += 16 + dv.getUint32(off + 8, le);
  }
  return out;
}
function firstTimestamp(b: Uint8Array): number {
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const le = dv.getUint32(0, true) === 0xa1b2c3d4;
  return dv.getUint32(24, le) + dv.getUint32(28, le) / 1e6;
}

const tmp = mkdtempSync(join(tmpdir(), 'ctscope-cli-'));
process.on('exit', () => rmSync(tmp, { recursive: true, force: true }));

// ---- errors -------------------------------------------------------------------

test('missing file: exit 2, one line naming the file', () => {
  const f = join(tmp, 'does-not-exist.pcap');
  assertUsageError(ctscope(['replay', f]), f);
});

test('a directory: exit 2, one line naming it', () => {
  assertUsageError(ctscope(['replay', tmp]), tmp);
});

test('an empty file: exit 2, one line naming it', () => {
  const f = join(tmp, 'empty.pcap');
  writeFileSync(f, new Uint8Array(0));
  assertUsageError(ctscope(['replay', f]), f);
});

test('a file that is not a capture: exit 2, one line naming it', () => {
  const f = join(tmp, 'notes.txt');
  writeFileSync(f, 'these are my notes, not a packet capture\n'.repeat(20));
  assertUsageError(ctscope(['replay', f]), f);
});

test('a file shorter than the pcap header: exit 2, one line naming it', () => {
  const f = join(tmp, 'short-header.pcap');
  writeFileSync(f, readFileSync(tutorial).subarray(0, 20));
  assertUsageError(ctscope(['replay', f]), f);
});

test('unknown option: exit 2, one line naming the option', () => {
  assertUsageError(ctscope(['replay', tutorial, '--bogus']), '--bogus');
  assertUsageError(ctscope(['replay', tutorial, '--table=xml']), '--table');
});

test('unknown sysctl name: exit 2, one line naming it', () => {
  assertUsageError(ctscope(['replay', tutorial, '--sysctl', 'net.netfilter.nf_conntrack_bogus=1']), 'nf_conntrack_bogus');
  assertUsageError(ctscope(['replay', tutorial, '--sysctl', 'nf_conntrack_udp_timeout']));
  assertUsageError(ctscope(['replay', tutorial, '--sysctl', 'nf_conntrack_udp_timeout=-3']));
});

test('unknown profile: exit 2', () => {
  assertUsageError(ctscope(['replay', tutorial, '--profile', 'linux-1.2']), 'linux-1.2');
});

test('bad --at values: exit 2', () => {
  assertUsageError(ctscope(['replay', tutorial, '--at', 'abc']), '--at');
  assertUsageError(ctscope(['replay', tutorial, '--at', '-1']), '--at');
  assertUsageError(ctscope(['replay', tutorial, '--at=']), '--at');
  assertUsageError(ctscope(['replay', tutorial, '--at']), '--at');
});

test('bad --zone: exit 2', () => {
  assertUsageError(ctscope(['replay', tutorial, '--zone', '70000']), '--zone');
});

test('no file argument, or two: exit 2', () => {
  assertUsageError(ctscope(['replay']));
  assertUsageError(ctscope(['replay', tutorial, tutorial]));
});

test('unknown command: exit 2, one line', () => {
  assertUsageError(ctscope(['frobnicate']), 'frobnicate');
});

// ---- truncated capture --------------------------------------------------------

// The golden event of tutorial_telnet's frame 3 (the handshake's last ACK): ESTABLISHED 432000 [ASSURED].
const TUTORIAL_AFTER_HANDSHAKE =
  'ipv4     2 tcp      6 432000 ESTABLISHED src=192.168.1.5 dst=192.168.1.35 sport=1031 dport=23 ' +
  'src=192.168.1.35 dst=192.168.1.5 sport=23 dport=1031 [ASSURED] mark=0 zone=0 use=2';

for (const [where, cutInto] of [['data', 16 + 10], ['record header', 7]] as const) {
  test(`a capture cut in the middle of a record's ${where}: exit 0, the packets before it, a warning with the offset`, () => {
    const full = readFileSync(tutorial);
    const offs = pcapRecordOffsets(full);
    assert.equal(offs.length, 38);
    const rec4 = offs[3]!;
    const f = join(tmp, `cut-${cutInto}.pcap`);
    writeFileSync(f, full.subarray(0, rec4 + cutInto));
    const r = ctscope(['replay', f]);
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(lines(r.stdout), [TUTORIAL_AFTER_HANDSHAKE]);
    const warn = lines(r.stderr).filter((l) => l.includes('warning'));
    assert.equal(warn.length, 1, r.stderr);
    assert.ok(warn[0]!.startsWith('ctscope: '), warn[0]);
    assert.ok(warn[0]!.includes(f), `warning names the file: ${warn[0]}`);
    assert.ok(warn[0]!.includes(`offset ${rec4}`), `warning gives the offset ${rec4}: ${warn[0]}`);
    assert.doesNotMatch(r.stderr, /^\s+at /m);
    // The same packets as a well-formed capture of the first 3 records.
    const g = join(tmp, `first3-${cutInto}.pcap`);
    writeFileSync(g, full.subarray(0, rec4));
    const ok = ctscope(['replay', g, '--packets']);
    const cut = ctscope(['replay', f, '--packets']);
    assert.equal(cut.stdout, ok.stdout);
    assert.equal(lines(cut.stdout).length, 4);
  });
}

// ---- tables vs golden -----------------------------------------------------------

const TABLE_SCENARIOS = [
  'tutorial_telnet', 'udp_stream', 'interleaved_flows', 'ipv6_tcp_handshake_close', 'tcp_midstream_pickup_loose1',
  'icmp_info_queries',
];

describe('tables vs the kernel', PARALLEL, () => {
  for (const name of TABLE_SCENARIOS) {
    test(`--table=proc equals the kernel's /proc/net/nf_conntrack for ${name} (timeouts ±1 s)`, async () => {
      const g = golden(name);
      const r = await ctscopeAsync(['replay', scenario(name), '--table=proc', ...sysctlArgs(g)]);
      assert.equal(r.status, 0, r.stderr);
      assertSameTable(lines(r.stdout), g.table, 4, name);
    });
    test(`--table=conntrack equals the kernel's conntrack -L for ${name} (timeouts ±1 s)`, async () => {
      const g = golden(name);
      const r = await ctscopeAsync(['replay', scenario(name), '--table=conntrack', ...sysctlArgs(g)]);
      assert.equal(r.status, 0, r.stderr);
      assertSameTable(lines(r.stdout), g.conntrackL, 2, name);
    });
  }
});

test('the default table is --table=proc; --table=none prints nothing', () => {
  const a = ctscope(['replay', scenario('udp_stream')]);
  const b = ctscope(['replay', scenario('udp_stream'), '--table=proc']);
  assert.equal(a.stdout, b.stdout);
  assert.equal(ctscope(['replay', scenario('udp_stream'), '--table=none']).stdout, '');
});

test('--table=json: one object per entry matching the kernel table', () => {
  const g = golden('interleaved_flows');
  const r = ctscope(['replay', scenario('interleaved_flows'), '--table=json']);
  assert.equal(r.status, 0);
  const objs = lines(r.stdout).map((l) => JSON.parse(l) as { protocol: string; original: { sport?: number } });
  assert.equal(objs.length, g.table.length);
  for (const o of objs) assert.ok(['tcp', 'udp', 'icmp', 'icmpv6'].includes(o.protocol), o.protocol);
});

// ---- per-packet JSON vs golden ---------------------------------------------------

const PACKET_SCENARIOS = [
  'tcp_handshake_fin_close', 'tcp_flags_syn_fin', 'udp_bad_checksum', 'icmp_untrackable_types', 'tcp_window_scaling',
  'tcp_simultaneous_open', 'icmpv6_mld', 'tcp_synack_without_syn', 'tcp_port_reuse_after_time_wait',
  'icmp_error_dest_unreach_tcp',
];

/** The TCP state named in an event line (`[NEW] tcp 6 120 SYN_SENT src=...`), or null. */
function eventState(ev: string): string | null {
  const w = ev.trim().split(/ +/);
  if (w[1] !== 'tcp') return null;
  return /^[A-Z_0-9]+$/.test(w[4] ?? '') ? w[4]! : null;
}

describe('per-packet verdicts vs the kernel', PARALLEL, () => {
  for (const name of PACKET_SCENARIOS) {
    test(`--packets=json matches the kernel's per-packet verdicts for ${name}`, async () => {
      const g = golden(name);
      const r = await ctscopeAsync(['replay', scenario(name), '--packets=json', '--table=none', ...sysctlArgs(g)]);
      assert.equal(r.status, 0, r.stderr);
      const objs = lines(r.stdout).map((l) => JSON.parse(l) as Record<string, unknown>);
      assert.equal(objs.length, g.packets.length);
      let lastTs = -Infinity;
      objs.forEach((o, i) => {
        const k = g.packets[i]!;
        const at = `${name} frame ${k.frame}`;
        assert.equal(o['frame'], i + 1, at);
        assert.equal(o['frame'], k.frame, at);
        assert.equal(typeof o['ts'], 'number', at);
        assert.ok((o['ts'] as number) >= lastTs, `${at}: ts goes forward`);
        lastTs = o['ts'] as number;
        assert.equal(o['ctstate'], k.ctstate === 'none' ? 'skipped' : k.ctstate, at);
        assert.equal(o['dir'], k.dir ?? undefined, at);
        assert.equal(o['reason'], k.log.length > 0 ? k.log.join('; ') : undefined, at);
        const evs = k.events.filter((e) => !e.includes('[DESTROY]'));
        const st = evs.length > 0 ? eventState(evs[evs.length - 1]!) : null;
        if (st !== null) assert.equal(o['state'], st, `${at}: state after the packet`);
      });
    });
  }
});

test('--packets (text) gives one line per frame, in order', () => {
  const g = golden('tcp_flags_syn_fin');
  const r = ctscope(['replay', scenario('tcp_flags_syn_fin'), '--packets', '--table=none']);
  const ls = lines(r.stdout);
  assert.equal(ls.length, g.packets.length);
  ls.forEach((l, i) => {
    const w = l.trim().split(/ +/);
    assert.equal(w[0], String(i + 1));
    assert.equal(w[2], g.packets[i]!.ctstate);
  });
  assert.ok(ls[7]!.includes('invalid tcp flag combination'));
});

// ---- events vs golden ---------------------------------------------------------------

const EVENT_SCENARIOS = [
  'tcp_handshake_fin_close', 'udp_stream', 'icmp_echo_request_reply', 'tcp_rst_in_syn_sent', 'tcp_port_reuse_after_time_wait',
  'tcp_midstream_pickup_loose1',
];

/** Event lines: `[TAG] l4name l4num timeout ...` (DESTROY lines carry no timeout: compare exactly). */
function eventTimeoutCol(ev: string): number {
  return ev.includes('[DESTROY]') ? -1 : 3;
}

describe('events vs the kernel', PARALLEL, () => {
  for (const name of EVENT_SCENARIOS) {
    test(`--events lines end with the kernel's event text for ${name}`, async () => {
      const g = golden(name);
      const r = await ctscopeAsync(['replay', scenario(name), '--events', '--table=none', ...sysctlArgs(g)]);
      assert.equal(r.status, 0, r.stderr);
      const ours = lines(r.stdout);
      const kernel = g.packets.flatMap((p) => p.events).map((l) => l.replace(/ \[USERSPACE\].*$/, ''));
      assert.equal(ours.length, kernel.length, `${name}: ${ours.length} events, kernel ${kernel.length}\n${ours.join('\n')}`);
      ours.forEach((l, i) => {
        const m = /^\[(\d+)\.(\d{6})\]\t(.*)$/.exec(l);
        assert.ok(m, `event line format: ${JSON.stringify(l)}`);
        const text = m[3]!;
        const k = kernel[i]!;
        const col = eventTimeoutCol(k);
        assert.ok(col < 0 ? text === k : sameWithin1s(text, k, col), `${name} event ${i + 1}:\n  ours   ${JSON.stringify(text)}\n  kernel ${JSON.stringify(k)}`);
        assert.ok(l.endsWith(text));
      });
    });
  }
});

test('--events=json: one object per event with type and entry', () => {
  const r = ctscope(['replay', scenario('tcp_handshake_fin_close'), '--events=json', '--table=none']);
  const objs = lines(r.stdout).map((l) => JSON.parse(l) as { ts: number; type: string; entry: { state: string } });
  assert.deepEqual(objs.map((o) => `${o.type} ${o.entry.state}`), golden('tcp_handshake_fin_close').packets
    .flatMap((p) => p.events).map((e) => {
      const w = e.trim().split(/ +/);
      return `${w[0]!.replace(/[[\]]/g, '')} ${w[4]}`;
    }));
});

// ---- --at ------------------------------------------------------------------------

test('--at 0.0015 on the tutorial: one SYN_RECV entry (60 s from the SYN/ACK at 0.001)', () => {
  const r = ctscope(['replay', tutorial, '--at', '0.0015']);
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(lines(r.stdout), [
    'ipv4     2 tcp      6 59 SYN_RECV src=192.168.1.5 dst=192.168.1.35 sport=1031 dport=23 ' +
    'src=192.168.1.35 dst=192.168.1.5 sport=23 dport=1031 mark=0 zone=0 use=2',
  ]);
});

test('--at 0 shows the entry of the first packet only (SYN_SENT 120 s)', () => {
  const r = ctscope(['replay', tutorial, '--at', '0', '--table=conntrack']);
  assert.deepEqual(lines(r.stdout), [
    'tcp      6 120 SYN_SENT src=192.168.1.5 dst=192.168.1.35 sport=1031 dport=23 [UNREPLIED] ' +
    'src=192.168.1.35 dst=192.168.1.5 sport=23 dport=1031 mark=0 use=1',
  ]);
});

test('--at after the last packet: TIME_WAIT counts down from 120 s, then the entry is gone', () => {
  // Last packet (the last ACK) at +0.191 s; TIME_WAIT lasts 120 s: the entry expires at +120.191 s.
  const at100 = ctscope(['replay', tutorial, '--at', '100']);
  assert.deepEqual(lines(at100.stdout).map((l) => l.split(/ +/).slice(4, 6).join(' ')), ['20 TIME_WAIT']);
  const at121 = ctscope(['replay', tutorial, '--at', '121']);
  assert.equal(at121.status, 0);
  assert.equal(at121.stdout, '');
  const far = ctscope(['replay', tutorial, '--at', '1000000', '--table=conntrack']);
  assert.equal(far.status, 0);
  assert.equal(far.stdout, '');
});

test('--at with --events: the DESTROY comes at the instant the entry expired', () => {
  const t0 = firstTimestamp(readFileSync(tutorial));
  const r = ctscope(['replay', tutorial, '--at', '500', '--events', '--table=none']);
  const ls = lines(r.stdout);
  const last = ls[ls.length - 1]!;
  assert.ok(last.includes('[DESTROY]'), last);
  assert.ok(last.includes('TIME_WAIT'), last);
  const m = /^\[(\d+\.\d{6})\]/.exec(last);
  assert.ok(m);
  assert.ok(Math.abs(Number(m[1]) - (t0 + 0.191 + 120)) < 1e-3, `DESTROY at ${m[1]}, want ${(t0 + 120.191).toFixed(6)}`);
  assert.equal(ls.filter((l) => l.includes('[DESTROY]')).length, 1);
});

test('--at stops the replay: packets after it are not processed', () => {
  const r = ctscope(['replay', tutorial, '--at', '0.0015', '--packets=json', '--table=none']);
  assert.deepEqual(lines(r.stdout).map((l) => (JSON.parse(l) as { frame: number }).frame), [1, 2]);
});

test('a UDP scenario expires by the kernel default: 30 s unreplied', () => {
  // udp_one_way: three unreplied datagrams; the entry lives 30 s after the last one.
  const g = golden('udp_one_way');
  assert.equal(g.table.length, 1);
  const base = ctscope(['replay', scenario('udp_one_way'), '--packets=json', '--table=none']);
  const ts = lines(base.stdout).map((l) => (JSON.parse(l) as { ts: number }).ts);
  const span = ts[ts.length - 1]! - ts[0]!;
  const before = ctscope(['replay', scenario('udp_one_way'), '--at', String(span + 29.5)]);
  assert.equal(lines(before.stdout).length, 1);
  assert.equal(lines(before.stdout)[0]!.split(/ +/)[4], '0');
  const after = ctscope(['replay', scenario('udp_one_way'), '--at', String(span + 30.5)]);
  assert.equal(after.stdout, '');
});

// ---- stdin -------------------------------------------------------------------------

test('stdin: `ctscope replay -` prints exactly what the file path prints', () => {
  for (const file of [tutorial, scenario('interleaved_flows')]) {
    const args = ['--packets=json', '--events', '--table=proc', '--stats'];
    const a = ctscope(['replay', file, ...args]);
    const b = ctscope(['replay', '-', ...args], readFileSync(file));
    assert.equal(a.status, 0);
    assert.equal(b.status, 0, b.stderr);
    assert.ok(a.stdout.length > 0);
    assert.equal(b.stdout, a.stdout);
  }
});

test('stdin that is not a capture: exit 2, one line naming stdin', () => {
  assertUsageError(ctscope(['replay', '-'], new TextEncoder().encode('GET / HTTP/1.1\r\n\r\n'.repeat(4))), 'stdin');
});

// ---- legacy format, help, stats, quiet, zone ---------------------------------------

test('--table=legacy --profile tutorial: the Iptables Tutorial\'s 2.4 line', () => {
  const r = ctscope(['replay', tutorial, '--profile', 'tutorial', '--table=legacy']);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(
    r.stdout,
    'tcp      6 120 TIME_WAIT src=192.168.1.5 dst=192.168.1.35 sport=1031 dport=23 ' +
    'src=192.168.1.35 dst=192.168.1.5 sport=23 dport=1031 [ASSURED] use=1 \n',
  );
});

test('--profile tutorial keeps CLOSE_WAIT 12 h (replay cut after the server ACKs the FIN)', () => {
  // Frames 35 (client FIN) and 36 (server ACK): CLOSE_WAIT. Tutorial: 12 h; 6.18 default: 60 s.
  const full = readFileSync(tutorial);
  const offs = pcapRecordOffsets(full);
  const f = join(tmp, 'tutorial-36.pcap');
  writeFileSync(f, full.subarray(0, offs[36]!));
  const tut = ctscope(['replay', f, '--profile', 'tutorial', '--table=legacy']);
  assert.match(tut.stdout, /^tcp {6}6 43200 CLOSE_WAIT /);
  const dflt = ctscope(['replay', f, '--table=legacy']);
  assert.match(dflt.stdout, /^tcp {6}6 60 CLOSE_WAIT /);
});

const REPLAY_OPTIONS_DOCUMENTED = [
  '--table', '--packets', '--events', '--at', '--stats', '--sysctl', '--profile', '--zone', '--quiet', '-q',
  'proc', 'conntrack', 'legacy', 'json', 'none',
];

test('replay --help: exit 0, usage on stdout, every option mentioned', () => {
  for (const args of [['replay', '--help'], ['replay', '-h'], ['replay', tutorial, '--help']]) {
    const r = ctscope(args);
    assert.equal(r.status, 0);
    assert.equal(r.stderr, '');
    assert.match(r.stdout, /^Usage: ctscope replay/);
    for (const o of REPLAY_OPTIONS_DOCUMENTED) assert.ok(r.stdout.includes(o), `replay --help mentions ${o}`);
  }
});

test('replay --help also documents -h/--help itself', () => {
  const r = ctscope(['replay', '--help']);
  assert.ok(r.stdout.includes('--help'), 'mentions --help');
  assert.ok(/(^|\s)-h[,\s]/m.test(r.stdout), 'mentions -h');
});

test('ctscope --help: exit 0, lists the replay command and its own options', () => {
  for (const a of ['--help', '-h', 'help']) {
    const r = ctscope([a]);
    assert.equal(r.status, 0);
    assert.equal(r.stderr, '');
    assert.match(r.stdout, /^Usage: ctscope/);
    for (const o of ['replay', '--help', '-h', '--version']) assert.ok(r.stdout.includes(o), `--help mentions ${o}`);
  }
  const none = ctscope([]);
  assert.equal(none.status, 2, 'no command at all is a usage error');
  assert.match(none.stdout, /^Usage: ctscope/);
});

test('--version: exit 0, one line', () => {
  const r = ctscope(['--version']);
  assert.equal(r.status, 0);
  assert.match(r.stdout, /^ctscope \d+\.\d+\.\d+/);
});

describe('conntrack -S counters vs the kernel', PARALLEL, () => {
  for (const name of ['tcp_invalid_flags_first_packet', 'udp_bad_checksum', 'tcp_midstream_pickup_loose0',
    'tcp_handshake_fin_close', 'icmp_bad_checksum']) {
    test(`--stats: a cpu=0 line whose invalid= and error= are the kernel's for ${name}`, async () => {
      const g = golden(name);
      const r = await ctscopeAsync(['replay', scenario(name), '--stats', '--table=none', ...sysctlArgs(g)]);
      assert.equal(r.status, 0, r.stderr);
      const ls = lines(r.stdout);
      assert.equal(ls.length, 1);
      assert.match(ls[0]!, /^cpu=0 {3}\t/);
      const num = (k: string): number => Number(new RegExp(`(?:^|\\s)${k}=(\\d+)`).exec(ls[0]!)?.[1]);
      assert.equal(num('invalid'), g.stats['invalid']);
      assert.equal(num('error'), g.stats['error']);
    });
  }
});

test('-q silences the summary, not the warnings', () => {
  const full = readFileSync(tutorial);
  const f = join(tmp, 'cut-q.pcap');
  writeFileSync(f, full.subarray(0, full.length - 5));
  const loud = ctscope(['replay', f]);
  const quiet = ctscope(['replay', f, '-q']);
  assert.equal(quiet.stdout, loud.stdout);
  assert.equal(lines(quiet.stderr).length, 1);
  assert.ok(quiet.stderr.includes('warning'));
  assert.ok(lines(loud.stderr).length >= 2);
  assert.equal(ctscope(['replay', tutorial, '--quiet']).stderr, '');
});

test('--zone N puts every entry in zone N', () => {
  const r = ctscope(['replay', scenario('udp_many_ports'), '--zone', '7']);
  const ls = lines(r.stdout);
  assert.equal(ls.length, golden('udp_many_ports').table.length);
  for (const l of ls) assert.ok(l.includes(' zone=7 '), l);
});

test('--sysctl changes the tracker: tcp_loose=0 refuses a mid-stream pickup', () => {
  const name = 'tcp_midstream_pickup_loose0';
  const with0 = ctscope(['replay', scenario(name), '--packets=json', '--table=none', '--sysctl', 'net.netfilter.nf_conntrack_tcp_loose=0']);
  const dflt = ctscope(['replay', scenario(name), '--packets=json', '--table=none']);
  const states = (r: Run): string[] => lines(r.stdout).map((l) => (JSON.parse(l) as { ctstate: string }).ctstate);
  assert.deepEqual(states(with0), golden(name).packets.map((p) => p.ctstate));
  assert.ok(states(dflt).includes('new'), 'with the default tcp_loose=1 the first ACK creates an entry');
});
