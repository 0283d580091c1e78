/**
 * `replay --invalid`: which packets are listed, with what, and which sysctl
 * would have accepted them. Expected answers come from the kernel: for every
 * scenario recorded twice from the same capture — once with default sysctls
 * and once with one setting changed — the packets ctscope says are "accepted
 * with" that setting must be exactly those the kernel flagged in the first
 * recording and accepted silently in the second.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join } from 'node:path';

const root = join(import.meta.dirname, '..', '..', '..', '..');
const scen = join(root, 'test', 'conformance', 'scenarios');
const gold = join(root, 'test', 'conformance', 'golden');

interface Scenario { name: string; sysctls: Record<string, number> }
interface GoldenPacket { frame: number; ctstate: string; log: string[] }
interface Listed {
  frame: number; outcome: string; reason?: string; acceptedWith: string[]; entryState: string | null;
  detail?: { check: string; bound: number; by: number; seq: number; sack: number; end: number };
}

const manifest = JSON.parse(readFileSync(join(scen, 'manifest.json'), 'utf8')) as Scenario[];
const golden = (name: string): GoldenPacket[] => (JSON.parse(readFileSync(join(gold, `${name}.json`), 'utf8')) as { packets: GoldenPacket[] }).packets;

function listed(name: string, extra: string[] = []): Listed[] {
  const r = spawnSync(process.execPath, [join(root, 'bin', 'ctscope.js'), 'replay', join(scen, `${name}.pcap`), '--invalid=json', ...extra], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout.trim() === '' ? [] : r.stdout.trim().split('\n').map((l) => JSON.parse(l) as Listed);
}

const flaggedByKernel = (p: GoldenPacket): boolean => p.ctstate === 'invalid' || p.log.length > 0;
const acceptedByKernel = (p: GoldenPacket): boolean => p.ctstate !== 'invalid' && p.ctstate !== 'none' && p.log.length === 0;

// Pairs: same capture bytes, the variant differs by exactly one sysctl.
const byDigest = new Map<string, Scenario[]>();
for (const s of manifest) {
  const d = createHash('sha256').update(readFileSync(join(scen, `${s.name}.pcap`))).digest('hex');
  byDigest.set(d, [...(byDigest.get(d) ?? []), s]);
}
const pairs: Array<{ base: Scenario; variant: Scenario; setting: string }> = [];
for (const group of byDigest.values()) {
  const base = group.find((s) => Object.keys(s.sysctls).length === 0);
  if (base === undefined) continue;
  for (const v of group) {
    const keys = Object.entries(v.sysctls);
    if (keys.length !== 1) continue;
    const [name, value] = keys[0]!;
    pairs.push({ base, variant: v, setting: `${name.startsWith('net.') ? name : 'net.netfilter.' + name}=${value}` });
  }
}

test('there are scenario pairs to check the what-if against', () => {
  assert.ok(pairs.length >= 1, 'no base/variant scenario pairs in the corpus');
});

for (const { base, variant, setting } of pairs) {
  test(`--invalid on ${base.name}: "accepted with ${setting}" is what the kernel did in ${variant.name}`, () => {
    const kb = golden(base.name);
    const kv = golden(variant.name);
    const ours = listed(base.name);
    // Listed packets = the kernel's flagged packets (invalid or logged).
    assert.deepEqual(ours.map((l) => l.frame), kb.filter(flaggedByKernel).map((p) => p.frame));
    for (const l of ours) {
      const want = acceptedByKernel(kv.find((p) => p.frame === l.frame)!);
      assert.equal(l.acceptedWith.includes(setting), want, `frame ${l.frame}: kernel ${want ? 'accepted' : 'did not accept'} it with ${setting}`);
      // The message is the kernel's, and the outcome follows its ctstate.
      const k = kb.find((p) => p.frame === l.frame)!;
      assert.equal(l.reason ?? '', k.log.join('; '));
      assert.equal(l.outcome, k.ctstate === 'invalid' ? 'invalid' : 'ignored');
    }
  });
}

test('window-check detail: the bound is the number in the kernel message and the offset is consistent', () => {
  let checked = 0;
  for (const s of manifest.filter((m) => Object.keys(m.sysctls).length === 0 && m.name.startsWith('tcp_'))) {
    for (const l of listed(s.name)) {
      if (l.detail === undefined) continue;
      checked++;
      // "N bytes more than expected" prints the overshoot; the others print the bound.
      const printed = l.reason!.includes('bytes more') ? l.detail.by : l.detail.bound;
      assert.ok(l.reason!.includes(String(printed)), `${s.name} frame ${l.frame}: ${printed} in "${l.reason}"`);
      const d = l.detail;
      const u = (x: number): number => x >>> 0;
      // Bound I: seq <= bound - 1; III: sack <= bound - 1; II: end > bound; IV: sack > bound.
      if (d.check === 'I' && !l.reason!.includes('bytes more')) assert.equal(u(d.seq - d.by), u(d.bound - 1));
      if (d.check === 'III') assert.equal(u(d.sack - d.by), u(d.bound - 1));
      if (d.check === 'II') assert.equal(u(d.end + d.by), u(d.bound + 1));
      if (d.check === 'IV') assert.equal(u(d.sack + d.by), u(d.bound + 1));
    }
  }
  assert.ok(checked >= 3, `only ${checked} window-check messages found in the corpus`);
});

test('--invalid text names the entry state, the message and the summary', () => {
  const r = spawnSync(process.execPath, [join(root, 'bin', 'ctscope.js'), 'replay', join(scen, 'tcp_bad_checksum.pcap'), '--invalid'], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const k = golden('tcp_bad_checksum').filter(flaggedByKernel);
  assert.ok(k.length > 0);
  for (const p of k) assert.match(r.stdout, new RegExp(`^frame ${p.frame} .* INVALID$`, 'm'));
  assert.match(r.stdout, /^  bad checksum$/m);
  assert.match(r.stdout, /accepted with net\.netfilter\.nf_conntrack_checksum=0/);
  assert.match(r.stdout, new RegExp(`^summary: ${k.length} invalid, 0 ignored`, 'm'));
  assert.match(r.stdout, /^by connection:$/m);
});

test('--invalid with a table from stdin: the table is that of the same capture given as a file', () => {
  // stdin can be read only once: the replay after the report reads the capture kept in memory.
  const file = join(scen, 'tcp_bad_checksum.pcap');
  const args = ['--invalid', '--table=proc', '--stats'];
  const fromFile = spawnSync(process.execPath, [join(root, 'bin', 'ctscope.js'), 'replay', file, ...args], { encoding: 'utf8' });
  const fromStdin = spawnSync(process.execPath, [join(root, 'bin', 'ctscope.js'), 'replay', '-', ...args], { encoding: 'utf8', input: readFileSync(file) });
  assert.equal(fromStdin.status, 0, fromStdin.stderr);
  assert.match(fromFile.stdout, /^ipv4 +2 tcp +6 \d+ ESTABLISHED /m, 'the file run lists the entry');
  assert.equal(fromStdin.stdout, fromFile.stdout);
  assert.equal(fromStdin.stderr, fromFile.stderr);
});
