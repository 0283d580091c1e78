import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatProc, formatProcStat, PROC_STAT_HEADER } from '../../../src/format/proc.js';
import type { ConnSnapshot } from '../../../src/format/snapshot.js';
import { conn, ASSURED, CONFIRMED, HW_OFFLOAD, OFFLOAD, SEEN_REPLY } from './helpers.js';
import * as X from './fixtures.js';

const V6_1 = '0000:0000:0000:0000:0000:0000:0000:0001';

// Expected: `cat /proc/net/nf_conntrack` on kernel 6.18.44 in the runs described in fixtures.ts.
const observed: Array<[string, ConnSnapshot, string]> = [
  ['run1 tcp SYN_SENT unreplied', X.A,
    'ipv4     2 tcp      6 116 SYN_SENT src=192.168.1.6 dst=192.168.1.35 sport=1031 dport=23 [UNREPLIED] src=192.168.1.35 dst=192.168.1.6 sport=23 dport=1031 mark=0 zone=0 use=2'],
  ['run1 generic esp', X.B,
    'ipv4     2 unknown  50 599 src=1.1.1.1 dst=2.2.2.2 [UNREPLIED] src=2.2.2.2 dst=1.1.1.1 mark=0 zone=0 use=2'],
  ['run1 icmp replied, not assured', X.C,
    'ipv4     2 icmp     1 29 src=10.0.0.1 dst=10.0.0.2 type=8 code=0 id=1 src=10.0.0.2 dst=10.0.0.1 type=0 code=0 id=1 mark=0 zone=0 use=2'],
  ['run1 tcp ESTABLISHED assured', X.D,
    'ipv4     2 tcp      6 99 ESTABLISHED src=192.168.1.5 dst=192.168.1.35 sport=1031 dport=23 src=192.168.1.35 dst=192.168.1.5 sport=23 dport=1031 [ASSURED] mark=0 zone=0 use=2'],
  ['run1 udp mark=7', X.E,
    'ipv4     2 udp      17 29 src=10.0.0.1 dst=10.0.0.2 sport=53 dport=5353 [UNREPLIED] src=10.0.0.2 dst=10.0.0.1 sport=5353 dport=53 mark=7 zone=0 use=2'],
  ['run2 tcp acct mark=5', X.F,
    'ipv4     2 tcp      6 49 ESTABLISHED src=10.1.1.1 dst=10.1.1.2 sport=1 dport=2 packets=0 bytes=0 src=10.1.1.2 dst=10.1.1.1 sport=2 dport=1 packets=0 bytes=0 [ASSURED] mark=5 zone=0 use=2'],
  ['run2 udp6 zone=3', X.G,
    'ipv6     10 udp      17 29 src=fe80:0000:0000:0000:0000:0000:0000:0001 dst=ff02:0000:0000:0000:0000:0000:0001:0002 sport=546 dport=547 packets=0 bytes=0 [UNREPLIED] src=ff02:0000:0000:0000:0000:0000:0001:0002 dst=fe80:0000:0000:0000:0000:0000:0000:0001 sport=547 dport=546 packets=0 bytes=0 mark=0 zone=3 use=2'],
  ['run2 udp mark=u32 max', X.H,
    'ipv4     2 udp      17 29 src=1.2.3.4 dst=5.6.7.8 sport=546 dport=547 packets=0 bytes=0 [UNREPLIED] src=5.6.7.8 dst=1.2.3.4 sport=547 dport=546 packets=0 bytes=0 mark=4294967295 zone=3 use=2'],
  ['run2 tcp6 assured', X.I,
    'ipv6     10 tcp      6 99 ESTABLISHED src=2001:0db8:0000:0000:0000:0000:0000:0001 dst=2001:0db8:0000:0000:0001:0000:0000:0001 sport=1 dport=2 packets=0 bytes=0 src=2001:0db8:0000:0000:0001:0000:0000:0001 dst=2001:0db8:0000:0000:0000:0000:0000:0001 sport=2 dport=1 packets=0 bytes=0 [ASSURED] mark=0 zone=0 use=2'],
  ['run2 udp6 odd zero runs', X.J,
    'ipv6     10 udp      17 29 src=0001:0000:0000:0001:0000:0000:0000:0001 dst=0000:0000:0001:0000:0000:0001:0000:0000 sport=1 dport=2 packets=0 bytes=0 [UNREPLIED] src=0000:0000:0001:0000:0000:0001:0000:0000 dst=0001:0000:0000:0001:0000:0000:0000:0001 sport=2 dport=1 packets=0 bytes=0 mark=0 zone=0 use=2'],
  ['run2 icmpv6 echo', X.K,
    'ipv6     10 icmpv6   58 29 src=0000:0000:0000:0000:0000:0000:0000:0001 dst=0000:0000:0000:0000:0000:ffff:0102:0304 type=128 code=0 id=5 packets=0 bytes=0 [UNREPLIED] src=0000:0000:0000:0000:0000:ffff:0102:0304 dst=0000:0000:0000:0000:0000:0000:0000:0001 type=129 code=0 id=5 packets=0 bytes=0 mark=0 zone=0 use=2'],
  ['run3 udp6 replied (traffic)', X.L,
    `ipv6     10 udp      17 29 src=${V6_1} dst=${V6_1} sport=7777 dport=7778 packets=1 bytes=58 src=${V6_1} dst=${V6_1} sport=7778 dport=7777 packets=1 bytes=68 mark=0 zone=0 use=2`],
  ['run3 udp one-way (traffic)', X.M,
    'ipv4     2 udp      17 29 src=127.0.0.1 dst=127.0.0.1 sport=43604 dport=5454 packets=1 bytes=40 [UNREPLIED] src=127.0.0.1 dst=127.0.0.1 sport=5454 dport=43604 packets=0 bytes=0 mark=0 zone=0 use=2'],
  ['run3 tcp TIME_WAIT (traffic)', X.N,
    'ipv4     2 tcp      6 119 TIME_WAIT src=127.0.0.1 dst=127.0.0.1 sport=37738 dport=5555 packets=5 bytes=271 src=127.0.0.1 dst=127.0.0.1 sport=5555 dport=37738 packets=3 bytes=164 [ASSURED] mark=0 zone=0 use=2'],
  ['run4 gre (ctnetlink-created: timeouts 0) tstamp', X.GRE,
    'ipv4     2 gre      47 29 timeout=0, stream_timeout=0 src=1.2.3.4 dst=5.6.7.8 srckey=0x1 dstkey=0x2 [UNREPLIED] src=5.6.7.8 dst=1.2.3.4 srckey=0x2 dstkey=0x1 mark=0 zone=0 delta-time=0 use=2'],
  ['run4 sctp tstamp', X.SCTP,
    'ipv4     2 sctp     132 29 ESTABLISHED src=1.2.3.4 dst=5.6.7.8 sport=1 dport=2 [UNREPLIED] src=5.6.7.8 dst=1.2.3.4 sport=2 dport=1 mark=0 zone=0 delta-time=0 use=2'],
  ['run4 udplite tstamp', X.UDPLITE,
    'ipv4     2 udplite  136 29 src=1.2.3.4 dst=5.6.7.8 sport=1 dport=2 [UNREPLIED] src=5.6.7.8 dst=1.2.3.4 sport=2 dport=1 mark=0 zone=0 delta-time=0 use=2'],
  ['tcp SYN_SENT2 (conntrack -I --state SYN_SENT2)', X.SYN_SENT2,
    'ipv4     2 tcp      6 29 SYN_SENT2 src=1.2.3.4 dst=5.6.7.8 sport=3 dport=2 [UNREPLIED] src=5.6.7.8 dst=1.2.3.4 sport=2 dport=3 mark=0 zone=0 use=2'],
  // KERNEL-NOTES §1.3 [observed] (another session on this VM, ping over loopback, acct + tstamp on)
  ['notes icmp acct+tstamp', conn({ proto: 1, timeout: 29, status: CONFIRMED | SEEN_REPLY, acct: [1, 32, 1, 32],
    startNs: 5n, orig: { src: '127.0.0.1', dst: '127.0.0.1', type: 8, code: 0, id: 4660 } }),
    'ipv4     2 icmp     1 29 src=127.0.0.1 dst=127.0.0.1 type=8 code=0 id=4660 packets=1 bytes=32 src=127.0.0.1 dst=127.0.0.1 type=0 code=0 id=4660 packets=1 bytes=32 mark=0 zone=0 delta-time=0 use=2'],
  ['notes tcp TIME_WAIT', conn({ proto: 6, timeout: 119, state: 'TIME_WAIT', status: CONFIRMED | SEEN_REPLY | ASSURED,
    orig: { src: '127.0.0.1', dst: '127.0.0.1', sport: 60110, dport: 5555 } }),
    'ipv4     2 tcp      6 119 TIME_WAIT src=127.0.0.1 dst=127.0.0.1 sport=60110 dport=5555 src=127.0.0.1 dst=127.0.0.1 sport=5555 dport=60110 [ASSURED] mark=0 zone=0 use=2'],
];

test('formatProc matches /proc/net/nf_conntrack of 6.18 byte for byte', () => {
  for (const [name, s, want] of observed) assert.equal(formatProc(s), want, name);
});

test('formatProc: the brief example (ESTABLISHED 431999)', () => {
  const s = conn({ proto: 6, timeout: 431999, state: 'ESTABLISHED', status: CONFIRMED | SEEN_REPLY | ASSURED,
    orig: { src: '192.168.1.5', dst: '192.168.1.35', sport: 1031, dport: 23 } });
  assert.equal(formatProc(s),
    'ipv4     2 tcp      6 431999 ESTABLISHED src=192.168.1.5 dst=192.168.1.35 sport=1031 dport=23 src=192.168.1.35 dst=192.168.1.5 sport=23 dport=1031 [ASSURED] mark=0 zone=0 use=2');
});

test('formatProc: timeout truncates, never negative', () => {
  const s = { ...X.A, timeoutMs: 119999 };
  assert.match(formatProc(s), /^ipv4 {5}2 tcp {6}6 119 SYN_SENT /);
  assert.match(formatProc({ ...X.A, timeoutMs: -5 }), /^ipv4 {5}2 tcp {6}6 0 SYN_SENT /);
});

// Source-derived (ct_seq_show: timeout skipped when IPS_OFFLOAD; flag precedence
// HW_OFFLOAD > OFFLOAD > ASSURED). ctnetlink refuses to set OFFLOAD, so not observable here.
test('formatProc: OFFLOAD omits the timeout and replaces [ASSURED] (source)', () => {
  const base = { ...X.D, status: CONFIRMED | SEEN_REPLY | ASSURED | OFFLOAD };
  assert.equal(formatProc(base),
    'ipv4     2 tcp      6 ESTABLISHED src=192.168.1.5 dst=192.168.1.35 sport=1031 dport=23 src=192.168.1.35 dst=192.168.1.5 sport=23 dport=1031 [OFFLOAD] mark=0 zone=0 use=2');
  assert.equal(formatProc({ ...base, status: base.status | HW_OFFLOAD }),
    'ipv4     2 tcp      6 ESTABLISHED src=192.168.1.5 dst=192.168.1.35 sport=1031 dport=23 src=192.168.1.35 dst=192.168.1.5 sport=23 dport=1031 [HW_OFFLOAD] mark=0 zone=0 use=2');
});

test('formatProc: gre defaults to the packet-path timeouts 30/180 (KERNEL-NOTES Appendix B)', () => {
  const s = { ...X.GRE };
  delete s.extra;
  delete s.startNs;
  assert.equal(formatProc(s),
    'ipv4     2 gre      47 29 timeout=30, stream_timeout=180 src=1.2.3.4 dst=5.6.7.8 srckey=0x1 dstkey=0x2 [UNREPLIED] src=5.6.7.8 dst=1.2.3.4 srckey=0x2 dstkey=0x1 mark=0 zone=0 use=2');
});

test('formatProc: delta-time = (now - start)/1e9 truncated', () => {
  const out = formatProc(X.SCTP, { nowNs: 1795462939_000000000n + 61_999_999_999n });
  assert.match(out, / zone=0 delta-time=61 use=2$/);
  assert.match(formatProc(X.SCTP, { nowNs: 0n }), / delta-time=0 use=2$/);
});

test('formatProc: no trailing space, no newline', () => {
  for (const [, s] of observed) assert.doesNotMatch(formatProc(s), /\s$/);
});

// Expected: `cat /proc/net/stat/nf_conntrack` in run4 (2 CPUs, 3 entries, cpu1 inserted 3).
test('formatProcStat matches /proc/net/stat/nf_conntrack', () => {
  assert.equal(formatProcStat([{}, { insert: 3 }], 3), [
    'entries  clashres found new invalid ignore delete chainlength insert insert_failed drop early_drop icmp_error  expect_new expect_create expect_delete search_restart',
    '00000003  00000000 00000000 00000000 00000000 00000000 00000000 00000000 00000000 00000000 00000000 00000000 00000000  00000000 00000000 00000000 00000000',
    '00000003  00000000 00000000 00000000 00000000 00000000 00000000 00000000 00000003 00000000 00000000 00000000 00000000  00000000 00000000 00000000 00000000',
  ].join('\n'));
  assert.equal(formatProcStat([], 0), PROC_STAT_HEADER);
});

// Source-derived column order (ct_cpu_seq_show): entries clash_resolve found 0 invalid 0 0
// chaintoolong insert insert_failed drop early_drop error | expect_new expect_create expect_delete search_restart.
test('formatProcStat column order (source)', () => {
  const line = formatProcStat([{ clash_resolve: 1, found: 2, invalid: 3, chaintoolong: 4, insert: 5, insert_failed: 6,
    drop: 7, early_drop: 8, error: 9, expect_new: 10, expect_create: 11, expect_delete: 12, search_restart: 255 }], 16)
    .split('\n')[1];
  assert.equal(line,
    '00000010  00000001 00000002 00000000 00000003 00000000 00000000 00000004 00000005 00000006 00000007 00000008 00000009  0000000a 0000000b 0000000c 000000ff');
});
