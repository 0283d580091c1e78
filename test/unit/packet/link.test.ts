import { concat } from '../../../tools/lib/packet-builder.js';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  assertSupportedLinkType,
  createLinkResult,
  decodeLink,
  isSupportedLinkType,
  linkTypeName,
} from '../../../src/packet/link.js';
import { CaptureError } from '../../../src/io/errors.js';
import { createFrame } from '../../../src/io/frame.js';
import type { CaptureFrame } from '../../../src/io/frame.js';
import { ethernet, hex, ipv4Packet, ipv6Packet } from '../io/build-capture.js';

const V4 = ipv4Packet(8);
const V6 = ipv6Packet(8);

/** Frame whose bytes sit at a non-zero offset inside a bigger buffer with a non-zero byteOffset. */
function frameOf(linkType: number, bytes: Uint8Array): CaptureFrame {
  const backing = new Uint8Array(bytes.length + 13);
  const buf = backing.subarray(3);
  buf.set(bytes, 7);
  buf.fill(0xff, 7 + bytes.length);
  const f = createFrame();
  f.linkType = linkType;
  f.buf = buf;
  f.dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  f.offset = 7;
  f.caplen = bytes.length;
  f.origLen = bytes.length;
  return f;
}

const cat = concat;

const sll = (proto: number, payload: Uint8Array): Uint8Array =>
  cat(hex('0000 0001 0006 000102030405 0000'), Uint8Array.of(proto >> 8, proto & 0xff), payload);
const sll2 = (proto: number, payload: Uint8Array): Uint8Array =>
  cat(Uint8Array.of(proto >> 8, proto & 0xff), hex('0000 00000002 0001 00 06 0001020304050000'), payload);
const u32le = (v: number): Uint8Array => Uint8Array.of(v & 0xff, (v >> 8) & 0xff, (v >> 16) & 0xff, v >>> 24);
const u32be = (v: number): Uint8Array => Uint8Array.of(v >>> 24, (v >> 16) & 0xff, (v >> 8) & 0xff, v & 0xff);

interface Case {
  name: string;
  lt: number;
  bytes: Uint8Array;
  ok: boolean;
  hdr?: number; // expected link header length
  family?: 0 | 4 | 6;
  ethertype?: number;
  skip?: string;
}

const cases: Case[] = [
  { name: 'ethernet IPv4', lt: 1, bytes: ethernet(0x0800, V4), ok: true, hdr: 14, family: 4, ethertype: 0x0800 },
  { name: 'ethernet IPv6', lt: 1, bytes: ethernet(0x86dd, V6), ok: true, hdr: 14, family: 6, ethertype: 0x86dd },
  { name: 'ethernet 802.1Q', lt: 1, bytes: ethernet(0x0800, V4, [[0x8100, 10]]), ok: true, hdr: 18, family: 4 },
  { name: 'ethernet QinQ 802.1ad + 802.1Q', lt: 1, bytes: ethernet(0x86dd, V6, [[0x88a8, 100], [0x8100, 10]]), ok: true, hdr: 22, family: 6 },
  { name: 'ethernet 0x9100 + 0x8100 + 0x8100', lt: 1, bytes: ethernet(0x0800, V4, [[0x9100, 1], [0x8100, 2], [0x8100, 3]]), ok: true, hdr: 26, family: 4 },
  { name: 'ethernet ARP skipped', lt: 1, bytes: ethernet(0x0806, new Uint8Array(28)), ok: false, skip: 'not IP (ethertype 0x0806)', ethertype: 0x0806 },
  { name: 'ethernet VLAN + ARP skipped', lt: 1, bytes: ethernet(0x0806, new Uint8Array(28), [[0x8100, 5]]), ok: false, skip: 'not IP (ethertype 0x0806)' },
  { name: 'ethernet 802.3 length', lt: 1, bytes: ethernet(0x002e, new Uint8Array(46)), ok: false, skip: 'not IP (ethertype 0x002e)' },
  { name: 'ethernet truncated', lt: 1, bytes: ethernet(0x0800, V4).subarray(0, 13), ok: false, skip: 'truncated link header' },
  { name: 'ethernet truncated VLAN tag', lt: 1, bytes: ethernet(0x0800, V4, [[0x8100, 10]]).subarray(0, 17), ok: false, skip: 'truncated link header' },
  { name: 'ethernet header only', lt: 1, bytes: ethernet(0x0800, new Uint8Array(0)), ok: true, hdr: 14, family: 4 },
  { name: 'SLL IPv4', lt: 113, bytes: sll(0x0800, V4), ok: true, hdr: 16, family: 4 },
  { name: 'SLL IPv6', lt: 113, bytes: sll(0x86dd, V6), ok: true, hdr: 16, family: 6 },
  { name: 'SLL VLAN', lt: 113, bytes: sll(0x8100, cat(hex('000a 0800'), V4)), ok: true, hdr: 20, family: 4 },
  { name: 'SLL ARP', lt: 113, bytes: sll(0x0806, new Uint8Array(28)), ok: false, skip: 'not IP (ethertype 0x0806)' },
  { name: 'SLL truncated', lt: 113, bytes: sll(0x0800, V4).subarray(0, 15), ok: false, skip: 'truncated link header' },
  { name: 'SLL2 IPv4', lt: 276, bytes: sll2(0x0800, V4), ok: true, hdr: 20, family: 4 },
  { name: 'SLL2 IPv6', lt: 276, bytes: sll2(0x86dd, V6), ok: true, hdr: 20, family: 6 },
  { name: 'SLL2 truncated', lt: 276, bytes: sll2(0x0800, V4).subarray(0, 19), ok: false, skip: 'truncated link header' },
  { name: 'RAW 101 IPv4', lt: 101, bytes: V4, ok: true, hdr: 0, family: 4, ethertype: 0x0800 },
  { name: 'RAW 101 IPv6', lt: 101, bytes: V6, ok: true, hdr: 0, family: 6, ethertype: 0x86dd },
  { name: 'RAW 101 bad version', lt: 101, bytes: Uint8Array.of(0x55, 0), ok: false, skip: 'not IP (version 5)' },
  { name: 'RAW 101 empty', lt: 101, bytes: new Uint8Array(0), ok: false, skip: 'truncated link header' },
  { name: 'DLT 12 IPv4', lt: 12, bytes: V4, ok: true, hdr: 0, family: 4 },
  { name: 'DLT 12 IPv6', lt: 12, bytes: V6, ok: true, hdr: 0, family: 6 },
  { name: 'DLT 14 IPv4', lt: 14, bytes: V4, ok: true, hdr: 0, family: 4 },
  { name: 'DLT 14 IPv6', lt: 14, bytes: V6, ok: true, hdr: 0, family: 6 },
  { name: 'IPV4 228', lt: 228, bytes: V4, ok: true, hdr: 0, family: 4, ethertype: 0x0800 },
  { name: 'IPV6 229', lt: 229, bytes: V6, ok: true, hdr: 0, family: 6, ethertype: 0x86dd },
  { name: 'IPV4 228 empty', lt: 228, bytes: new Uint8Array(0), ok: false, skip: 'truncated link header' },
  { name: 'NULL AF_INET little-endian host', lt: 0, bytes: cat(u32le(2), V4), ok: true, hdr: 4, family: 4 },
  { name: 'NULL AF_INET big-endian host', lt: 0, bytes: cat(u32be(2), V4), ok: true, hdr: 4, family: 4 },
  { name: 'NULL AF_INET6 24', lt: 0, bytes: cat(u32le(24), V6), ok: true, hdr: 4, family: 6 },
  { name: 'NULL AF_INET6 28 BE', lt: 0, bytes: cat(u32be(28), V6), ok: true, hdr: 4, family: 6 },
  { name: 'NULL AF_INET6 30', lt: 0, bytes: cat(u32le(30), V6), ok: true, hdr: 4, family: 6 },
  { name: 'NULL unknown AF', lt: 0, bytes: cat(u32le(7), V4), ok: false, skip: 'not IP (address family 7)' },
  { name: 'NULL truncated', lt: 0, bytes: Uint8Array.of(2, 0, 0), ok: false, skip: 'truncated link header' },
  { name: 'LOOP AF_INET', lt: 108, bytes: cat(u32be(2), V4), ok: true, hdr: 4, family: 4 },
  { name: 'LOOP AF_INET6 24', lt: 108, bytes: cat(u32be(24), V6), ok: true, hdr: 4, family: 6 },
  { name: 'LOOP AF_INET6 30', lt: 108, bytes: cat(u32be(30), V6), ok: true, hdr: 4, family: 6 },
  { name: 'LOOP little-endian AF is not IP', lt: 108, bytes: cat(u32le(2), V4), ok: false, skip: 'not IP (address family 33554432)' },
  { name: 'LOOP truncated', lt: 108, bytes: Uint8Array.of(0, 0, 0), ok: false, skip: 'truncated link header' },
  { name: 'unsupported USER0', lt: 147, bytes: V4, ok: false, skip: 'unsupported link type 147 (LINKTYPE_USER0)' },
  { name: 'unsupported 802.11', lt: 105, bytes: V4, ok: false, skip: 'unsupported link type 105 (LINKTYPE_IEEE802_11)' },
  { name: 'unsupported unknown', lt: 9999, bytes: V4, ok: false, skip: 'unsupported link type 9999 (unknown)' },
];

for (const c of cases) {
  test(`link: ${c.name}`, () => {
    const f = frameOf(c.lt, c.bytes);
    const out = createLinkResult();
    out.skip = 'stale';
    const ok = decodeLink(f, out);
    assert.equal(ok, c.ok);
    if (c.ok) {
      assert.equal(out.skip, null);
      assert.equal(out.l3Off, f.offset + c.hdr!);
      assert.equal(out.l3Len, c.bytes.length - c.hdr!);
      assert.equal(out.family, c.family);
      if (out.l3Len > 0) assert.equal(f.buf[out.l3Off]! >> 4, c.family, 'l3Off points at the IP version nibble');
      if (c.ethertype !== undefined) assert.equal(out.ethertype, c.ethertype);
    } else {
      assert.equal(out.skip, c.skip);
      assert.equal(out.family, 0);
      if (c.ethertype !== undefined) assert.equal(out.ethertype, c.ethertype);
    }
  });
}

test('link: l3Len excludes bytes after caplen', () => {
  const f = frameOf(1, ethernet(0x0800, V4));
  f.caplen = 20;
  const out = createLinkResult();
  assert.equal(decodeLink(f, out), true);
  assert.equal(out.l3Len, 6);
});

test('link: skip messages are cached (no allocation for repeated non-IP frames)', () => {
  const out = createLinkResult();
  decodeLink(frameOf(1, ethernet(0x0806, new Uint8Array(28))), out);
  const a = out.skip;
  decodeLink(frameOf(1, ethernet(0x0806, new Uint8Array(28))), out);
  assert.equal(out.skip, a);
});

test('link: isSupportedLinkType / linkTypeName / assertSupportedLinkType', () => {
  for (const lt of [0, 1, 12, 14, 101, 108, 113, 228, 229, 276]) assert.equal(isSupportedLinkType(lt), true, String(lt));
  for (const lt of [9, 105, 127, 147, 239, 65535]) assert.equal(isSupportedLinkType(lt), false, String(lt));
  assert.equal(linkTypeName(1), 'LINKTYPE_ETHERNET');
  assert.equal(linkTypeName(150), 'LINKTYPE_USER3');
  assert.equal(linkTypeName(4242), 'unknown');
  assert.doesNotThrow(() => assertSupportedLinkType(1));
  assert.throws(
    () => assertSupportedLinkType(147, 24),
    (e: unknown) => e instanceof CaptureError && e.message === 'unsupported link type 147 (LINKTYPE_USER0)' && e.offset === 24,
  );
});
