/**
 * The PPTP helper and the GRE key map on hand-built exchanges, against
 * nf_conntrack_pptp.c and nf_conntrack_proto_gre.c (6.18); the recorded kernel
 * scenarios (test/conformance/golden/pptp_*.json) cover the same ground packet
 * by packet. Here: what only a long capture or the clock shows (the master
 * timing out, an expectation timing out, automatic assignment, ICMP errors
 * quoting a call's GRE), and the key map on its own.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Conntrack } from '../../../src/conntrack.js';
import { bytes, concat, filler, ipPacket, icmpError, PROTO, TcpConversation, type IpSpec } from '../../../tools/lib/packet-builder.js';
import { formatExpectProc, formatExpectConntrack } from '../../../src/format/expect.js';
import { formatProc } from '../../../src/format/proc.js';
import { GreKeymap, type GreKeymapOwner } from '../../../src/proto/gre.js';

const T0 = 1_767_225_600;
const PNS = '192.168.1.5';
const PAC = '192.168.1.35';

function msg(type: number, body: number[]): Uint8Array {
  const len = 12 + body.length;
  return new Uint8Array([len >> 8, len & 255, 0, 1, 0x1a, 0x2b, 0x3c, 0x4d, type >> 8, type & 255, 0, 0, ...body]);
}
const body = (n: number, head: number[]): number[] => {
  const b = new Array<number>(n).fill(0);
  head.forEach((x, i) => (b[i] = x));
  return b;
};
const sccrq = () => msg(1, body(144, [1, 0]));
const sccrp = (result = 1) => msg(2, body(144, [1, 0, result]));
const ocrq = (cid: number) => msg(7, body(156, [cid >> 8, cid & 255]));
const ocrp = (cid: number, pcid: number, result = 1) => msg(8, body(20, [cid >> 8, cid & 255, pcid >> 8, pcid & 255, result]));
const cdn = (cid: number) => msg(13, body(136, [cid >> 8, cid & 255]));

function greV1(ip: IpSpec, callId: number): Uint8Array {
  const payload = concat(new Uint8Array([0xff, 0x03, 0x00, 0x21]), filler(20, 3));
  const h = new Uint8Array([0x20, 0x01, 0x88, 0x0b, payload.length >> 8, payload.length & 255, callId >> 8, callId & 255]);
  return ipPacket(ip, PROTO.GRE, concat(h, payload));
}

/** A control connection up to an outgoing call 0x1111 (PNS) / 0x2222 (PAC). */
function call(opts: { helpers?: string[]; sysctl?: Record<string, number>; port?: number } = {}) {
  const ct = new Conntrack({ helpers: opts.helpers ?? ['pptp'], sysctl: opts.sysctl ?? {} });
  let t = T0;
  const step = (p: Uint8Array, dt = 0.001) => ct.processPacket(p, (t += dt));
  const c = new TcpConversation({ addr: PNS, port: opts.port ?? 40700, isn: 1000, win: 64240 }, { addr: PAC, port: 1723, isn: 5000, win: 65160 });
  step(c.syn('c'));
  step(c.synack('s'));
  step(c.ack('c'));
  const say = (side: 'c' | 's', m: Uint8Array) => {
    const r = step(c.data(side, m));
    step(c.ack(side === 'c' ? 's' : 'c')); // acknowledged: no unacknowledged-data timeout
    return r;
  };
  say('c', sccrq());
  say('s', sccrp());
  say('c', ocrq(0x1111));
  const reply = say('s', ocrp(0x2222, 0x1111));
  return { ct, step, say, c, reply, now: () => t };
}

const toPac = (cid = 0x2222) => greV1({ src: PNS, dst: PAC }, cid);
const toPns = (cid = 0x1111) => greV1({ src: PAC, dst: PNS }, cid);

test('an outgoing call: two exact GRE expectations, 300 s, in /proc and conntrack -E expect format', () => {
  const { ct, reply } = call();
  assert.equal(reply.outcome, 'accepted');
  assert.deepEqual(ct.expectations().map((e) => formatExpectProc(e)), [
    // read 1 ms later (after the PNS's ACK): 299 s left
    '299 l3proto = 2 proto=47 src=192.168.1.35 dst=192.168.1.5 srckey=0x2222 dstkey=0x1111 pptp',
    '299 l3proto = 2 proto=47 src=192.168.1.5 dst=192.168.1.35 srckey=0x1111 dstkey=0x2222 pptp',
  ]);
  assert.equal(formatExpectConntrack(ct.expectations()[1]!, 'NEW'),
    '    [NEW] 299 proto=47 src=192.168.1.5 dst=192.168.1.35 srckey=0x1111 dstkey=0x2222 mask-src=255.255.255.255 ' +
    'mask-dst=255.255.255.255 srckey=0xffff dstkey=0xffff master-src=192.168.1.5 master-dst=192.168.1.35 sport=40700 dport=1723 class=0 helper=pptp');
});

test('the call\'s GRE is one RELATED entry keyed both ways; 30/180 s like any GRE; the master holds a reference', () => {
  const { ct, step } = call();
  assert.equal(step(toPac()).ctstateName, 'related');
  assert.equal(ct.expectations().length, 0, 'the other direction\'s expectation is withdrawn by pptp_expectfn');
  const back = step(toPns());
  assert.equal(back.ctstateName, 'established');
  assert.equal(back.dirName, 'reply');
  const gre = ct.entries().filter((e) => e.protonum === 47);
  assert.equal(gre.length, 1);
  // the reply sets SEEN_REPLY after the tracker ran: still 30 s; the next packet makes it 180 s and ASSURED
  assert.match(formatProc(gre[0]!), /gre {6}47 30 timeout=30, stream_timeout=180 src=192\.168\.1\.5 dst=192\.168\.1\.35 srckey=0x1111 dstkey=0x2222 src=192\.168\.1\.35 dst=192\.168\.1\.5 srckey=0x2222 dstkey=0x1111/);
  step(toPac());
  assert.match(formatProc(ct.entries().find((e) => e.protonum === 47)!), /gre {6}47 180 timeout=30, stream_timeout=180 .* \[ASSURED\]/);
  const master = ct.entries().find((e) => e.protonum === 6)!;
  assert.match(formatProc(master), /use=3$/);
});

test('without the helper the same GRE gets source key 0: one unreplied entry per direction', () => {
  const { ct, step } = call({ helpers: [] });
  assert.equal(step(toPac()).ctstateName, 'new');
  assert.equal(step(toPns()).ctstateName, 'new');
  assert.equal(ct.entries().filter((e) => e.protonum === 47).length, 2);
});

test('nf_conntrack_helper=1 attaches pptp to tcp/1723 by itself', () => {
  const { ct, step } = call({ helpers: [], sysctl: { nf_conntrack_helper: 1 } });
  assert.equal(ct.expectations().length, 2);
  assert.equal(step(toPac()).ctstateName, 'related');
});

test('`pptp:PORT` attaches it elsewhere', () => {
  const { ct } = call({ helpers: ['pptp:1724'] });
  assert.equal(ct.expectations().length, 0); // the control connection is on 1723
});

test('the master timing out takes the call\'s GRE entry and the key map with it', () => {
  const { ct, step, now } = call({ sysctl: { nf_conntrack_tcp_timeout_established: 100 } });
  step(toPac());
  step(toPns());
  step(toPac()); // ASSURED, 180 s
  const kinds: string[] = [];
  ct.on('event', (e) => kinds.push(`${e.type} ${e.entry.protonum}`));
  // GRE refreshed to 180 s by each packet; the master goes at 100 s
  ct.advance(now() + 101);
  assert.deepEqual(kinds, ['DESTROY 6', 'DESTROY 47']);
  assert.equal(ct.entries().length, 0);
  // key map gone: the next GRE packet has source key 0
  const r = step(toPac(), 0.001);
  assert.equal(r.ctstateName, 'new');
  assert.match(formatProc(ct.entries()[0]!), /srckey=0x0 dstkey=0x2222/);
});

test('the GRE entry timing out drops its master\'s key map entries (destroy_gre_conntrack)', () => {
  const { ct, step, now } = call();
  step(toPac());
  ct.advance(now() + 31); // unreplied GRE: 30 s
  assert.equal(ct.entries().filter((e) => e.protonum === 47).length, 0);
  const r = step(toPac(), 0.001);
  assert.equal(r.ctstateName, 'new');
  assert.match(formatProc(ct.entries().find((e) => e.protonum === 47)!), /srckey=0x0 dstkey=0x2222/);
});

test('expectations time out after 300 s, but the key map stays until the call is torn down', () => {
  const { ct, step, now, say } = call();
  ct.advance(now() + 301);
  assert.equal(ct.expectations().length, 0);
  const r = step(toPac(), 0.001);
  assert.equal(r.ctstateName, 'new');
  assert.match(formatProc(ct.entries().find((e) => e.protonum === 47)!), /srckey=0x1111 dstkey=0x2222/);
  say('s', cdn(0x2222));
  assert.equal(ct.entries().filter((e) => e.protonum === 47).length, 0, 'CDN kills the sibling found by its tuple');
});

test('an ICMP error quoting the call\'s GRE relates to the entry through the key map', () => {
  const { step } = call();
  const g = toPac();
  step(g);
  const err = icmpError({ src: '10.0.0.1', dst: PNS }, 3, 1, g);
  assert.equal(step(err).ctstateName, 'related');
});

test('messages are only read once the TCP handshake is done, and never dropped', () => {
  const ct = new Conntrack({ helpers: ['pptp'] });
  const c = new TcpConversation({ addr: PNS, port: 40900, isn: 1000, win: 64240 }, { addr: PAC, port: 1723, isn: 5000, win: 65160 });
  // SYN carrying data: NEW, not ESTABLISHED: ignored
  const r = ct.processPacket(c.seg('c', 0x02, { payload: sccrq() }), T0);
  assert.equal(r.outcome, 'accepted');
  assert.equal(ct.expectations().length, 0);
});

test('GreKeymap: first entry in insertion order wins, retransmission accepted, another tuple refused, destroy empties', () => {
  const km = new GreKeymap();
  const tuple = (src: number, dst: number, sk: number, dk: number) => {
    const t = new Uint32Array(10);
    t[0] = src;
    t[4] = dst;
    t[8] = ((sk << 16) | dk) >>> 0;
    t[9] = (2 << 8) | 47;
    return t;
  };
  const a: GreKeymapOwner = { keymap: [null, null] };
  const b: GreKeymapOwner = { keymap: [null, null] };
  assert.equal(km.add(a, 0, tuple(1, 2, 0x11, 0x22), 0), true);
  assert.equal(km.add(a, 0, tuple(1, 2, 0x11, 0x22), 0), true, 'same tuple: a retransmission');
  assert.equal(km.add(a, 0, tuple(1, 2, 0x12, 0x23), 0), false, 'another tuple: -EEXIST');
  assert.equal(km.add(b, 0, tuple(1, 2, 0x99, 0x22), 0), true);
  const probe = tuple(1, 2, 0, 0x22);
  assert.equal(km.lookup(probe, 0, 0x22), 0x11);
  // zone bits are not compared
  probe[9] = (7 << 16) | (2 << 8) | 47;
  assert.equal(km.lookup(probe, 0, 0x22), 0x11);
  km.destroy(a);
  assert.equal(km.lookup(probe, 0, 0x22), 0x99);
  assert.equal(km.lookup(probe, 0, 0x23), 0);
  km.destroy(b);
  assert.equal(km.size, 0);
  assert.deepEqual(a.keymap, [null, null]);
});

test('a PPTP header with a bad cookie or a short body changes nothing', () => {
  const { ct, say } = call();
  assert.equal(ct.expectations().length, 2);
  const bad = cdn(0x2222);
  bad[7] = 0x4e;
  say('s', bad);
  assert.equal(ct.expectations().length, 2);
  say('s', cdn(0x2222).slice(0, 12 + 135));
  assert.equal(ct.expectations().length, 2);
  say('s', bytes('hello'));
  assert.equal(ct.expectations().length, 2);
  say('s', cdn(0x2222));
  assert.equal(ct.expectations().length, 0, 'CDN withdraws both expectations');
});
