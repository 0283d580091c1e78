/**
 * The library API (class Conntrack) on raw IP packets built with the project's
 * packet builder. Expected values follow the kernel's documented rules (Linux
 * 6.18: nf_conntrack_proto_{tcp,udp,icmp}.c, nf_conntrack_core.c) and the
 * default timeouts of nf_conntrack_*_timeout*; where a golden recording covers
 * the same exchange (tcp_handshake_fin_close, udp_stream, icmp_echo_request_reply,
 * tcp_syn_only) the expectations agree with it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Conntrack, type ConntrackEvent } from '../../../src/conntrack.js';
import { SysctlError } from '../../../src/core/sysctl.js';
import * as api from '../../../src/index.js';
import { TcpConversation, filler, icmp, icmp6, udp } from '../../../tools/lib/packet-builder.js';

// IPS_* bits (uapi nf_conntrack_common.h)
const IPS_SEEN_REPLY = 1 << 1;
const IPS_ASSURED = 1 << 2;

const T0 = 1_700_000_000; // capture clock, seconds

const C4 = '192.168.1.5';
const S4 = '192.168.1.35';

function collect(ct: Conntrack): ConntrackEvent[] {
  const events: ConntrackEvent[] = [];
  ct.on('event', (e) => events.push(e));
  return events;
}

function conversation(): TcpConversation {
  return new TcpConversation(
    { addr: C4, port: 40000, isn: 1000, mss: 1460, sackPerm: true, wscale: 7 },
    { addr: S4, port: 80, isn: 500000, mss: 1460, sackPerm: true, wscale: 7 },
  );
}

function udpReq(payload = 10): Uint8Array {
  return udp({ src: C4, dst: S4 }, { sport: 33000, dport: 53, payload: filler(payload) });
}
function udpResp(payload = 10): Uint8Array {
  return udp({ src: S4, dst: C4 }, { sport: 53, dport: 33000, payload: filler(payload) });
}

test('the package entry point exports the class and the error type', () => {
  assert.equal(api.Conntrack, Conntrack);
  assert.equal(api.SysctlError, SysctlError);
  assert.equal(typeof api.formatProc, 'function');
});

test('TCP handshake + close: NEW, UPDATE per state change, DESTROY 120 s after the last ACK (TIME_WAIT)', () => {
  const ct = new Conntrack();
  const events = collect(ct);
  const c = conversation();
  const steps: Array<[Uint8Array, string, string]> = [
    [c.syn('c'), 'new', 'original'],
    [c.synack('s'), 'established', 'reply'],
    [c.ack('c'), 'established', 'original'],
    [c.data('c', filler(20)), 'established', 'original'],
    [c.ack('s'), 'established', 'reply'],
    [c.data('s', filler(40)), 'established', 'reply'],
    [c.ack('c'), 'established', 'original'],
    [c.fin('c'), 'established', 'original'],
    [c.ack('s'), 'established', 'reply'],
    [c.fin('s'), 'established', 'reply'],
    [c.ack('c'), 'established', 'original'],
  ];
  let t = T0;
  const states: string[] = [];
  for (const [pkt, ctstate, dir] of steps) {
    t += 0.005;
    const r = ct.processPacket(pkt, t);
    assert.equal(r.ctstateName, ctstate);
    assert.equal(r.dirName, dir);
    assert.deepEqual(r.reasons(), []);
    states.push(api.TCP_CONNTRACK_NAMES[r.state] ?? '?');
  }
  assert.deepEqual(states, [
    'SYN_SENT', 'SYN_RECV', 'ESTABLISHED', 'ESTABLISHED', 'ESTABLISHED', 'ESTABLISHED', 'ESTABLISHED',
    'FIN_WAIT', 'CLOSE_WAIT', 'LAST_ACK', 'TIME_WAIT',
  ]);
  // One event per state change (IPCT_PROTOINFO), as the golden tcp_handshake_fin_close records.
  assert.deepEqual(events.map((e) => `${e.type} ${e.entry.state}`), [
    'NEW SYN_SENT', 'UPDATE SYN_RECV', 'UPDATE ESTABLISHED', 'UPDATE FIN_WAIT', 'UPDATE CLOSE_WAIT',
    'UPDATE LAST_ACK', 'UPDATE TIME_WAIT',
  ]);
  assert.equal(events[0]!.entry.status & IPS_SEEN_REPLY, 0, 'NEW is [UNREPLIED]');
  assert.ok(events[2]!.entry.status & IPS_ASSURED, 'ESTABLISHED after SYN_RECV with a reply seen: ASSURED');
  assert.equal(events[1]!.entry.status & IPS_ASSURED, 0, 'SYN_RECV is not yet ASSURED');
  const lastAck = t;
  assert.equal(ct.entries().length, 1);
  assert.equal(ct.entries()[0]!.timeoutMs, 120_000);

  ct.advance(lastAck + 119.9);
  assert.equal(ct.count, 1, 'TIME_WAIT (120 s) has not run out yet');
  assert.equal(events.length, 7);
  ct.advance(lastAck + 130);
  assert.equal(ct.count, 0);
  assert.equal(events.length, 8);
  const d = events[7]!;
  assert.equal(d.type, 'DESTROY');
  assert.equal(d.entry.state, 'TIME_WAIT');
  assert.ok(Math.abs(d.time - (lastAck + 120)) < 1e-6, `DESTROY at ${d.time - T0}, want ${lastAck + 120 - T0}`);
  // The entry of every event is the same connection.
  assert.equal(new Set(events.map((e) => e.entry.id)).size, 1);
  assert.equal(d.entry.orig.sport, 40000);
  assert.equal(d.entry.reply.sport, 80);
});

test('UDP without reply: UNREPLIED, DESTROY exactly 30 s after its packet, then gone from entries()', () => {
  const ct = new Conntrack();
  const events = collect(ct);
  const r = ct.processPacket(udpReq(), T0 + 1.25);
  assert.equal(r.ctstateName, 'new');
  assert.equal(r.dirName, 'original');
  const e = ct.entries();
  assert.equal(e.length, 1);
  assert.equal(e[0]!.protonum, 17);
  assert.equal(e[0]!.timeoutMs, 30_000);
  assert.equal(e[0]!.status & IPS_SEEN_REPLY, 0);
  assert.equal(e[0]!.state, null);

  ct.advance(T0 + 1.25 + 29.999);
  assert.equal(ct.entries().length, 1);
  assert.deepEqual(events.map((x) => x.type), ['NEW']);
  ct.advance(T0 + 1.25 + 30);
  assert.deepEqual(events.map((x) => x.type), ['NEW', 'DESTROY']);
  assert.ok(Math.abs(events[1]!.time - (T0 + 31.25)) < 1e-6, `DESTROY at ${events[1]!.time}`);
  assert.deepEqual(ct.entries(), []);
  assert.equal(ct.count, 0);
});

test('DESTROY is timed at the deadline even when the clock jumps far past it', () => {
  const ct = new Conntrack();
  const events = collect(ct);
  ct.processPacket(udpReq(), T0);
  ct.advance(T0 + 5000);
  assert.equal(events.length, 2);
  assert.ok(Math.abs(events[1]!.time - (T0 + 30)) < 1e-6);
});

test('TCP SYN only: SYN_SENT, DESTROY at 120 s', () => {
  const ct = new Conntrack();
  const events = collect(ct);
  const c = conversation();
  const r = ct.processPacket(c.syn('c'), T0);
  assert.equal(r.ctstateName, 'new');
  assert.equal(ct.entries()[0]!.state, 'SYN_SENT');
  assert.equal(ct.entries()[0]!.timeoutMs, 120_000);
  ct.advance(T0 + 119.5);
  assert.equal(ct.count, 1);
  ct.advance(T0 + 121);
  assert.equal(ct.count, 0);
  assert.deepEqual(events.map((e) => e.type), ['NEW', 'DESTROY']);
  assert.ok(Math.abs(events[1]!.time - (T0 + 120)) < 1e-6);
});

test('sysctl override: nf_conntrack_udp_timeout 10 -> the entry lives 10 s', () => {
  for (const name of ['nf_conntrack_udp_timeout', 'net.netfilter.nf_conntrack_udp_timeout']) {
    const ct = new Conntrack({ sysctl: { [name]: 10 } });
    assert.equal(ct.sysctl.nf_conntrack_udp_timeout, 10);
    const events = collect(ct);
    ct.processPacket(udpReq(), T0);
    assert.equal(ct.entries()[0]!.timeoutMs, 10_000);
    ct.advance(T0 + 9.9);
    assert.equal(ct.count, 1);
    ct.advance(T0 + 10);
    assert.equal(ct.count, 0);
    assert.ok(Math.abs(events[1]!.time - (T0 + 10)) < 1e-6);
  }
});

test('entries() and formatTable(): /proc, conntrack -L and 2.4 lines', () => {
  const ct = new Conntrack();
  ct.processPacket(udpReq(), T0);
  ct.processPacket(udpResp(), T0 + 0.003);
  const e = ct.entries();
  assert.equal(e.length, 1);
  assert.deepEqual([...e[0]!.orig.src], [192, 168, 1, 5]);
  assert.deepEqual([...e[0]!.orig.dst], [192, 168, 1, 35]);
  assert.deepEqual([...e[0]!.reply.src], [192, 168, 1, 35]);
  assert.equal(e[0]!.orig.sport, 33000);
  assert.equal(e[0]!.orig.dport, 53);
  assert.equal(e[0]!.reply.sport, 53);
  assert.equal(e[0]!.reply.dport, 33000);
  assert.ok(e[0]!.status & IPS_SEEN_REPLY);
  assert.equal(e[0]!.status & IPS_ASSURED, 0);
  // golden udp_request_response
  assert.deepEqual(ct.formatTable(), [
    'ipv4     2 udp      17 30 src=192.168.1.5 dst=192.168.1.35 sport=33000 dport=53 src=192.168.1.35 dst=192.168.1.5 sport=53 dport=33000 mark=0 zone=0 use=2',
  ]);
  assert.deepEqual(ct.formatTable('proc'), ct.formatTable());
  assert.deepEqual(ct.formatTable('conntrack'), [
    'udp      17 30 src=192.168.1.5 dst=192.168.1.35 sport=33000 dport=53 src=192.168.1.35 dst=192.168.1.5 sport=53 dport=33000 mark=0 use=1',
  ]);
  assert.deepEqual(ct.formatTable('legacy'), [
    'udp      17 30 src=192.168.1.5 dst=192.168.1.35 sport=33000 dport=53 src=192.168.1.35 dst=192.168.1.5 sport=53 dport=33000 use=1 ',
  ]);
  const j = ct.toJson();
  assert.equal(j.length, 1);
  assert.equal(j[0]!.protocol, 'udp');
  assert.equal(j[0]!.timeout, 30);
  assert.equal(j[0]!.original.src, '192.168.1.5');
});

test('entries() lists oldest first and shows the remaining time at the clock', () => {
  const ct = new Conntrack();
  ct.processPacket(udp({ src: C4, dst: S4 }, { sport: 1001, dport: 53 }), T0);
  ct.processPacket(udp({ src: C4, dst: S4 }, { sport: 1002, dport: 53 }), T0 + 4);
  ct.processPacket(udp({ src: C4, dst: S4 }, { sport: 1003, dport: 53 }), T0 + 9.5);
  const e = ct.entries();
  assert.deepEqual(e.map((s) => s.orig.sport), [1001, 1002, 1003]);
  assert.deepEqual(e.map((s) => s.timeoutMs), [20_500, 24_500, 30_000]);
  // /proc prints whole seconds, truncated
  assert.deepEqual(ct.formatTable().map((l) => l.split(/ +/)[4]), ['20', '24', '30']);
  ct.advance(T0 + 30);
  assert.deepEqual(ct.entries().map((s) => s.orig.sport), [1002, 1003]);
});

test('nf_conntrack_acct=1: packets= and bytes= (IP length) per direction on /proc lines', () => {
  const ct = new Conntrack({ sysctl: { nf_conntrack_acct: 1 } });
  const q = udpReq(10); // 20 + 8 + 10 = 38
  const a = udpResp(100); // 20 + 8 + 100 = 128
  assert.equal(q.length, 38);
  assert.equal(a.length, 128);
  ct.processPacket(q, T0);
  ct.processPacket(q, T0 + 0.1);
  ct.processPacket(a, T0 + 0.2);
  const [line] = ct.formatTable();
  assert.equal(
    line,
    'ipv4     2 udp      17 30 src=192.168.1.5 dst=192.168.1.35 sport=33000 dport=53 packets=2 bytes=76 ' +
    'src=192.168.1.35 dst=192.168.1.5 sport=53 dport=33000 packets=1 bytes=128 mark=0 zone=0 use=2',
  );
  const e = ct.entries()[0]!;
  assert.equal(e.orig.packets, 2);
  assert.equal(e.reply.bytes, 128);
  // Off by default: no counters.
  const plain = new Conntrack();
  plain.processPacket(q, T0);
  assert.ok(!plain.formatTable()[0]!.includes('packets='));
  assert.equal(plain.entries()[0]!.orig.packets, undefined);
});

test('acct counts the TCP handshake packets in each direction', () => {
  const ct = new Conntrack({ sysctl: { 'net.netfilter.nf_conntrack_acct': 1 } });
  const c = conversation();
  const pkts = [c.syn('c'), c.synack('s'), c.ack('c')];
  pkts.forEach((p, i) => ct.processPacket(p, T0 + i * 0.001));
  const e = ct.entries()[0]!;
  assert.equal(e.orig.packets, 2);
  assert.equal(e.orig.bytes, pkts[0]!.length + pkts[2]!.length);
  assert.equal(e.reply.packets, 1);
  assert.equal(e.reply.bytes, pkts[1]!.length);
});

test('UDP stream rule: reply seen, a packet more than 2 s after the first -> ASSURED, 120 s', () => {
  const ct = new Conntrack();
  const events = collect(ct);
  ct.processPacket(udpReq(), T0);
  ct.processPacket(udpResp(), T0 + 0.01);
  // The reply itself is refreshed to the unreplied timeout (SEEN_REPLY is set after it).
  assert.equal(ct.entries()[0]!.timeoutMs, 30_000);
  assert.equal(ct.entries()[0]!.status & IPS_ASSURED, 0);
  ct.processPacket(udpReq(), T0 + 1.0);
  assert.equal(ct.entries()[0]!.timeoutMs, 30_000, 'before stream_ts (first + 2 s): 30 s');
  assert.equal(ct.entries()[0]!.status & IPS_ASSURED, 0);
  ct.processPacket(udpResp(), T0 + 2.5);
  const e = ct.entries()[0]!;
  assert.equal(e.timeoutMs, 120_000);
  assert.ok(e.status & IPS_ASSURED);
  // NEW, UPDATE (reply seen), UPDATE (assured) — as the golden udp_stream records.
  assert.deepEqual(events.map((x) => x.type), ['NEW', 'UPDATE', 'UPDATE']);
  assert.ok(events[2]!.entry.status & IPS_ASSURED);
  assert.equal(ct.formatTable()[0]!.split(/ +/)[4], '120');
  assert.ok(ct.formatTable()[0]!.includes(' [ASSURED] '));
  // And it lives 120 s from that packet.
  ct.advance(T0 + 2.5 + 119.9);
  assert.equal(ct.count, 1);
  ct.advance(T0 + 2.5 + 120);
  assert.equal(ct.count, 0);
});

test('UDP stream rule: traffic both ways within 2 s stays 30 s and never ASSURED', () => {
  const ct = new Conntrack();
  ct.processPacket(udpReq(), T0);
  ct.processPacket(udpResp(), T0 + 0.5);
  ct.processPacket(udpReq(), T0 + 1.0);
  ct.processPacket(udpResp(), T0 + 1.9);
  const e = ct.entries()[0]!;
  assert.equal(e.timeoutMs, 30_000);
  assert.equal(e.status & IPS_ASSURED, 0);
  assert.ok(!ct.formatTable()[0]!.includes('[ASSURED]'));
  ct.advance(T0 + 1.9 + 30);
  assert.equal(ct.count, 0);
});

test('UDP without a reply is never ASSURED, however long it runs', () => {
  const ct = new Conntrack();
  for (let i = 0; i < 10; i++) ct.processPacket(udpReq(), T0 + i * 5);
  const e = ct.entries()[0]!;
  assert.equal(e.status & (IPS_ASSURED | IPS_SEEN_REPLY), 0);
  assert.equal(e.timeoutMs, 30_000);
});

test('ICMP echo request/reply: one entry, 30 s, kept after the reply', () => {
  const ct = new Conntrack();
  const events = collect(ct);
  const req = icmp({ src: C4, dst: S4 }, { type: 8, id: 0x1234, seq: 1, payload: filler(16) });
  const rep = icmp({ src: S4, dst: C4 }, { type: 0, id: 0x1234, seq: 1, payload: filler(16) });
  const r1 = ct.processPacket(req, T0);
  assert.equal(r1.ctstateName, 'new');
  const r2 = ct.processPacket(rep, T0 + 0.0011);
  assert.equal(r2.ctstateName, 'established');
  assert.equal(r2.dirName, 'reply');
  const e = ct.entries();
  assert.equal(e.length, 1);
  assert.equal(e[0]!.timeoutMs, 30_000);
  assert.equal(e[0]!.orig.icmpType, 8);
  assert.equal(e[0]!.reply.icmpType, 0);
  assert.equal(e[0]!.orig.icmpId, 0x1234);
  // golden icmp_echo_request_reply
  assert.deepEqual(ct.formatTable(), [
    'ipv4     2 icmp     1 30 src=192.168.1.5 dst=192.168.1.35 type=8 code=0 id=4660 src=192.168.1.35 dst=192.168.1.5 type=0 code=0 id=4660 mark=0 zone=0 use=2',
  ]);
  ct.advance(T0 + 0.0011 + 29.9);
  assert.equal(ct.count, 1);
  ct.advance(T0 + 0.0011 + 30);
  assert.equal(ct.count, 0);
  assert.deepEqual(events.map((x) => x.type), ['NEW', 'UPDATE', 'DESTROY']);
});

test('ICMPv6 echo request/reply: one entry, 30 s (nf_conntrack_icmpv6_timeout)', () => {
  const ct = new Conntrack();
  const a = '2001:db8::5';
  const b = '2001:db8::35';
  assert.equal(ct.processPacket(icmp6({ src: a, dst: b }, { type: 128, id: 7, seq: 1 }), T0).ctstateName, 'new');
  const r = ct.processPacket(icmp6({ src: b, dst: a }, { type: 129, id: 7, seq: 1 }), T0 + 0.002);
  assert.equal(r.ctstateName, 'established');
  assert.equal(r.dirName, 'reply');
  const e = ct.entries();
  assert.equal(e.length, 1);
  assert.equal(e[0]!.l3num, 10);
  assert.equal(e[0]!.timeoutMs, 30_000);
});

test('an echo reply without a request is invalid and creates nothing', () => {
  const ct = new Conntrack();
  const r = ct.processPacket(icmp({ src: S4, dst: C4 }, { type: 0, id: 1, seq: 1 }), T0);
  assert.equal(r.ctstateName, 'invalid');
  assert.equal(ct.count, 0);
  assert.equal(ct.stats['invalid'], 1);
});

test('unknown profile and unknown sysctl throw SysctlError', () => {
  assert.throws(() => new Conntrack({ profile: 'linux-1.0' }), SysctlError);
  assert.throws(() => new Conntrack({ sysctl: { nf_conntrack_bogus: 1 } }), SysctlError);
  assert.throws(() => new Conntrack({ sysctl: { 'net.netfilter.nf_conntrack_bogus': 1 } }), SysctlError);
  // DCCP's sysctls left the kernel with its tracker in 6.16
  assert.throws(() => new Conntrack({ sysctl: { nf_conntrack_dccp_timeout_open: 1 } }), SysctlError);
  // nf_conntrack_helper left the kernel in 6.0; ctscope keeps it for the tutorial's world
  assert.doesNotThrow(() => new Conntrack({ sysctl: { nf_conntrack_helper: 1 } }));
  // Bad values too
  assert.throws(() => new Conntrack({ sysctl: { nf_conntrack_udp_timeout: -1 } }), SysctlError);
  assert.throws(() => new Conntrack({ sysctl: { nf_conntrack_udp_timeout: 1.5 } }), SysctlError);
  // Known ones do not
  assert.doesNotThrow(() => new Conntrack({ profile: 'tutorial' }));
  assert.doesNotThrow(() => new Conntrack({ profile: 'linux-2.4' }));
});

test('profile tutorial: CLOSE_WAIT lasts 12 h', () => {
  const ct = new Conntrack({ profile: 'tutorial' });
  const c = conversation();
  for (const [i, p] of [c.syn('c'), c.synack('s'), c.ack('c'), c.fin('c'), c.ack('s')].entries()) ct.processPacket(p, T0 + i * 0.01);
  const e = ct.entries()[0]!;
  assert.equal(e.state, 'CLOSE_WAIT');
  assert.equal(e.timeoutMs, 43_200_000);
  const dflt = new Conntrack();
  const c2 = conversation();
  for (const [i, p] of [c2.syn('c'), c2.synack('s'), c2.ack('c'), c2.fin('c'), c2.ack('s')].entries()) dflt.processPacket(p, T0 + i * 0.01);
  assert.equal(dflt.entries()[0]!.timeoutMs, 60_000);
});

test('time and count follow the clock; the clock never goes back', () => {
  const ct = new Conntrack();
  ct.processPacket(udpReq(), T0 + 10);
  assert.ok(Math.abs(ct.time - (T0 + 10)) < 1e-6);
  ct.advance(T0 + 5);
  assert.ok(Math.abs(ct.time - (T0 + 10)) < 1e-6);
  assert.equal(ct.count, 1);
  assert.equal(ct.entries()[0]!.timeoutMs, 30_000);
});

test('processPacket with a link type: the same UDP datagram inside Ethernet', () => {
  const ct = new Conntrack();
  const ip = udpReq();
  const eth = new Uint8Array(14 + ip.length);
  eth.set([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 0x08, 0x00]);
  eth.set(ip, 14);
  const r = ct.processPacket(eth, T0, 1);
  assert.equal(r.ctstateName, 'new');
  assert.equal(ct.count, 1);
  // Not IP at all: skipped, nothing created.
  const arp = new Uint8Array(42);
  arp.set([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 0x08, 0x06]);
  assert.equal(ct.processPacket(arp, T0 + 1, 1).ctstateName, 'skipped');
  assert.equal(ct.count, 1);
});
