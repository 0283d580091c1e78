/**
 * Differential fuzzing of ctscope's TCP tracker against the live kernel.
 *
 *   npm run conformance:fuzz -- --seed S --cases N [--batch B] [--keep DIR] [--repros DIR]
 *                               [--no-reduce] [--max-minutes M] [--only I,J,...]
 *
 * --only: just the cases with these indices (as numbered in a previous run's output).
 *
 * Generates N random TCP conversations (tools/fuzz/tcp-case.ts, deterministic from the seed),
 * writes them as pcaps into a temporary directory, records them through the running kernel with
 * tools/conformance/record.py --reuse-netns (one recorder run per batch of B cases, conntrack -F
 * between cases), compares ctscope with each recording (test/conformance/compare.ts), and
 * reduces every differing case to a minimal reproducer (chunked greedy packet removal, each
 * candidate recorded again, kept while ctscope still differs from the kernel), written to
 * test/conformance/fuzz-repros/<name>.pcap + .json. Needs root (exit 77 "skipping" otherwise);
 * exit 1 when a difference was found, 0 when everything agreed.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { compareWithGolden, type Golden } from '../../test/conformance/compare.js';
import { LINKTYPE_RAW, writePcap } from '../lib/pcap-writer.js';
import { generateCase, type CasePacket, type FuzzCase } from './tcp-case.js';

const root = resolve(import.meta.dirname, '..', '..', '..');
const recorder = join(root, 'tools', 'conformance', 'record.py');
const BASE_US = Date.UTC(2026, 0, 1) * 1000;

interface Opts {
  seed: number;
  cases: number;
  batch: number;
  keep: string | null;
  repros: string;
  reduce: boolean;
  maxMinutes: number;
  only: number[] | null;
}

function parse(argv: string[]): Opts {
  const o: Opts = { seed: 1, cases: 500, batch: 250, keep: null, repros: join(root, 'test', 'conformance', 'fuzz-repros'), reduce: true, maxMinutes: Infinity, only: null };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const v = (): string => {
      const x = argv[++i];
      if (x === undefined) usage(`${a} needs a value`);
      return x;
    };
    if (a === '--seed') o.seed = Number(v()) >>> 0;
    else if (a === '--cases') o.cases = Number(v());
    else if (a === '--batch') o.batch = Number(v());
    else if (a === '--keep') o.keep = resolve(v());
    else if (a === '--repros') o.repros = resolve(v());
    else if (a === '--no-reduce') o.reduce = false;
    else if (a === '--max-minutes') o.maxMinutes = Number(v());
    else if (a === '--only') o.only = v().split(',').map((x) => Number(x));
    else if (a === '-h' || a === '--help') usage(null);
    else usage(`unknown option ${a}`);
  }
  if (!Number.isInteger(o.cases) || o.cases < 1 || !Number.isInteger(o.batch) || o.batch < 1) usage('--cases and --batch need positive integers');
  return o;
}

function usage(err: string | null): never {
  const text = 'usage: npm run conformance:fuzz -- --seed S --cases N [--batch B] [--keep DIR] [--repros DIR] [--no-reduce] [--max-minutes M] [--only I,J,...]';
  if (err) {
    console.error(`conformance:fuzz: ${err}\n${text}`);
    process.exit(2);
  }
  console.log(text);
  process.exit(0);
}

function skip(why: string): never {
  console.log(`conformance:fuzz: skipping: ${why} (needs root, network namespaces, nft, conntrack and /dev/net/tun)`);
  process.exit(77);
}

interface Item {
  name: string;
  sysctls: Record<string, number>;
  packets: CasePacket[];
}

function pcapOf(packets: CasePacket[]): Uint8Array {
  return writePcap(
    packets.map((p) => ({ tsUs: BASE_US + Math.round(p.tMs * 1000), data: p.data })),
    LINKTYPE_RAW,
  );
}

let recorderRuns = 0;
let recorderSeconds = 0;

/** Records the items through the kernel; returns their goldens (null when the recorder wrote none). */
function recordBatch(dir: string, items: Item[]): Map<string, Golden | null> {
  mkdirSync(dir, { recursive: true });
  const manifest = items.map((it) => ({ name: it.name, description: '', sysctls: it.sysctls }));
  for (const it of items) writeFileSync(join(dir, `${it.name}.pcap`), pcapOf(it.packets));
  writeFileSync(join(dir, 'manifest.json'), JSON.stringify(manifest));
  writeFileSync(join(dir, 'names.txt'), items.map((i) => i.name).join('\n') + '\n');
  const out = join(dir, 'golden');
  const t = Date.now();
  const r = spawnSync('python3', [recorder, '--reuse-netns', '--fast', '--scenarios', dir, '--out', out, '--names-from', join(dir, 'names.txt')], {
    encoding: 'utf8',
    maxBuffer: 64 << 20,
  });
  recorderRuns++;
  recorderSeconds += (Date.now() - t) / 1000;
  if (r.status === 77) skip('the recorder cannot run here');
  if (r.status !== 0 && r.status !== 1) {
    console.error(`conformance:fuzz: the recorder failed (exit ${r.status}):\n${(r.stderr ?? '').slice(-2000)}`);
  }
  const res = new Map<string, Golden | null>();
  for (const it of items) {
    const p = join(out, `${it.name}.json`);
    res.set(it.name, existsSync(p) ? (JSON.parse(readFileSync(p, 'utf8')) as Golden) : null);
  }
  return res;
}

interface Checked extends Golden {
  checks?: Record<string, unknown>;
}

function reliable(g: Golden | null): g is Golden {
  if (!g) return false;
  const c = (g as Checked).checks;
  if (c && !Object.values(c).every((v) => v === true)) return false;
  // every generated packet is a whole TCP segment: "none" (no nft rule saw it) means lost log lines
  return g.packets.every((p) => p.ctstate !== 'none');
}

/** CTSCOPE_FUZZ_FAKE_DIFF=1 (exercises the reducer): every kernel INVALID counts as a difference */
const fakeDiff = process.env.CTSCOPE_FUZZ_FAKE_DIFF === '1';

function differences(it: Item, g: Golden): string[] {
  const d = compareWithGolden(g, pcapOf(it.packets));
  if (fakeDiff) for (const p of g.packets) if (p.ctstate === 'invalid') d.push(`frame ${p.frame}: (fake) kernel said invalid ${JSON.stringify(p.log)}`);
  return d;
}

/** Chunked greedy removal: drop chunks of packets while ctscope still differs from the kernel. */
function reduce(work: string, it: Item, log: (s: string) => void): { item: Item; golden: Golden; diffs: string[]; rounds: number } {
  let cur = it.packets;
  let best: { golden: Golden; diffs: string[] } | null = null;
  let chunk = Math.max(1, Math.ceil(cur.length / 2));
  let round = 0;
  while (cur.length > 1) {
    const cands: Item[] = [];
    for (let start = 0; start < cur.length; start += chunk) {
      const pk = cur.filter((_, j) => j < start || j >= start + chunk);
      if (pk.length) cands.push({ name: `${it.name}_r${round}_${start}`, sysctls: it.sysctls, packets: pk });
    }
    round++;
    const got = recordBatch(join(work, `reduce-${it.name}-${round}`), cands);
    let found: Item | null = null;
    for (const cand of cands) {
      const g = got.get(cand.name) ?? null;
      if (!reliable(g)) continue;
      const d = differences(cand, g);
      if (d.length) {
        found = cand;
        best = { golden: g, diffs: d };
        break;
      }
    }
    if (found) {
      cur = found.packets;
      chunk = Math.min(chunk, Math.max(1, Math.ceil(cur.length / 2)));
      log(`    reduce round ${round}: ${cur.length} packets`);
    } else if (chunk > 1) {
      chunk = Math.floor(chunk / 2);
    } else {
      break;
    }
  }
  const item: Item = { name: it.name, sysctls: it.sysctls, packets: cur };
  if (!best) {
    // nothing could be removed: record the original once more
    const g = recordBatch(join(work, `reduce-${it.name}-final`), [item]).get(item.name) ?? null;
    if (reliable(g)) best = { golden: g, diffs: differences(item, g) };
  }
  return { item, golden: best!.golden, diffs: best!.diffs, rounds: round };
}

function main(): void {
  const o = parse(process.argv.slice(2));
  if (typeof process.getuid === 'function' && process.getuid() !== 0) skip('not root');
  if (process.platform !== 'linux') skip('not Linux');
  const work = o.keep ?? mkdtempSync(join(tmpdir(), 'ctscope-fuzz-'));
  mkdirSync(work, { recursive: true });
  const t0 = Date.now();
  const log = (s: string): void => console.log(s);
  log(`conformance:fuzz: seed ${o.seed}, ${o.cases} cases, batches of ${o.batch}, work dir ${work}`);
  const indices = o.only ?? Array.from({ length: o.cases }, (_, i) => i);
  o.cases = indices.length;
  let done = 0;
  let agree = 0;
  let unreliable = 0;
  let totalPackets = 0;
  const differing: Array<{ c: FuzzCase; diffs: string[] }> = [];
  try {
    for (let b = 0; b * o.batch < o.cases; b++) {
      if ((Date.now() - t0) / 60000 > o.maxMinutes) {
        log(`conformance:fuzz: --max-minutes ${o.maxMinutes} reached after ${done} cases`);
        break;
      }
      const cases: FuzzCase[] = [];
      for (let i = b * o.batch; i < Math.min(o.cases, (b + 1) * o.batch); i++) cases.push(generateCase(o.seed, indices[i]!));
      let got = recordBatch(join(work, `batch-${b}`), cases);
      // a recording whose self-checks failed (events not attributed, counters off) is redone once
      const redo = cases.filter((c) => !reliable(got.get(c.name) ?? null));
      if (redo.length) {
        const again = recordBatch(join(work, `batch-${b}-redo`), redo);
        got = new Map([...got, ...again]);
      }
      for (const c of cases) {
        done++;
        totalPackets += c.packets.length;
        const g = got.get(c.name) ?? null;
        if (!reliable(g)) {
          unreliable++;
          log(`  UNRELIABLE ${c.name}: the kernel recording failed its self-checks twice`);
          continue;
        }
        const d = differences(c, g);
        if (d.length === 0) agree++;
        else {
          differing.push({ c, diffs: d });
          log(`  DIFFER ${c.name} (${c.packets.length} packets; ${c.summary})\n    ${d.slice(0, 6).join('\n    ')}`);
        }
      }
      log(`  ${done}/${o.cases} cases, ${differing.length} differ, ${((Date.now() - t0) / 1000).toFixed(0)} s`);
    }
    let reproduced = 0;
    if (differing.length && o.reduce) {
      mkdirSync(o.repros, { recursive: true });
      for (const { c, diffs } of differing) {
        // confirm first: a difference that does not reproduce is a flapping recording
        const again = recordBatch(join(work, `confirm-${c.name}`), [c]).get(c.name) ?? null;
        if (!reliable(again)) {
          log(`  ${c.name}: the second recording failed its self-checks (not reduced)`);
          continue;
        }
        if (differences(c, again).length === 0) {
          log(`  ${c.name}: the difference did not reproduce on a second recording (not reduced)`);
          continue;
        }
        reproduced++;
        log(`  reducing ${c.name} (${c.packets.length} packets)`);
        const red = reduce(work, c, log);
        const base = join(o.repros, c.name);
        writeFileSync(`${base}.pcap`, pcapOf(red.item.packets));
        writeFileSync(
          `${base}.json`,
          JSON.stringify(
            {
              name: c.name,
              seed: c.seed,
              index: c.index,
              sysctls: c.sysctls,
              summary: c.summary,
              originalPackets: c.packets.length,
              originalDiffs: diffs,
              packets: red.item.packets.map((p, i) => `${i + 1} ${p.desc}`),
              diffs: red.diffs,
              regenerate: `npm run conformance:fuzz -- --seed ${c.seed} --cases ${c.index + 1}`,
              golden: red.golden,
            },
            null,
            2,
          ) + '\n',
        );
        log(`  ${c.name}: ${c.packets.length} -> ${red.item.packets.length} packets in ${red.rounds} rounds: ${base}.pcap\n    ${red.diffs.join('\n    ')}`);
      }
    }
    const secs = (Date.now() - t0) / 1000;
    log(
      `conformance:fuzz: seed ${o.seed}: ${done} cases (${totalPackets} packets), ${agree} agree, ${differing.length} differ` +
        (o.reduce && differing.length ? ` (${reproduced} reproduced and reduced)` : '') +
        `, ${unreliable} unreliable recordings; ${recorderRuns} recorder runs, ${secs.toFixed(0)} s (${recorderSeconds.toFixed(0)} s recording)`,
    );
    process.exitCode = differing.length ? 1 : 0;
  } finally {
    if (!o.keep) rmSync(work, { recursive: true, force: true });
  }
}

main();
