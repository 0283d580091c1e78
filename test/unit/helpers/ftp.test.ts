/**
 * The FTP helper and expectations, on hand-built sessions, against the rules of
 * nf_conntrack_ftp.c / nf_conntrack_expect.c (6.18): only lines that start
 * right after a "\n" are parsed (so never the first line of a direction), PORT
 * and EPRT from the client, 227 and 229 from the server; the expectation is
 * from the peer, any source port, to the announced address and port, for 300 s,
 * one per master (a newer one evicts the older); a partial command is dropped;
 * the data connection's first packet is RELATED; expectations die with their master.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Conntrack } from '../../../src/conntrack.js';
import { TcpConversation, bytes } from '../../../tools/lib/packet-builder.js';
import { formatExpectProc } from '../../../src/format/expect.js';

const T0 = 1_767_225_600;

function session(helpers: string[], commands: Array<['c' | 's', string]>, port = 21) {
  const ct = new Conntrack({ helpers });
  const conv = new TcpConversation({ addr: '192.168.1.5', port: 40000, isn: 1000 }, { addr: '192.168.1.35', port, isn: 5000 });
  let t = T0;
  const step = (p: Uint8Array) => ct.processPacket(p, (t += 0.001));
  for (const p of conv.handshake()) step(p);
  const results = commands.map(([side, text]) => {
    const r = step(conv.data(side, bytes(text)));
    const out = { outcome: r.outcome, reasons: r.reasons() };
    step(conv.ack(side === 'c' ? 's' : 'c'));
    return out;
  });
  return { ct, conv, results, step, now: () => t };
}

test('PORT after the banner and a first command: expectation from the server, any port, to the client port', () => {
  const { ct, results } = session(['ftp'], [['s', '220 hello\r\n'], ['c', 'USER a\r\n'], ['s', '331 ok\r\n'], ['c', 'PORT 192,168,1,5,19,137\r\n']]);
  assert.deepEqual(results.map((r) => r.outcome), ['accepted', 'accepted', 'accepted', 'accepted']);
  const exp = ct.expectations();
  assert.equal(exp.length, 1);
  assert.equal(formatExpectProc(exp[0]!), '299 l3proto = 2 proto=6 src=192.168.1.35 dst=192.168.1.5 sport=0 dport=5001 ftp');
});

test('the first line of a direction is never parsed (no newline seen before it)', () => {
  const { ct } = session(['ftp'], [['c', 'PORT 192,168,1,5,19,137\r\n']]);
  assert.equal(ct.expectations().length, 0);
});

test('without a helper rule nothing is expected', () => {
  const { ct } = session([], [['s', '220 hi\r\n'], ['c', 'USER a\r\n'], ['c', 'PORT 192,168,1,5,19,137\r\n']]);
  assert.equal(ct.expectations().length, 0);
});

test('the data connection is RELATED, then ESTABLISHED; the expectation is used up', () => {
  const { ct, step } = session(['ftp'], [['s', '220 hi\r\n'], ['c', 'USER a\r\n'], ['c', 'PORT 192,168,1,5,19,137\r\n']]);
  const data = new TcpConversation({ addr: '192.168.1.35', port: 20, isn: 9000 }, { addr: '192.168.1.5', port: 5001, isn: 7000 });
  const [syn, synack, ack] = data.handshake();
  assert.equal(step(syn!).ctstateName, 'related');
  assert.equal(ct.expectations().length, 0);
  assert.equal(step(synack!).ctstateName, 'established');
  assert.equal(step(ack!).ctstateName, 'established');
});

test('227 from the server (PASV): the client may connect to the server address and port', () => {
  const { ct } = session(['ftp'], [['s', '220 hi\r\n'], ['c', 'PASV\r\n'], ['s', '227 Entering Passive Mode (192,168,1,35,19,138).\r\n']]);
  assert.equal(formatExpectProc(ct.expectations()[0]!), '299 l3proto = 2 proto=6 src=192.168.1.5 dst=192.168.1.35 sport=0 dport=5002 ftp');
});

test('EPRT and 229 (EPSV)', () => {
  const a = session(['ftp'], [['s', '220 hi\r\n'], ['c', 'USER a\r\n'], ['c', 'EPRT |1|192.168.1.5|6000|\r\n']]);
  assert.equal(a.ct.expectations()[0]!.dport, 6000);
  const b = session(['ftp'], [['s', '220 hi\r\n'], ['c', 'EPSV\r\n'], ['s', '229 Entering Extended Passive Mode (|||6446|)\r\n']]);
  const e = b.ct.expectations()[0]!;
  assert.equal(e.dport, 6446);
  assert.deepEqual([...e.dst], [192, 168, 1, 35]);
});

test('a newer announcement evicts the older (max_expected 1)', () => {
  const { ct } = session(['ftp'], [['s', '220 hi\r\n'], ['c', 'USER a\r\n'], ['c', 'PORT 192,168,1,5,19,137\r\n'], ['c', 'PORT 192,168,1,5,19,138\r\n']]);
  assert.deepEqual(ct.expectations().map((e) => e.dport), [5002]);
});

test('a command cut at the end of the segment is dropped with the kernel message', () => {
  const { results } = session(['ftp'], [['s', '220 hi\r\n'], ['c', 'USER a\r\n'], ['c', 'POR']]);
  assert.equal(results[2]!.outcome, 'dropped');
  assert.deepEqual(results[2]!.reasons, ["dropping packet: partial matching of `PORT'"]);
});

test("another host's address is not followed, unless loose", () => {
  const strict = session(['ftp'], [['s', '220 hi\r\n'], ['c', 'USER a\r\n'], ['c', 'PORT 10,0,0,9,19,137\r\n']]);
  assert.equal(strict.ct.expectations().length, 0);
  const loose = session(['ftp-loose'], [['s', '220 hi\r\n'], ['c', 'USER a\r\n'], ['c', 'PORT 10,0,0,9,19,137\r\n']]);
  assert.equal(formatExpectProc(loose.ct.expectations()[0]!), '299 l3proto = 2 proto=6 src=192.168.1.35 dst=10.0.0.9 sport=0 dport=5001 ftp');
});

test('--helper ftp:2121 and nf_conntrack_helper=1 (automatic, port 21)', () => {
  const a = session(['ftp:2121'], [['s', '220 hi\r\n'], ['c', 'USER a\r\n'], ['c', 'PORT 192,168,1,5,19,137\r\n']], 2121);
  assert.equal(a.ct.expectations().length, 1);
  const auto = new Conntrack({ sysctl: { nf_conntrack_helper: 1 } });
  const conv = new TcpConversation({ addr: '192.168.1.5', port: 40001, isn: 1 }, { addr: '192.168.1.35', port: 21, isn: 2 });
  let t = T0;
  for (const p of [...conv.handshake(), conv.data('s', bytes('220 x\r\n')), conv.data('c', bytes('USER a\r\n')), conv.data('c', bytes('PORT 192,168,1,5,19,137\r\n'))]) auto.processPacket(p, (t += 0.001));
  assert.equal(auto.expectations().length, 1);
});

test('expectations time out after 300 s and die with their master', () => {
  const a = session(['ftp'], [['s', '220 hi\r\n'], ['c', 'USER a\r\n'], ['c', 'PORT 192,168,1,5,19,137\r\n']]);
  const kinds: string[] = [];
  a.ct.onExpect((type) => kinds.push(type));
  a.ct.advance(a.now() + 299.9);
  assert.equal(a.ct.expectations().length, 1);
  a.ct.advance(a.now() + 300.1);
  assert.equal(a.ct.expectations().length, 0);
  assert.deepEqual(kinds, ['DESTROY']);
  const b = session(['ftp'], [['s', '220 hi\r\n'], ['c', 'USER a\r\n'], ['c', 'PORT 192,168,1,5,19,137\r\n']]);
  b.step(b.conv.rst('c'));
  assert.equal(b.ct.expectations().length, 1, 'a RST leaves the entry in CLOSE for 10 s');
  b.ct.advance(b.now() + 11);
  assert.equal(b.ct.expectations().length, 0, 'gone with the master');
});
