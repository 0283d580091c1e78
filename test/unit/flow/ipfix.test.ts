/** IPFIX encoding (src/flow/ipfix.ts): message layout, templates, biflow records, sequence numbers, end reasons. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createSocket } from 'node:dgram';
import { join } from 'node:path';
import { Conntrack } from '../../../src/conntrack.js';
import { readCapture } from '../../../src/io/capture-reader.js';
import { attachFlows, type FlowRecord } from '../../../src/flow/flows.js';
import { IpfixExporter, REVERSE_PEN, addrBytes, dataRecord, decodeMessage, flowEndReason, templateSet } from '../../../src/flow/ipfix.js';
import { attachIpfix, parseIpfixTarget } from '../../../src/cli/conntrack/ipfix-hook.js';
import { UsageError } from '../../../src/cli/args.js';

const root = join(import.meta.dirname, '..', '..', '..', '..');
const SCEN = join(root, 'test', 'conformance', 'scenarios');

function flowsOf(path: string, advance = 0): FlowRecord[] {
  const ct = new Conntrack();
  const out: FlowRecord[] = [];
  const t = attachFlows(ct, (r) => out.push(r));
  readCapture(new Uint8Array(readFileSync(path)), (f) => {
    ct.processFrame(f);
  });
  if (advance) ct.advance(ct.time + advance);
  t.finish();
  return out;
}

const rec = (over: Partial<FlowRecord> = {}): FlowRecord => ({
  id: 1, family: 'ipv4', proto: 'tcp', protonum: 6, src: '192.168.1.5', dst: '192.168.1.35', sport: 1031, dport: 23,
  replySrc: '192.168.1.35', replyDst: '192.168.1.5', replySport: 23, replyDport: 1031,
  start: 1700000000, end: 1700000000.191, duration: 0.191, origPackets: 24, origBytes: 1024, replyPackets: 14, replyBytes: 673,
  state: 'TIME_WAIT', assured: true, reason: 'end-of-capture', ...over,
});

test('addresses: IPv4, compressed IPv6, embedded IPv4', () => {
  assert.deepEqual([...addrBytes('10.0.0.255')], [10, 0, 0, 255]);
  assert.deepEqual([...addrBytes('2001:db8::5')], [0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 5]);
  assert.deepEqual([...addrBytes('::')], new Array(16).fill(0));
  assert.deepEqual([...addrBytes('::ffff:1.2.3.4')], [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 1, 2, 3, 4]);
  assert.deepEqual([...addrBytes('fe80::1:2')].slice(12), [0, 1, 0, 2]);
  assert.throws(() => addrBytes('1.2.3'));
  assert.throws(() => addrBytes('1::2::3'));
});

test('flowEndReason from the reason of end (RFC 7012 values)', () => {
  assert.equal(flowEndReason('timeout', ''), 1); // idle timeout (UDP, ICMP, an established TCP that went quiet)
  assert.equal(flowEndReason('timeout', 'ESTABLISHED'), 1);
  assert.equal(flowEndReason('timeout', 'TIME_WAIT'), 3); // closed by FIN; the timeout only cleared it
  assert.equal(flowEndReason('rst', 'CLOSE'), 3);
  assert.equal(flowEndReason('reopen', 'TIME_WAIT'), 3);
  assert.equal(flowEndReason('end-of-capture', 'ESTABLISHED'), 4);
});

test('the template set: four templates, reverse counters with the RFC 5103 enterprise number', () => {
  const known = new Map();
  const msg = new Uint8Array(16 + templateSet().length);
  const v = new DataView(msg.buffer);
  v.setUint16(0, 10);
  v.setUint16(2, msg.length);
  msg.set(templateSet(), 16);
  const d = decodeMessage(msg, known);
  assert.deepEqual(d.templates.map((t) => t.id), [256, 257, 258, 259]);
  const v4 = d.templates[0]!.fields;
  assert.deepEqual(v4.map((f) => (f.pen ? `${f.pen}/${f.id}` : String(f.id))),
    ['8', '12', '7', '11', '4', '152', '153', '2', '1', `${REVERSE_PEN}/2`, `${REVERSE_PEN}/1`, '136', '239']);
  assert.deepEqual(d.templates[1]!.fields.slice(0, 2).map((f) => [f.id, f.length]), [[27, 16], [28, 16]]);
  assert.equal(d.templates[2]!.fields[2]!.id, 32); // icmpTypeCodeIPv4
  assert.equal(d.templates[3]!.fields[2]!.id, 139); // icmpTypeCodeIPv6
});

test('a data record carries the flow record: tuple, times in ms, both directions, end reason, biflow direction', () => {
  const msgs: Uint8Array[] = [];
  const e = new IpfixExporter((m) => msgs.push(m));
  e.add(rec(), 1700000000.191);
  e.flush(1700000000.191);
  assert.equal(msgs.length, 1);
  const d = decodeMessage(msgs[0]!);
  assert.equal(d.version, 10);
  assert.equal(d.length, msgs[0]!.length);
  assert.equal(d.exportTime, 1700000000);
  assert.equal(d.sequence, 0);
  assert.equal(d.domain, 1);
  const r = d.records[0]!.values;
  assert.deepEqual([...(r.get('8') as Uint8Array)], [192, 168, 1, 5]);
  assert.deepEqual([...(r.get('12') as Uint8Array)], [192, 168, 1, 35]);
  assert.equal(r.get('7'), 1031);
  assert.equal(r.get('11'), 23);
  assert.equal(r.get('4'), 6);
  assert.equal(r.get('152'), 1700000000000n);
  assert.equal(r.get('153'), 1700000000191n);
  assert.equal(r.get('2'), 24n);
  assert.equal(r.get('1'), 1024n);
  assert.equal(r.get(`${REVERSE_PEN}/2`), 14n);
  assert.equal(r.get(`${REVERSE_PEN}/1`), 673n);
  assert.equal(r.get('136'), 4);
  assert.equal(r.get('239'), 1);
});

test('ICMP: type and code in icmpTypeCode (type * 256 + code); IPv6 addresses', () => {
  const icmp = dataRecord(rec({ protonum: 1, proto: 'icmp', sport: 8, dport: 0 }));
  assert.equal(icmp.templateId, 258);
  const v6 = dataRecord(rec({ family: 'ipv6', protonum: 58, proto: 'icmpv6', src: '2001:db8::5', dst: '2001:db8::35', sport: 128, dport: 0 }));
  assert.equal(v6.templateId, 259);
  const msgs: Uint8Array[] = [];
  const e = new IpfixExporter((m) => msgs.push(m));
  e.add(rec({ family: 'ipv6', protonum: 58, proto: 'icmpv6', src: '2001:db8::5', dst: '2001:db8::35', sport: 128, dport: 0 }), 0);
  e.flush(0);
  const r = decodeMessage(msgs[0]!).records[0]!;
  assert.equal(r.templateId, 259);
  assert.equal(r.values.get('139'), 128 * 256);
  assert.deepEqual([...(r.values.get('27') as Uint8Array)].slice(0, 4), [0x20, 0x01, 0x0d, 0xb8]);
});

test('messages stay under the size limit; sequence numbers count data records sent before; templates refreshed', () => {
  const msgs: Uint8Array[] = [];
  const e = new IpfixExporter((m) => msgs.push(m), { maxMessage: 600, templateEvery: 3, templateSeconds: 1e9 });
  for (let i = 0; i < 40; i++) e.add(rec({ sport: 10000 + i }), 1700000000 + i);
  e.flush(1700000100);
  const known = new Map();
  let seq = 0;
  const ports: number[] = [];
  msgs.forEach((m, i) => {
    assert.ok(m.length <= 600, `message ${i} is ${m.length} bytes`);
    const d = decodeMessage(m, known);
    assert.equal(d.sequence, seq, `sequence of message ${i}`);
    seq += d.records.length;
    assert.equal(d.templates.length > 0, i % 3 === 0, `templates in message ${i}`);
    for (const r of d.records) ports.push(r.values.get('7') as number);
  });
  assert.deepEqual(ports, Array.from({ length: 40 }, (_, i) => 10000 + i));
  assert.equal(e.records, 40);
  assert.equal(e.messages, msgs.length);
});

test('templates again when the capture clock moved templateSeconds', () => {
  const msgs: Uint8Array[] = [];
  const e = new IpfixExporter((m) => msgs.push(m), { immediate: true, templateEvery: 1000, templateSeconds: 600 });
  e.add(rec(), 1000);
  e.add(rec(), 1100);
  e.add(rec(), 1700);
  const known = new Map();
  const hasTemplates = msgs.map((m) => decodeMessage(m, known).templates.length > 0);
  assert.deepEqual(hasTemplates, [true, false, true]);
});

test('a capture: one record per flow, counters equal to the flow records', () => {
  const flows = flowsOf(join(SCEN, 'interleaved_flows.pcap'));
  const msgs: Uint8Array[] = [];
  const e = new IpfixExporter((m) => msgs.push(m));
  for (const f of flows) e.add(f, f.end);
  e.flush(flows.at(-1)!.end);
  const known = new Map();
  const got = msgs.flatMap((m) => decodeMessage(m, known).records);
  assert.equal(got.length, flows.length);
  got.forEach((r, i) => {
    const f = flows[i]!;
    assert.equal(r.values.get('7'), f.sport);
    assert.equal(r.values.get('2'), BigInt(f.origPackets));
    assert.equal(r.values.get(`${REVERSE_PEN}/1`), BigInt(f.replyBytes));
  });
});

test('HOST:PORT parsing', () => {
  assert.deepEqual(parseIpfixTarget('127.0.0.1:4739'), { host: '127.0.0.1', port: 4739 });
  assert.deepEqual(parseIpfixTarget('collector.example:2055'), { host: 'collector.example', port: 2055 });
  assert.deepEqual(parseIpfixTarget('[::1]:4739'), { host: '::1', port: 4739 });
  for (const bad of ['127.0.0.1', '::1:4739', 'host:0', 'host:65536', 'host:x', ':4739']) {
    assert.throws(() => parseIpfixTarget(bad), UsageError, bad);
  }
});

test('attachIpfix sends over UDP: templates and records reach a socket, finish() waits for them', async () => {
  const server = createSocket('udp4');
  const got: Buffer[] = [];
  server.on('message', (m) => got.push(m));
  await new Promise<void>((r) => server.bind(0, '127.0.0.1', () => r()));
  const port = server.address().port;
  try {
    const ct = new Conntrack();
    const ip = await attachIpfix(ct, `127.0.0.1:${port}`);
    readCapture(new Uint8Array(readFileSync(join(root, 'examples', 'tutorial-telnet.pcap'))), (f) => {
      ct.processFrame(f);
    });
    await ip.finish();
    for (let i = 0; i < 50 && got.length < ip.exporter.messages; i++) await new Promise((r) => setTimeout(r, 10));
    assert.equal(got.length, ip.exporter.messages);
    const known = new Map();
    const recs = got.flatMap((m) => decodeMessage(new Uint8Array(m), known).records);
    assert.equal(recs.length, 1);
    assert.equal(recs[0]!.values.get('11'), 23);
    assert.equal((recs[0]!.values.get('2') as bigint) + (recs[0]!.values.get(`${REVERSE_PEN}/2`) as bigint), 38n);
    assert.equal(recs[0]!.values.get('136'), 4);
  } finally {
    server.close();
  }
});

test('attachIpfix: a host that does not resolve is a usage error; nobody listening is not', async () => {
  await assert.rejects(attachIpfix(new Conntrack(), 'no-such-host.invalid:4739'), UsageError);
  const ct = new Conntrack();
  const ip = await attachIpfix(ct, '127.0.0.1:9'); // discard port: nothing listens, ICMP port unreachable
  readCapture(new Uint8Array(readFileSync(join(SCEN, 'udp_request_response.pcap'))), (f) => {
    ct.processFrame(f);
  });
  await ip.finish();
  assert.equal(ip.exporter.records, flowsOf(join(SCEN, 'udp_request_response.pcap')).length);
});
