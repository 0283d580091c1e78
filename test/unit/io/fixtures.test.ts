/**
 * Tool-made fixtures (tools/fixtures/make-captures.sh: python, editcap,
 * mergecap, text2pcap) checked against what tshark printed for them (stored
 * as JSON next to each file). When tshark is installed the JSON is also
 * re-checked against a live tshark run.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { readCapture } from '../../../src/io/capture-reader.js';
import { createLinkResult, decodeLink } from '../../../src/packet/link.js';
import { forEachFrame } from '../../../src/node/capture-source.js';

const dir = fileURLToPath(new URL('../../../../test/fixtures/captures/', import.meta.url));

interface Expected {
  number: number;
  sec: number;
  frac: string;
  caplen: number;
  len: number;
  interface: string;
  ip: string;
  ipv6: string;
}

const files = readdirSync(dir).filter((f) => /\.pcap(ng)?$/.test(f)).sort();

function hasTshark(): boolean {
  try {
    execFileSync('tshark', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}
const tshark = hasTshark();

test('fixtures exist', () => {
  assert.ok(files.length >= 7, `fixtures in ${dir}`);
});

for (const file of files) {
  const expected = (JSON.parse(readFileSync(dir + file + '.json', 'utf8')) as { frames: Expected[] }).frames;

  test(`fixture ${file}: frames, ns timestamps, lengths and IP family equal tshark's`, () => {
    const bytes = new Uint8Array(readFileSync(dir + file));
    const got: Expected[] = [];
    const link = createLinkResult();
    readCapture(bytes, (f) => {
      const fam = decodeLink(f, link) ? link.family : 0;
      got.push({
        number: f.index,
        sec: f.tsSec,
        frac: String(f.tsNsec).padStart(9, '0'),
        caplen: f.caplen,
        len: f.origLen,
        interface: file.endsWith('.pcapng') ? String(f.ifIndex) : '',
        ip: fam === 4 ? '4' : fam === 6 ? '6' : '',
        ipv6: fam === 6 ? '6' : '',
      });
    });
    assert.deepEqual(got, expected);
  });

  test(`fixture ${file}: streamed through the Node source in one read`, async () => {
    let n = 0;
    const s = await forEachFrame(dir + file, (f) => {
      n++;
      assert.equal(f.caplen, expected[n - 1]!.caplen);
    });
    assert.equal(n, expected.length);
    assert.equal(s.frames, expected.length);
    assert.equal(s.truncatedAt, null);
  });

  test(`fixture ${file}: JSON agrees with a live tshark run`, { skip: tshark ? false : 'tshark not installed (apt-get install -y tshark); stored answers still checked above' }, () => {
    const out = execFileSync(
      'tshark',
      ['-r', dir + file, '-T', 'fields', '-E', 'separator=|', '-e', 'frame.number', '-e', 'frame.time_epoch', '-e', 'frame.cap_len', '-e', 'frame.len', '-e', 'frame.interface_id', '-e', 'ip.version', '-e', 'ipv6.version'],
      { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] },
    );
    const live = out
      .trim()
      .split('\n')
      .map((line) => {
        const [num, t, cl, l, ifc, ip, ip6] = line.split('|');
        const [sec, frac] = t!.split('.');
        return { number: Number(num), sec: Number(sec), frac: frac!, caplen: Number(cl), len: Number(l), interface: ifc!, ip: ip!, ipv6: ip6! };
      });
    assert.deepEqual(live, expected);
  });
}
