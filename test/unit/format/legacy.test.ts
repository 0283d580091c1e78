import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatLegacy } from '../../../src/format/proc.js';
import { conn, ASSURED, CONFIRMED, SEEN_REPLY } from './helpers.js';

// No 2.4 kernel to ask: expected strings follow the iptables tutorial's example line
// (KERNEL-NOTES §1.13) and 2.4.32 ip_conntrack_standalone.c print_conntrack(), which
// ends every line with "use=%u " + "\n" — i.e. a trailing space (the tutorial's text
// drops it). use = /proc-6.18 use - 1 (2.4's reader held no reference).
test('formatLegacy: tutorial SYN_SENT line (+ trailing space from source)', () => {
  const s = conn({ proto: 6, timeout: 117, state: 'SYN_SENT', orig: { src: '192.168.1.5', dst: '192.168.1.35', sport: 1031, dport: 23 } });
  assert.equal(formatLegacy(s),
    'tcp      6 117 SYN_SENT src=192.168.1.5 dst=192.168.1.35 sport=1031 dport=23 [UNREPLIED] src=192.168.1.35 dst=192.168.1.5 sport=23 dport=1031 use=1 ');
});

test('formatLegacy: [ASSURED] after the reply tuple, optional mark, counters', () => {
  const s = conn({ proto: 6, timeout: 431999, state: 'ESTABLISHED', status: CONFIRMED | SEEN_REPLY | ASSURED, mark: 3,
    orig: { src: '192.168.1.5', dst: '192.168.1.35', sport: 1031, dport: 23 } });
  assert.equal(formatLegacy(s),
    'tcp      6 431999 ESTABLISHED src=192.168.1.5 dst=192.168.1.35 sport=1031 dport=23 src=192.168.1.35 dst=192.168.1.5 sport=23 dport=1031 [ASSURED] use=1 ');
  assert.equal(formatLegacy(s, { mark: true }),
    'tcp      6 431999 ESTABLISHED src=192.168.1.5 dst=192.168.1.35 sport=1031 dport=23 src=192.168.1.35 dst=192.168.1.5 sport=23 dport=1031 [ASSURED] use=1 mark=3 ');
  const a = conn({ proto: 17, timeout: 170, status: CONFIRMED | SEEN_REPLY | ASSURED, acct: [2, 100, 1, 50],
    orig: { src: '10.0.0.1', dst: '10.0.0.2', sport: 1025, dport: 53 } });
  assert.equal(formatLegacy(a),
    'udp      17 170 src=10.0.0.1 dst=10.0.0.2 sport=1025 dport=53 packets=2 bytes=100 src=10.0.0.2 dst=10.0.0.1 sport=53 dport=1025 packets=1 bytes=50 [ASSURED] use=1 ');
});

test('formatLegacy: icmp and generic (2.4 names; no gre/sctp/udplite trackers)', () => {
  const i = conn({ proto: 1, timeout: 29, orig: { src: '10.0.0.1', dst: '10.0.0.2', type: 8, code: 0, id: 512 } });
  assert.equal(formatLegacy(i),
    'icmp     1 29 src=10.0.0.1 dst=10.0.0.2 type=8 code=0 id=512 [UNREPLIED] src=10.0.0.2 dst=10.0.0.1 type=0 code=0 id=512 use=1 ');
  const g = conn({ proto: 47, timeout: 599, orig: { src: '1.1.1.1', dst: '2.2.2.2', greKeySrc: 1, greKeyDst: 2 } });
  assert.equal(formatLegacy(g), 'unknown  47 599 src=1.1.1.1 dst=2.2.2.2 [UNREPLIED] src=2.2.2.2 dst=1.1.1.1 use=1 ');
});

test('formatLegacy: IPv6 (not in 2.4) uses the 6.18 %pI6 tuple, no l3 column', () => {
  const s = conn({ proto: 17, timeout: 29, orig: { src: '::1', dst: '::1', sport: 1, dport: 2 } });
  const v = '0000:0000:0000:0000:0000:0000:0000:0001';
  assert.equal(formatLegacy(s), `udp      17 29 src=${v} dst=${v} sport=1 dport=2 [UNREPLIED] src=${v} dst=${v} sport=2 dport=1 use=1 `);
});
