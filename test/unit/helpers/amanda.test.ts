/**
 * The Amanda helper on hand-built UDP exchanges, against nf_conntrack_amanda.c
 * (6.18): amanda_help() reads only the reply direction (amandad → server),
 * refreshes the master to master_timeout (300 s) on each such datagram, finds
 * the first "CONNECT " and the first "\n" after it (skb_find_text), and in
 * between the first DATA/MESG/INDEX/STATE, each with a port of at most 5
 * characters (simple_strtoul narrowed to 16 bits); port 0 stops the scan.
 * Expectations: TCP from the server to the client at each port, 180 s, max 4.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Conntrack } from '../../../src/conntrack.js';
import { udp, bytes, TcpConversation } from '../../../tools/lib/packet-builder.js';
import { formatExpectProc } from '../../../src/format/expect.js';

const T0 = 1_767_225_600;
const SERVER = { addr: '10.0.0.1', port: 850 };
const CLIENT = { addr: '10.0.0.2', port: 10080 };
const REQ = 'Amanda 2.6 REQ HANDLE 000-00000000 SEQ 1\nSERVICE sendbackup\n';

function exchange(replies: string[], opts: { helpers?: string[]; request?: string; sysctl?: Record<string, number> } = {}) {
  const ct = new Conntrack({ helpers: opts.helpers ?? ['amanda'], sysctl: opts.sysctl ?? {} });
  let t = T0;
  const step = (p: Uint8Array) => ct.processPacket(p, (t += 0.001));
  const fromServer = (text: string) => udp({ src: SERVER.addr, dst: CLIENT.addr }, { sport: SERVER.port, dport: CLIENT.port, payload: bytes(text) });
  const fromClient = (text: string) => udp({ src: CLIENT.addr, dst: SERVER.addr }, { sport: CLIENT.port, dport: SERVER.port, payload: bytes(text) });
  step(fromServer(opts.request ?? REQ));
  const results = replies.map((r) => step(fromClient(r)));
  return { ct, results, step, fromServer, fromClient, now: () => t };
}

const rep = (line: string) => `Amanda 2.6 REP HANDLE 000-00000000 SEQ 1\n${line}\n`;

test('CONNECT DATA/MESG/INDEX: one expectation each, server → client at the port, 180 s', () => {
  const { ct, results } = exchange([rep('CONNECT DATA 50000 MESG 50001 INDEX 50002')]);
  assert.equal(results[0]!.outcome, 'accepted');
  // read at the reply's own time: the full 180 s remain
  assert.deepEqual(ct.expectations().map((e) => formatExpectProc(e)), [
    '180 l3proto = 2 proto=6 src=10.0.0.1 dst=10.0.0.2 sport=0 dport=50002 amanda',
    '180 l3proto = 2 proto=6 src=10.0.0.1 dst=10.0.0.2 sport=0 dport=50001 amanda',
    '180 l3proto = 2 proto=6 src=10.0.0.1 dst=10.0.0.2 sport=0 dport=50000 amanda',
  ]);
});

test('the server connects to the announced port: RELATED', () => {
  const { step } = exchange([rep('CONNECT DATA 50000')]);
  const data = new TcpConversation({ addr: '10.0.0.1', port: 44000, isn: 1 }, { addr: '10.0.0.2', port: 50000, isn: 2 });
  assert.equal(step(data.syn('c')).ctstateName, 'related');
});

test('STATE counts too; the four keywords fill max_expected 4', () => {
  const { ct } = exchange([rep('CONNECT STATE 50003 INDEX 50002 MESG 50001 DATA 50000')]);
  // searched in the order DATA, MESG, INDEX, STATE whatever their order in the line
  assert.deepEqual(ct.expectations().map((e) => e.dport), [50003, 50002, 50001, 50000]);
});

test('a datagram from the server (original direction) is not read', () => {
  const { ct } = exchange([], { request: rep('CONNECT DATA 50000') });
  assert.equal(ct.expectations().length, 0);
});

test('the master entry is refreshed to master_timeout 300 s by every reply', () => {
  const { ct } = exchange([rep('no connect here')]);
  // nf_ct_refresh(ct, 300 s) after the UDP tracker's own timeout
  assert.equal(Math.round(ct.entries()[0]!.timeoutMs / 1000), 300);
  const plain = exchange([rep('no connect here')], { helpers: [] });
  assert.notEqual(Math.round(plain.ct.entries()[0]!.timeoutMs / 1000), 300);
});

test('no "\\n" after CONNECT: nothing (the line must end inside the datagram)', () => {
  const { ct } = exchange(['Amanda 2.6 REP HANDLE 000 SEQ 1\nCONNECT DATA 50000']);
  assert.equal(ct.expectations().length, 0);
});

test('keywords after the end of the CONNECT line are not read', () => {
  const { ct } = exchange([rep('CONNECT DATA 50000') + 'MESG 50001\n']);
  assert.deepEqual(ct.expectations().map((e) => e.dport), [50000]);
});

test('keywords are case-sensitive; "CONNECT" needs its blank', () => {
  assert.equal(exchange([rep('connect DATA 50000')]).ct.expectations().length, 0);
  assert.equal(exchange([rep('CONNECT data 50000')]).ct.expectations().length, 0);
  assert.equal(exchange([rep('CONNECTDATA 50000')]).ct.expectations().length, 0);
});

test('a port that reads as 0 ends the scan (break, not continue)', () => {
  // DATA is looked for first: its "x" reads as 0, so MESG is never reached
  assert.equal(exchange([rep('CONNECT MESG 50001 DATA x')]).ct.expectations().length, 0);
  // 65536 narrows to 0 (htons of the u16)
  assert.equal(exchange([rep('CONNECT DATA 65536 MESG 50001')]).ct.expectations().length, 0);
});

test('at most 5 characters are read, and the value is narrowed to 16 bits', () => {
  assert.deepEqual(exchange([rep('CONNECT DATA 123456')]).ct.expectations().map((e) => e.dport), [12345]);
  assert.deepEqual(exchange([rep('CONNECT DATA 70000')]).ct.expectations().map((e) => e.dport), [70000 - 65536]);
});

test('the port is read up to the end of the line only', () => {
  // "DATA 5" then the newline: stop - off = 1 character
  assert.deepEqual(exchange([rep('CONNECT DATA 5')]).ct.expectations().map((e) => e.dport), [5]);
});

test('IPv6 (registered for AF_INET and AF_INET6)', () => {
  const ct = new Conntrack({ helpers: ['amanda'] });
  let t = T0;
  ct.processPacket(udp({ src: '2001:db8::1', dst: '2001:db8::2' }, { sport: 850, dport: 10080, payload: bytes(REQ) }), (t += 0.001));
  ct.processPacket(udp({ src: '2001:db8::2', dst: '2001:db8::1' }, { sport: 10080, dport: 850, payload: bytes(rep('CONNECT DATA 50000')) }), (t += 0.001));
  const e = ct.expectations();
  assert.equal(e.length, 1);
  assert.equal(e[0]!.l3num, 10);
  assert.equal(e[0]!.dport, 50000);
});

test('nf_conntrack_helper=1 attaches it on udp/10080', () => {
  assert.equal(exchange([rep('CONNECT DATA 50000')], { helpers: [], sysctl: { nf_conntrack_helper: 1 } }).ct.expectations().length, 1);
  assert.equal(exchange([rep('CONNECT DATA 50000')], { helpers: [] }).ct.expectations().length, 0);
});
