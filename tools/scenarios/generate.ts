/**
 * Conformance scenario generator: writes test/conformance/scenarios/<name>.pcap + manifest.json
 * and examples/tutorial-telnet.pcap. Deterministic: same bytes on every run.
 *
 *   node dist/tools/scenarios/generate.js [--out DIR] [--examples DIR]
 */
import { mkdirSync, writeFileSync, readdirSync, unlinkSync } from 'node:fs';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { LINKTYPE_ETHERNET, LINKTYPE_RAW, ethernetFrame, mac, writePcap } from '../lib/pcap-writer.js';
import { ALL_SCENARIOS } from './catalog.js';

export const BASE_TIME_US = Date.UTC(2026, 0, 1, 0, 0, 0) * 1000;

const here = dirname(fileURLToPath(import.meta.url));
// dist/tools/scenarios -> repo root
const repoRoot = resolve(here, '..', '..', '..');

function main(argv: string[]): void {
  let out = join(repoRoot, 'test', 'conformance', 'scenarios');
  let examples = join(repoRoot, 'examples');
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--out') out = resolve(argv[++i] ?? out);
    else if (argv[i] === '--examples') examples = resolve(argv[++i] ?? examples);
  }
  mkdirSync(out, { recursive: true });
  mkdirSync(examples, { recursive: true });
  const scenarios = ALL_SCENARIOS();
  const names = new Set<string>();
  const manifest: Array<Record<string, unknown>> = [];
  for (const s of scenarios) {
    if (names.has(s.name)) throw new Error(`duplicate scenario ${s.name}`);
    names.add(s.name);
    const eth = s.linktype === LINKTYPE_ETHERNET;
    const ca = mac('00:16:3e:00:01:05');
    const sa = mac('00:16:3e:00:01:23');
    const records = s.packets.map((p) => ({
      tsUs: BASE_TIME_US + Math.round(p.tMs * 1000),
      data: eth ? ethernetFrame(p.data, p.fromClient ? ca : sa, p.fromClient ? sa : ca) : p.data,
    }));
    const pcap = writePcap(records, s.linktype ?? LINKTYPE_RAW);
    writeFileSync(join(out, `${s.name}.pcap`), pcap);
    if (s.example) writeFileSync(join(examples, s.example), pcap);
    const m: Record<string, unknown> = {
      name: s.name,
      description: s.description,
      sysctls: s.sysctls ?? {},
      needsWindowTracking: s.needsWindowTracking ?? false,
    };
    if (s.needsDefrag) m.needsDefrag = true;
    if (s.needsProtocol) m.needsProtocol = s.needsProtocol;
    if (s.knownDifference) m.knownDifference = s.knownDifference;
    if (s.helpers) m.helpers = s.helpers;
    m.packets = s.packets.length;
    manifest.push(m);
  }
  // remove stale pcaps of scenarios that no longer exist
  for (const f of readdirSync(out)) {
    if (f.endsWith('.pcap') && !names.has(f.slice(0, -5))) unlinkSync(join(out, f));
  }
  writeFileSync(join(out, 'manifest.json'), JSON.stringify(manifest, null, 2) + '\n');
  process.stdout.write(`wrote ${scenarios.length} scenarios to ${out}\n`);
}

main(process.argv.slice(2));
