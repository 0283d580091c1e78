/**
 * The IRC helper on hand-built sessions, against nf_conntrack_irc.c (6.18):
 * help() reads only client→server segments of an established session; the
 * message must start (after blanks/CR/LF) with "PRIVMSG " in any case; the
 * first " :" must be followed by "\1DCC " and one of SEND/CHAT/MOVE/TSEND/SCHAT
 * (exact case); parse_dcc() wants "<arg> <u32 address> <port>" and a "\n"
 * after it; the address must be the sender's and the port non-zero; the
 * expectation is from any address and port to the sender's address:port, TCP,
 * 300 s, at most 8 per session (max_dcc_channels).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Conntrack } from '../../../src/conntrack.js';
import { TcpConversation, bytes } from '../../../tools/lib/packet-builder.js';
import { formatExpectProc, formatExpectConntrack } from '../../../src/format/expect.js';

const T0 = 1_767_225_600;
/** 192.168.1.5 as the decimal u32 DCC uses. */
const CLIENT_U32 = 3232235781;

function session(helpers: string[], lines: Array<['c' | 's', string]>, port = 6667, sysctl = {}) {
  const ct = new Conntrack({ helpers, sysctl });
  const conv = new TcpConversation({ addr: '192.168.1.5', port: 40000, isn: 1000 }, { addr: '192.168.1.35', port, isn: 5000 });
  let t = T0;
  const step = (p: Uint8Array) => ct.processPacket(p, (t += 0.001));
  for (const p of conv.handshake()) step(p);
  const results = lines.map(([side, text]) => {
    const r = step(conv.data(side, bytes(text)));
    const out = { outcome: r.outcome, reasons: r.reasons() };
    step(conv.ack(side === 'c' ? 's' : 'c'));
    return out;
  });
  return { ct, conv, results, step };
}

const send = (port: number, ip = CLIENT_U32, verb = 'SEND') => `PRIVMSG bob :\x01DCC ${verb} file.txt ${ip} ${port} 1234\x01\r\n`;

test('DCC SEND: expectation from anywhere to the sender address and port (nf_ct_expect_init with saddr NULL)', () => {
  const { ct, results } = session(['irc'], [['c', 'NICK alice\r\n'], ['c', send(5000)]]);
  assert.deepEqual(results.map((r) => r.outcome), ['accepted', 'accepted']);
  const exp = ct.expectations();
  assert.equal(exp.length, 1);
  // timeout dcc_timeout 300 s, class 0, helper name "irc"
  assert.equal(formatExpectProc(exp[0]!), '299 l3proto = 2 proto=6 src=0.0.0.0 dst=192.168.1.5 sport=0 dport=5000 irc');
  // the source address is masked out: any peer may connect
  assert.match(formatExpectConntrack(exp[0]!), / mask-src=0\.0\.0\.0 mask-dst=255\.255\.255\.255 sport=0 dport=65535 /);
});

test('the DCC connection from any host is RELATED and uses the expectation up', () => {
  const { ct, step } = session(['irc'], [['c', send(5000)]]);
  const dcc = new TcpConversation({ addr: '10.9.9.9', port: 33333, isn: 1 }, { addr: '192.168.1.5', port: 5000, isn: 2 });
  assert.equal(step(dcc.syn('c')).ctstateName, 'related');
  assert.equal(ct.expectations().length, 0);
});

test('the first segment may carry the DCC (no line bookkeeping, unlike FTP); CHAT, MOVE, TSEND, SCHAT too', () => {
  for (const verb of ['SEND', 'CHAT', 'MOVE', 'TSEND', 'SCHAT']) {
    const { ct } = session(['irc'], [['c', send(6000, CLIENT_U32, verb)]]);
    assert.deepEqual(ct.expectations().map((e) => e.dport), [6000], verb);
  }
});

test('"PRIVMSG " is matched in any case (strncasecmp), the DCC type exactly (memcmp)', () => {
  assert.equal(session(['irc'], [['c', send(5000).replace('PRIVMSG', 'privMsg')]]).ct.expectations().length, 1);
  assert.equal(session(['irc'], [['c', send(5000).replace('SEND', 'send')]]).ct.expectations().length, 0);
  // RESUME/ACCEPT are not among the kernel's dccprotos
  assert.equal(session(['irc'], [['c', send(5000, CLIENT_U32, 'RESUME')]]).ct.expectations().length, 0);
});

test('leading blanks and CRLFs are skipped; any other command is ignored', () => {
  assert.equal(session(['irc'], [['c', '\r\n  ' + send(5000)]]).ct.expectations().length, 1);
  assert.equal(session(['irc'], [['c', send(5000).replace('PRIVMSG', 'NOTICE')]]).ct.expectations().length, 0);
});

test('only the first " :" is examined: a plain message before a DCC in the same segment hides it', () => {
  const { ct } = session(['irc'], [['c', 'PRIVMSG #chan :hello there\r\n' + send(5000)]]);
  assert.equal(ct.expectations().length, 0);
});

test('from the server (reply direction) nothing is read', () => {
  const { ct } = session(['irc'], [['s', `:bob!b@h PRIVMSG alice :\x01DCC SEND f ${3232235811} 5000\x01\r\n`]]);
  assert.equal(ct.expectations().length, 0);
});

test('not before traffic both ways: a DCC in the SYN (ctinfo NEW) is not read', () => {
  const ct = new Conntrack({ helpers: ['irc'] });
  const conv = new TcpConversation({ addr: '192.168.1.5', port: 40000, isn: 1000 }, { addr: '192.168.1.35', port: 6667, isn: 5000 });
  ct.processPacket(conv.syn('c', { payload: bytes(send(5000)) }), T0);
  assert.equal(ct.expectations().length, 0);
});

test('forged DCC: another address, or port 0, is not expected and the packet passes (net_warn_ratelimited only)', () => {
  const other = session(['irc'], [['c', send(5000, 167772169)]]); // 10.0.0.9
  assert.equal(other.ct.expectations().length, 0);
  assert.equal(other.results[0]!.outcome, 'accepted');
  const zero = session(['irc'], [['c', send(0)]]);
  assert.equal(zero.ct.expectations().length, 0);
  assert.equal(zero.results[0]!.outcome, 'accepted');
});

test('after a forged DCC the search goes on to the next " :" in the segment', () => {
  const { ct } = session(['irc'], [['c', send(5000, 167772169) + send(5001)]]);
  assert.deepEqual(ct.expectations().map((e) => e.dport), [5001]);
});

test('parse_dcc: the address and port are simple_strtoul values narrowed to u32 and u16', () => {
  const { ct } = session(['irc'], [['c', send(70000, CLIENT_U32 + 2 ** 32)]]);
  assert.deepEqual(ct.expectations().map((e) => e.dport), [70000 - 65536]);
});

test('parse_dcc: without a "\\n" after the address nothing is expected', () => {
  const { ct } = session(['irc'], [['c', send(5000).replace('\r\n', '')]]);
  assert.equal(ct.expectations().length, 0);
});

test('parse_dcc: blanks between address and port are skipped', () => {
  const { ct } = session(['irc'], [['c', `PRIVMSG bob :\x01DCC SEND f ${CLIENT_U32}    5005\x01\n`]]);
  assert.deepEqual(ct.expectations().map((e) => e.dport), [5005]);
});

test('a short but complete DCC is found (the search needs 26 bytes after the " :")', () => {
  const { ct } = session(['irc'], [['c', `PRIVMSG b :\x01DCC SEND f ${CLIENT_U32} 5\x01\n`]]);
  assert.deepEqual(ct.expectations().map((e) => e.dport), [5]);
});

test('only the first 4095 bytes of a segment are searched (MAX_SEARCH_SIZE)', () => {
  const msg = 'PRIVMSG bob :' + 'x'.repeat(4100) + ' :\x01DCC SEND f ' + CLIENT_U32 + ' 5000\x01\n';
  assert.equal(session(['irc'], [['c', msg]]).ct.expectations().length, 0);
});

test('max_dcc_channels 8: the ninth DCC evicts the oldest', () => {
  const lines: Array<['c', string]> = [];
  for (let i = 0; i < 9; i++) lines.push(['c', send(5000 + i)]);
  const { ct, results } = session(['irc'], lines);
  assert.ok(results.every((r) => r.outcome === 'accepted'));
  assert.deepEqual(ct.expectations().map((e) => e.dport), [5008, 5007, 5006, 5005, 5004, 5003, 5002, 5001]);
});

test('the same DCC announced again replaces the older expectation (nf_ct_expect_related, same master)', () => {
  const { ct, results } = session(['irc'], [['c', send(5000)], ['c', send(5001)], ['c', send(5000)]]);
  assert.deepEqual(results.map((r) => r.outcome), ['accepted', 'accepted', 'accepted']);
  assert.deepEqual(ct.expectations().map((e) => e.dport), [5000, 5001]);
});

test("another session's identical expectation refuses this one: the packet is dropped", () => {
  const ct = new Conntrack({ helpers: ['irc'] });
  let t = T0;
  const step = (p: Uint8Array) => ct.processPacket(p, (t += 0.001));
  const a = new TcpConversation({ addr: '192.168.1.5', port: 40000, isn: 1000 }, { addr: '192.168.1.35', port: 6667, isn: 5000 });
  const b = new TcpConversation({ addr: '192.168.1.5', port: 40001, isn: 3000 }, { addr: '192.168.1.36', port: 6667, isn: 7000 });
  for (const p of [...a.handshake(), ...b.handshake()]) step(p);
  assert.equal(step(a.data('c', bytes(send(5000)))).outcome, 'accepted');
  const r = step(b.data('c', bytes(send(5000))));
  assert.equal(r.outcome, 'dropped');
  assert.deepEqual(r.reasons(), ['dropping packet: cannot add expectation']);
});

test('IPv6 sessions get no DCC tracking (the helper is registered for AF_INET only)', () => {
  const ct = new Conntrack({ helpers: ['irc'] });
  const conv = new TcpConversation({ addr: '2001:db8::5', port: 40000, isn: 1000 }, { addr: '2001:db8::35', port: 6667, isn: 5000 });
  let t = T0;
  for (const p of [...conv.handshake(), conv.data('c', bytes(send(5000, 1)))]) ct.processPacket(p, (t += 0.001));
  assert.equal(ct.expectations().length, 0);
});

test('--helper irc:6697 and nf_conntrack_helper=1 (automatic, port 6667)', () => {
  assert.equal(session(['irc:6697'], [['c', send(5000)]], 6697).ct.expectations().length, 1);
  assert.equal(session([], [['c', send(5000)]], 6667, { nf_conntrack_helper: 1 }).ct.expectations().length, 1);
  assert.equal(session([], [['c', send(5000)]]).ct.expectations().length, 0);
});
