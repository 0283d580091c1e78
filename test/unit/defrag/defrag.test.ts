/**
 * Defragmentation before tracking, against the kernel's documented rules
 * (net/ipv4/ip_fragment.c ip_frag_queue, net/ipv6/netfilter/nf_conntrack_reasm.c,
 * inet_frag_queue_insert: RFC 5722 overlaps discard the datagram, duplicates are
 * dropped alone; ipfrag_time 30 s; nf_conntrack_frag6_timeout 60 s). A datagram is
 * tracked once, on the fragment that completes it; the others never reach conntrack.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Conntrack } from '../../../src/conntrack.js';
import { PROTO, fragmentV4, fragmentV6, ipPacket, udpDatagram, filler } from '../../../tools/lib/packet-builder.js';

const v4 = { src: '192.168.1.5', dst: '192.168.1.35', id: 0x4242 };
const v6 = { src: '2001:db8::5', dst: '2001:db8::35' };
const T0 = 1_767_225_600;

function udpFragments4(size = 1192, frag = 400): Uint8Array[] {
  const l4 = udpDatagram(v4, { sport: 38000, dport: 5000, payload: filler(size) });
  return fragmentV4(v4, PROTO.UDP, l4, frag);
}

function run(packets: Uint8Array[], times?: number[]): Array<{ ctstate: string; skip: string | null; frames: number[] | null }> {
  const ct = new Conntrack();
  return packets.map((p, i) => {
    const r = ct.processPacket(p, T0 + (times?.[i] ?? i * 0.001));
    return { ctstate: r.ctstateName, skip: r.skip, frames: r.datagramFrames };
  });
}

const cases: Array<{ name: string; order: number[]; want: string[] }> = [
  { name: 'in order', order: [0, 1, 2], want: ['skipped', 'skipped', 'new'] },
  { name: 'reversed', order: [2, 1, 0], want: ['skipped', 'skipped', 'new'] },
  { name: 'first fragment last', order: [1, 2, 0], want: ['skipped', 'skipped', 'new'] },
  { name: 'exact duplicate is dropped alone, the datagram completes', order: [0, 0, 1, 2], want: ['skipped', 'skipped', 'skipped', 'new'] },
  { name: 'incomplete: never tracked', order: [0, 2], want: ['skipped', 'skipped'] },
  { name: 'a lone non-first fragment waits', order: [1], want: ['skipped'] },
];

for (const c of cases) {
  test(`IPv4 UDP in three fragments, ${c.name}`, () => {
    const f = udpFragments4();
    const got = run(c.order.map((i) => f[i]!));
    assert.deepEqual(got.map((g) => g.ctstate), c.want);
    const last = got[got.length - 1]!;
    if (last.ctstate === 'new') assert.equal(last.frames!.length, 3, 'the datagram is made of three fragments');
  });
}

test('overlapping fragments discard the whole datagram (RFC 5722; IPv4 since 2018)', () => {
  const l4 = udpDatagram(v4, { sport: 38000, dport: 5000, payload: filler(1200) });
  const a = ipPacket({ ...v4, fragOffset: 0, mf: true }, PROTO.UDP, l4.slice(0, 408));
  const overlap = ipPacket({ ...v4, fragOffset: 400 / 8, mf: true }, PROTO.UDP, l4.slice(400, 808)); // 8 bytes over a
  const rest = ipPacket({ ...v4, fragOffset: 808 / 8, mf: false }, PROTO.UDP, l4.slice(808));
  const got = run([a, overlap, rest]);
  assert.deepEqual(got.map((g) => g.ctstate), ['skipped', 'skipped', 'skipped']);
  assert.match(got[1]!.skip!, /overlapping/);
});

test('the reassembled datagram is what conntrack counts (acct bytes = whole datagram)', () => {
  const ct = new Conntrack({ sysctl: { nf_conntrack_acct: 1 } });
  for (const [i, f] of udpFragments4().entries()) ct.processPacket(f, T0 + i * 0.001);
  const [e] = ct.entries();
  assert.ok(e !== undefined);
  assert.equal(e.orig.packets, 1);
  assert.equal(e.orig.bytes, 20 + 8 + 1192);
});

test('an IPv4 queue expires after ipfrag_time (30 s): the late fragment starts a new, incomplete queue', () => {
  const f = udpFragments4();
  const got = run([f[0]!, f[1]!, f[2]!], [0, 0.001, 31]);
  assert.deepEqual(got.map((g) => g.ctstate), ['skipped', 'skipped', 'skipped']);
  const ok = run([f[0]!, f[1]!, f[2]!], [0, 0.001, 29]);
  assert.equal(ok[2]!.ctstate, 'new');
});

test('IPv6 UDP in fragments: tracked on the completing fragment, as one datagram without the fragment header', () => {
  const l4 = udpDatagram(v6, { sport: 38002, dport: 5000, payload: filler(1192) });
  const f = fragmentV6(v6, PROTO.UDP, l4, 600);
  const ct = new Conntrack();
  const states = f.map((p, i) => ct.processPacket(p, T0 + i * 0.001).ctstateName);
  assert.deepEqual(states, ['skipped', 'new']); // 1200 bytes of UDP in two 600-byte fragments
  assert.equal(ct.entries()[0]!.orig.sport, 38002);
});

test('IPv6: a non-last fragment whose length is not a multiple of 8 discards the datagram', () => {
  const l4 = udpDatagram(v6, { sport: 38002, dport: 5000, payload: filler(1200) });
  const bad = ipPacket({ ...v6, ext: [{ type: PROTO.FRAGMENT, fragOffset: 0, more: true, ident: 7 }] }, PROTO.UDP, l4.slice(0, 605));
  const got = run([bad]);
  assert.equal(got[0]!.ctstate, 'skipped');
  assert.match(got[0]!.skip!, /multiple of 8/);
});

test('an IPv6 atomic fragment (offset 0, no more fragments) is its own datagram', () => {
  const l4 = udpDatagram(v6, { sport: 38003, dport: 5000, payload: filler(20) });
  const atomic = ipPacket({ ...v6, ext: [{ type: PROTO.FRAGMENT, fragOffset: 0, more: false, ident: 9 }] }, PROTO.UDP, l4);
  assert.equal(run([atomic])[0]!.ctstate, 'new');
});
