/** Flow records: one per connection, with its end reason, counters and duration. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Conntrack } from '../../../src/conntrack.js';
import { readCapture } from '../../../src/io/capture-reader.js';
import { attachFlows, flowCsvHeader, flowFormatFor, flowLine, type FlowRecord } from '../../../src/flow/flows.js';

const SCEN = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', '..', 'test', 'conformance', 'scenarios');

function flows(name: string, advance = 0): FlowRecord[] {
  const ct = new Conntrack();
  const out: FlowRecord[] = [];
  const t = attachFlows(ct, (r) => out.push(r));
  readCapture(new Uint8Array(readFileSync(join(SCEN, `${name}.pcap`))), (f) => {
    ct.processFrame(f);
  });
  if (advance) ct.advance(ct.time + advance);
  t.finish();
  return out;
}

test('a connection still open at the end: end-of-capture, packets and bytes per direction', () => {
  const [r, ...more] = flows('tutorial_telnet');
  assert.equal(more.length, 0);
  assert.equal(r!.reason, 'end-of-capture');
  assert.equal(r!.state, 'TIME_WAIT');
  assert.equal(r!.src, '192.168.1.5');
  assert.equal(r!.dport, 23);
  assert.equal(r!.origPackets + r!.replyPackets, 38);
  assert.ok(r!.origBytes > 0 && r!.replyBytes > 0);
  assert.ok(Math.abs(r!.duration - 0.191) < 1e-6);
});

test('expiry: timeout, at the deadline', () => {
  const [r] = flows('udp_one_way', 3600);
  assert.equal(r!.reason, 'timeout');
  assert.ok(Math.abs(r!.duration - (0.02 + 30)) < 0.01, String(r!.duration));
});

test('a RST ends it: rst', () => {
  const all = flows('tcp_rst_in_established_client', 3600);
  assert.deepEqual(all.map((r) => r.reason), ['rst']);
});

test('a SYN reopening a TIME_WAIT connection: reopen, then the new one', () => {
  const all = flows('tcp_port_reuse_after_time_wait');
  assert.equal(all[0]!.reason, 'reopen');
  assert.equal(all.at(-1)!.reason, 'end-of-capture');
});

test('CSV and JSON lines by file name', () => {
  assert.equal(flowFormatFor('x.CSV'), 'csv');
  assert.equal(flowFormatFor('x.jsonl'), 'jsonl');
  const [r] = flows('udp_request_response');
  assert.equal(flowLine(r!, 'csv').split(',').length, flowCsvHeader().split(',').length);
  assert.deepEqual(JSON.parse(flowLine(r!, 'jsonl')), r);
});
