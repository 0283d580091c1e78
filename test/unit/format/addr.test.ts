import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatAddr } from '../../../src/format/addr.js';
import { ip } from './helpers.js';

// Expected 'compressed' strings: conntrack -L (conntrack-tools 1.4.7, glibc inet_ntop) on this
// machine's 6.18.44 kernel, entries created with `conntrack -I -p udp -s <addr> ...` in a
// scratch netns. The input column is the address as given to conntrack -I.
const compressed: Array<[string, string]> = [
  ['::2', '::2'],
  ['::1.2.3.4', '::1.2.3.4'], // glibc: 6 leading zero groups -> dotted tail
  ['::ffff:0:1.2.3.4', '::ffff:0:102:304'],
  ['::ffff:1.2.3.4', '::ffff:1.2.3.4'],
  ['1:0:1:1:1:1:1:1', '1:0:1:1:1:1:1:1'], // a single zero group is not compressed
  ['1:0:0:1:0:0:1:1', '1::1:0:0:1:1'], // tie: first run wins
  ['0:0:1::1', '0:0:1::1'], // longest run wins
  ['ABCD:EF01::0DB8', 'abcd:ef01::db8'], // lowercase, no leading zeros
  ['::', '::'],
  ['64:ff9b::1.2.3.4', '64:ff9b::102:304'],
  ['::0.1.0.0', '::0.1.0.0'],
  ['fe80::ffff:1.2.3.4', 'fe80::ffff:102:304'],
  ['1::1:0:0:0:1', '1:0:0:1::1'],
  // from the listing runs (conntrack -L / -E output of the same session)
  ['::1', '::1'],
  ['2001:db8::1', '2001:db8::1'],
  ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'],
  ['1:0:0:1:0:0:0:1', '1:0:0:1::1'],
  ['0:0:1:0:0:1:0:0', '::1:0:0:1:0:0'],
  ['fe80::1', 'fe80::1'],
  ['ff02::1:2', 'ff02::1:2'],
];

// Expected 'proc' strings: /proc/net/nf_conntrack (%pI6) of the same sessions.
const proc: Array<[string, string]> = [
  ['::1', '0000:0000:0000:0000:0000:0000:0000:0001'],
  ['::ffff:1.2.3.4', '0000:0000:0000:0000:0000:ffff:0102:0304'],
  ['2001:db8::1', '2001:0db8:0000:0000:0000:0000:0000:0001'],
  ['2001:db8:0:0:1:0:0:1', '2001:0db8:0000:0000:0001:0000:0000:0001'],
  ['fe80::1', 'fe80:0000:0000:0000:0000:0000:0000:0001'],
  ['ff02::1:2', 'ff02:0000:0000:0000:0000:0000:0001:0002'],
  ['1:0:0:1:0:0:0:1', '0001:0000:0000:0001:0000:0000:0000:0001'],
  ['0:0:1:0:0:1:0:0', '0000:0000:0001:0000:0000:0001:0000:0000'],
];

test('formatAddr compressed = glibc inet_ntop as printed by conntrack -L', () => {
  for (const [input, want] of compressed) assert.equal(formatAddr(ip(input), 'compressed'), want, input);
});

test('formatAddr proc = %pI6 full form', () => {
  for (const [input, want] of proc) assert.equal(formatAddr(ip(input), 'proc'), want, input);
});

test('formatAddr IPv4 is dotted in both styles', () => {
  assert.equal(formatAddr(ip('192.168.1.5'), 'proc'), '192.168.1.5');
  assert.equal(formatAddr(ip('255.255.255.255'), 'compressed'), '255.255.255.255');
  assert.equal(formatAddr(ip('0.0.0.0'), 'compressed'), '0.0.0.0');
});

test('formatAddr rejects bad lengths', () => {
  assert.throws(() => formatAddr(new Uint8Array(5), 'proc'), RangeError);
});
