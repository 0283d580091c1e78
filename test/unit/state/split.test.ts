/**
 * Save/restore: a capture replayed in pieces, saving the tracker after each piece
 * and restoring it into a new one before the next, ends exactly as in one go —
 * same table (ids, timeouts, TCP window state via later verdicts), same events,
 * same per-packet verdicts, same counters.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Conntrack } from '../../../src/conntrack.js';
import { readCapture } from '../../../src/io/capture-reader.js';
import type { CaptureFrame } from '../../../src/io/frame.js';
import { restoreState, saveState, StateError } from '../../../src/state/snapshot.js';
import { formatConntrack } from '../../../src/format/conntrack.js';
import { formatProc } from '../../../src/format/proc.js';
import { floodBytes } from '../../../tools/floods/gen.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', '..');

function frames(path: string): CaptureFrame[] {
  const out: CaptureFrame[] = [];
  readCapture(new Uint8Array(readFileSync(path)), (f) => {
    const buf = f.buf.slice(f.offset, f.offset + f.caplen);
    out.push({ ...f, buf, dv: new DataView(buf.buffer), offset: 0 });
  });
  return out;
}

interface Trace { verdicts: string[]; events: string[]; table: string[]; stats: Record<string, number> }

function run(fr: CaptureFrame[], cuts: number[], opts = {}): Trace {
  const verdicts: string[] = [];
  const events: string[] = [];
  let ct = new Conntrack(opts);
  const listen = (c: Conntrack): void => c.on('event', (e) => events.push(`${e.time} ${formatConntrack(e.entry, { event: e.type, id: true, ...(e.protoinfo ? {} : { noProtoinfo: true }) })}`));
  listen(ct);
  let start = 0;
  for (const end of [...cuts, fr.length]) {
    for (const f of fr.slice(start, end)) {
      const r = ct.processFrame(f);
      verdicts.push(`${r.ctstateName} ${r.dirName} ${r.reasons().join('; ')}`);
    }
    start = end;
    if (end < fr.length) {
      // Round-trip through JSON text, as the files do.
      ct = restoreState(JSON.parse(JSON.stringify(saveState(ct, opts))));
      listen(ct);
    }
  }
  ct.advance(ct.time + 1000);
  return { verdicts, events, table: ct.entries().map((s) => formatProc(s) + ` id=${s.id}`), stats: ct.stats };
}

const SCENARIOS = ['tutorial_telnet', 'interleaved_flows', 'tcp_window_scaling', 'tcp_window_data_beyond_window',
  'tcp_port_reuse_after_time_wait', 'udp_stream', 'icmp_error_dest_unreach_tcp', 'ipv6_tcp_handshake_close'];

for (const name of SCENARIOS) {
  test(`save/restore between pieces replays ${name} exactly as in one go`, () => {
    const fr = frames(join(ROOT, 'test', 'conformance', 'scenarios', `${name}.pcap`));
    const whole = run(fr, [], { sysctl: { nf_conntrack_acct: 1 } });
    const n = fr.length;
    for (const cuts of [[1], [Math.floor(n / 2)], [1, 2, Math.floor(n / 3), Math.floor((2 * n) / 3)].filter((c, i, a) => c > 0 && c < n && a.indexOf(c) === i)]) {
      assert.deepEqual(run(fr, cuts, { sysctl: { nf_conntrack_acct: 1 } }), whole, `${name} cut at ${cuts.join(',')}`);
    }
  });
}

test('the tutorial example replays in every 5-packet piece as in one go', () => {
  const fr = frames(join(ROOT, 'examples', 'tutorial-telnet.pcap'));
  const cuts = [];
  for (let i = 5; i < fr.length; i += 5) cuts.push(i);
  assert.deepEqual(run(fr, cuts), run(fr, []));
});

test('a state file that is not one, or of another version, is refused', () => {
  assert.throws(() => restoreState({}), StateError);
  assert.throws(() => restoreState({ format: 'ctscope-state', version: 99, entries: [], clock: {}, stats: {} }), /version 99/);
});

test('a flood against a full table replays in pieces as in one go: gc schedule, early-drop mode and net_ratelimit travel with the state', () => {
  // 1.5 s at 10 000 SYN/s against nf_conntrack_max=300: the gc worker's run at 1 s kills (early-drop mode),
  // and the table-full message is rate-limited; cuts before and after that run.
  const fr: CaptureFrame[] = [];
  readCapture(floodBytes({ kind: 'syn', packets: 15_000, pps: 10_000, legit: 5, seed: 4 }), (f) => {
    const buf = f.buf.slice(f.offset, f.offset + f.caplen);
    fr.push({ ...f, buf, dv: new DataView(buf.buffer), offset: 0 });
  });
  const opts = { sysctl: { nf_conntrack_max: 300 }, hashSeed: 9 };
  const whole = run(fr, [], opts);
  assert.ok(whole.events.length > 0);
  assert.deepEqual(run(fr, [3, 5000, 10_040, 10_060, 12_000], opts), whole);
});
