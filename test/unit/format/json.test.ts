import { test } from 'node:test';
import assert from 'node:assert/strict';
import { toJson } from '../../../src/format/json.js';
import { statusNames } from '../../../src/format/status.js';
import * as X from './fixtures.js';

// Schema v1 (documented in src/format/json.ts). Values mirror what the kernel printed for
// the same fixtures (see proc.test.ts / conntrack.test.ts).
test('toJson tcp6 with counters', () => {
  assert.deepEqual(toJson(X.I), {
    v: 1, family: 'ipv6', protocol: 'tcp', protonum: 6, state: 'ESTABLISHED', timeout: 99,
    status: ['SEEN_REPLY', 'ASSURED', 'CONFIRMED'],
    original: { src: '2001:db8::1', dst: '2001:db8::1:0:0:1', sport: 1, dport: 2, packets: 0, bytes: 0 },
    reply: { src: '2001:db8::1:0:0:1', dst: '2001:db8::1', sport: 2, dport: 1, packets: 0, bytes: 0 },
    mark: 0, zone: 0, use: 2, id: 1413185588, helper: null,
  });
});

test('toJson icmp, generic, gre, no counters', () => {
  assert.deepEqual(toJson(X.C).original, { src: '10.0.0.1', dst: '10.0.0.2', type: 8, code: 0, id: 1 });
  assert.deepEqual(toJson(X.C).reply, { src: '10.0.0.2', dst: '10.0.0.1', type: 0, code: 0, id: 1 });
  const b = toJson(X.B);
  assert.equal(b.protocol, 'unknown');
  assert.equal(b.timeout, 599);
  assert.deepEqual(b.status, ['CONFIRMED']);
  assert.deepEqual(b.original, { src: '1.1.1.1', dst: '2.2.2.2' });
  assert.deepEqual(toJson(X.GRE).original, { src: '1.2.3.4', dst: '5.6.7.8', srckey: 1, dstkey: 2 });
  assert.deepEqual(toJson(X.K).original, { src: '::1', dst: '::ffff:1.2.3.4', type: 128, code: 0, id: 5, packets: 0, bytes: 0 });
  assert.equal(toJson(X.H).mark, 4294967295);
  // JSON round trip is lossless
  assert.deepEqual(JSON.parse(JSON.stringify(toJson(X.N))), toJson(X.N));
});

test('statusNames', () => {
  assert.deepEqual(statusNames(0), []);
  assert.deepEqual(statusNames((1 << 0) | (1 << 12) | (1 << 14) | (1 << 15)), ['EXPECTED', 'NAT_CLASH', 'OFFLOAD', 'HW_OFFLOAD']);
  assert.deepEqual(statusNames(1 << 20), ['BIT_20']);
});
