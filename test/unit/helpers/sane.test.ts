/**
 * The SANE helper on hand-built sessions, against nf_conntrack_sane.c (6.18):
 * an established session only; a client request of exactly 8 bytes whose
 * first word is 7 (SANE_NET_START) arms the helper, any other 8-byte request
 * disarms it, other sizes leave it as it is; the next server segment disarms
 * it and, when at least 8 bytes with status 0 and a zero 16-bit field, makes
 * it expect TCP from the client to the server at the reply's port (300 s, max 1).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Conntrack } from '../../../src/conntrack.js';
import { TcpConversation } from '../../../tools/lib/packet-builder.js';
import { formatExpectProc } from '../../../src/format/expect.js';

const T0 = 1_767_225_600;

function words(...parts: Array<[number, 2 | 4]>): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, [, w]) => n + w, 0));
  const dv = new DataView(out.buffer);
  let o = 0;
  for (const [v, w] of parts) {
    if (w === 4) dv.setUint32(o, v);
    else dv.setUint16(o, v);
    o += w;
  }
  return out;
}
/** struct sane_request: RPC code, handle. */
const request = (code: number, extra = 0) => words([code, 4], [1, 4], ...Array.from({ length: extra }, (): [number, 4] => [0, 4]));
/** struct sane_reply_net_start: status, zero, port, then the byte order word and a resource string. */
const reply = (status: number, port: number, zero = 0) => words([status, 4], [zero, 2], [port, 2], [0x1234, 4], [0, 4]);

function session(segments: Array<['c' | 's', Uint8Array]>, opts: { helpers?: string[]; v6?: boolean } = {}) {
  const ct = new Conntrack({ helpers: opts.helpers ?? ['sane'] });
  const conv = opts.v6
    ? new TcpConversation({ addr: '2001:db8::5', port: 40000, isn: 1000 }, { addr: '2001:db8::35', port: 6566, isn: 5000 })
    : new TcpConversation({ addr: '192.168.1.5', port: 40000, isn: 1000 }, { addr: '192.168.1.35', port: 6566, isn: 5000 });
  let t = T0;
  const step = (p: Uint8Array) => ct.processPacket(p, (t += 0.001));
  for (const p of conv.handshake()) step(p);
  const outcomes = segments.map(([side, payload]) => {
    const r = step(conv.data(side, payload));
    step(conv.ack(side === 'c' ? 's' : 'c'));
    return r.outcome;
  });
  return { ct, outcomes, step };
}

test('SANE_NET_START and a successful reply: expect client → server:port (the original tuple)', () => {
  const { ct, outcomes } = session([['c', request(7)], ['s', reply(0, 6001)]]);
  assert.deepEqual(outcomes, ['accepted', 'accepted']);
  const exp = ct.expectations();
  assert.equal(exp.length, 1);
  assert.equal(formatExpectProc(exp[0]!), '299 l3proto = 2 proto=6 src=192.168.1.5 dst=192.168.1.35 sport=0 dport=6001 sane');
});

test('the data connection is RELATED', () => {
  const { step } = session([['c', request(7)], ['s', reply(0, 6001)]]);
  const data = new TcpConversation({ addr: '192.168.1.5', port: 45000, isn: 1 }, { addr: '192.168.1.35', port: 6001, isn: 2 });
  assert.equal(step(data.syn('c')).ctstateName, 'related');
});

test('another RPC code: the reply is not read', () => {
  assert.equal(session([['c', request(6)], ['s', reply(0, 6001)]]).ct.expectations().length, 0);
});

test('a request that is not exactly 8 bytes leaves the state as it was', () => {
  // armed by NET_START, a 12-byte request does not disarm it (datalen != sizeof(struct sane_request))
  assert.equal(session([['c', request(7)], ['c', request(6, 1)], ['s', reply(0, 6001)]]).ct.expectations().length, 1);
  // and a 12-byte NET_START does not arm it
  assert.equal(session([['c', request(7, 1)], ['s', reply(0, 6001)]]).ct.expectations().length, 0);
  // a later 8-byte request of another code disarms it
  assert.equal(session([['c', request(7)], ['c', request(6)], ['s', reply(0, 6001)]]).ct.expectations().length, 0);
});

test('the first server segment after the request disarms, whatever it holds', () => {
  // status != SANE_STATUS_SUCCESS: nothing, and the next reply is not read either
  assert.equal(session([['c', request(7)], ['s', reply(1, 6001)], ['s', reply(0, 6002)]]).ct.expectations().length, 0);
  // shorter than struct sane_reply_net_start (8 bytes)
  assert.equal(session([['c', request(7)], ['s', words([0, 4], [0, 2])], ['s', reply(0, 6002)]]).ct.expectations().length, 0);
  // the 16-bit "zero" field must be 0
  assert.equal(session([['c', request(7)], ['s', reply(0, 6001, 1)]]).ct.expectations().length, 0);
});

test('exactly 8 bytes of reply are enough', () => {
  assert.deepEqual(session([['c', request(7)], ['s', words([0, 4], [0, 2], [7000, 2])]]).ct.expectations().map((e) => e.dport), [7000]);
});

test('max_expected 1: a second NET_START evicts the first expectation', () => {
  const { ct } = session([['c', request(7)], ['s', reply(0, 6001)], ['c', request(7)], ['s', reply(0, 6002)]]);
  assert.deepEqual(ct.expectations().map((e) => e.dport), [6002]);
});

test('IPv6 too (registered for AF_INET and AF_INET6)', () => {
  const { ct } = session([['c', request(7)], ['s', reply(0, 6001)]], { v6: true });
  assert.equal(formatExpectProc(ct.expectations()[0]!), '299 l3proto = 10 proto=6 src=2001:0db8:0000:0000:0000:0000:0000:0005 dst=2001:0db8:0000:0000:0000:0000:0000:0035 sport=0 dport=6001 sane');
});

test('without the helper nothing is expected; nf_conntrack_helper=1 attaches it on 6566', () => {
  assert.equal(session([['c', request(7)], ['s', reply(0, 6001)]], { helpers: [] }).ct.expectations().length, 0);
  const ct = new Conntrack({ sysctl: { nf_conntrack_helper: 1 } });
  const conv = new TcpConversation({ addr: '192.168.1.5', port: 40000, isn: 1000 }, { addr: '192.168.1.35', port: 6566, isn: 5000 });
  let t = T0;
  for (const p of [...conv.handshake(), conv.data('c', request(7)), conv.data('s', reply(0, 6001))]) ct.processPacket(p, (t += 0.001));
  assert.equal(ct.expectations().length, 1);
});
