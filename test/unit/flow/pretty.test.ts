/** --filter expressions, the --pretty table, the summary, follow ticks. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Conntrack } from '../../../src/conntrack.js';
import { readCapture } from '../../../src/io/capture-reader.js';
import { compileFilter, formatPrettyTable } from '../../../src/format/pretty.js';
import { FollowTicker, SummaryCollector, entryFilter, useColor } from '../../../src/cli/conntrack/replay-hooks.js';
import { UsageError } from '../../../src/cli/args.js';

const CAP = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', '..', 'test', 'fixtures', 'conntrack', 'merged.pcap');

function replay(): { ct: Conntrack; sum: SummaryCollector } {
  const ct = new Conntrack();
  const sum = new SummaryCollector();
  readCapture(new Uint8Array(readFileSync(CAP)), (f) => sum.observe(ct.processFrame(f), f.tsSec + f.tsNsec / 1e9));
  return { ct, sum };
}

test('filter expressions: proto, host, net, port, state with and/or/not and parentheses', () => {
  const { ct } = replay();
  const all = ct.entries();
  const n = (e: string): number => all.filter(compileFilter(e)).length;
  assert.equal(n('tcp'), 23);
  assert.equal(n('udp or tcp'), 36);
  assert.equal(n('tcp and port 443 and not state TIME_WAIT'), 10);
  assert.equal(n('tcp port 23'.replace('tcp port', 'tcp and port')), 1);
  assert.equal(n('src net 192.168.0.0/16'), 37);
  assert.equal(n('net 2001:db8::/32'), 3);
  assert.equal(n('not (tcp or udp)'), 4);
  assert.equal(n('state unreplied'), all.filter((s) => !(s.status & 2)).length);
  assert.equal(n('proto 50'), 1);
  assert.equal(n(''), 40);
  assert.throws(() => entryFilter('tcp and frobnicate'), UsageError);
  assert.throws(() => compileFilter('port 70000'), /bad port/);
});

test('pretty table: aligned columns, colors only when asked', () => {
  const { ct } = replay();
  const plain = formatPrettyTable(ct.entries().slice(0, 3), false);
  assert.match(plain[0]!, /^PROTO\s+SOURCE\s+DESTINATION\s+STATE\s+TIMEOUT\s+FLAGS$/);
  assert.ok(!plain.join('').includes('\x1b['));
  const col = plain[0]!.indexOf('STATE');
  for (const l of plain.slice(1)) assert.match(l.slice(col), /^[A-Z_a-z]+/);
  assert.ok(formatPrettyTable(ct.entries().slice(0, 3), true).join('').includes('\x1b['));
  assert.equal(useColor({ isTTY: true }, {}), true);
  assert.equal(useColor({ isTTY: true }, { NO_COLOR: '1' }), false);
  assert.equal(useColor({ isTTY: false }, {}), false);
});

test('summary: packets by ctstate, connections by protocol and state, time span', () => {
  const { ct, sum } = replay();
  const lines = sum.lines(ct.entries());
  assert.match(lines[0]!, /^packets: 293 \(.*\) over 0\.292 s$/);
  assert.equal(lines[1], 'connections in the table: 40');
  assert.ok(lines.some((l) => /^  tcp\s+23  /.test(l)), lines.join('\n'));
});

test('follow: one tick per N seconds of capture time', () => {
  const ticks: number[] = [];
  const f = new FollowTicker(10, (t) => ticks.push(t));
  for (const t of [100, 105, 110, 131]) f.tick(t);
  assert.deepEqual(ticks, [110, 120, 130]);
  assert.throws(() => new FollowTicker(0, () => {}), UsageError);
});
