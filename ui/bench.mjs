// `npm run bench:web [-- PACKETS]`: the browser view with a big capture (default
// 100k packets, ~20k connections) in Debian's Chromium, headless. Not a test:
// prints how long tracking takes and whether the page stays responsive while
// the worker tracks (longest gap between animation frames), then times zooming,
// scrolling the lanes and the packet list, and scrubbing the table.
// Needs `npx tsc -p tsconfig.json` (for dist/tools) and `npm run build:web`.
import { chromium } from 'playwright-core';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const target = Number(process.argv[2] ?? 100_000);
const CHROMIUM = '/usr/bin/chromium';
if (!existsSync(CHROMIUM)) {
  console.log(`bench:web: ${CHROMIUM} is missing (apt-get install -y chromium)`);
  process.exit(0);
}
const { tcp, udp, TCP_FLAGS } = await import(join(root, 'dist/tools/lib/packet-builder.js'));
const { writePcap } = await import(join(root, 'dist/tools/lib/pcap-writer.js'));
const { startServer } = await import(join(root, 'dist/src/cli/serve.js'));

// ---- a deterministic capture: TCP flows (handshake, data, FIN), UDP request/response, a few invalid packets
const { SYN, ACK, FIN, PSH, URG } = TCP_FLAGS;
const payload = new Uint8Array(100).fill(0x61);
const recs = [];
const t0 = 1_700_000_000_000_000;
let flow = 0;
while (recs.length < target) {
  const i = flow++;
  const start = t0 + i * 2000; // a flow every 2 ms, each lasting ~40 ms: ~20 concurrent
  if (i % 5 === 4) {
    const c = { src: `172.16.${(i >> 8) & 255}.${i & 255}`, dst: '192.168.200.53' };
    const s = { src: c.dst, dst: c.src };
    const sport = 2000 + (i % 50000);
    recs.push({ tsUs: start, data: udp(c, { sport, dport: 53, payload: payload.subarray(0, 40) }) });
    recs.push({ tsUs: start + 3000, data: udp(s, { sport: 53, dport: sport, payload }) });
    continue;
  }
  const c = { src: `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`, dst: '192.168.100.1' };
  const s = { src: c.dst, dst: c.src };
  const sport = 1024 + (i % 60000);
  let cs = 1000;
  let ss = 5000;
  let t = start;
  const add = (d) => { recs.push({ tsUs: t, data: d }); t += 5000; };
  add(tcp(c, { sport, dport: 80, seq: cs, flags: SYN, win: 65535 }));
  add(tcp(s, { sport: 80, dport: sport, seq: ss, ack: cs + 1, flags: SYN | ACK, win: 65535 }));
  cs++; ss++;
  add(tcp(c, { sport, dport: 80, seq: cs, ack: ss, flags: ACK, win: 65535 }));
  add(tcp(c, { sport, dport: 80, seq: cs, ack: ss, flags: ACK | PSH, win: 65535, payload }));
  cs += payload.length;
  if (i % 50 === 0) add(tcp(c, { sport, dport: 80, seq: cs, ack: ss, flags: FIN | PSH | URG, win: 65535 })); // xmas: invalid
  add(tcp(s, { sport: 80, dport: sport, seq: ss, ack: cs, flags: ACK | PSH, win: 65535, payload }));
  ss += payload.length;
  add(tcp(c, { sport, dport: 80, seq: cs, ack: ss, flags: FIN | ACK, win: 65535 }));
  add(tcp(s, { sport: 80, dport: sport, seq: ss, ack: cs + 1, flags: FIN | ACK, win: 65535 }));
  add(tcp(c, { sport, dport: 80, seq: cs + 1, ack: ss + 1, flags: ACK, win: 65535 }));
}
recs.sort((a, b) => a.tsUs - b.tsUs);
const dir = mkdtempSync(join(tmpdir(), 'ctscope-bench-web-'));
const file = join(dir, `bench-${recs.length}.pcap`);
const bytes = writePcap(recs);
writeFileSync(file, bytes);
console.log(`capture: ${recs.length} packets, ${flow} flows, ${(bytes.length / 1e6).toFixed(1)} MB`);

const server = await startServer(join(root, 'ui', 'dist'), null);
const ctx = await chromium.launchPersistentContext(join(dir, 'profile'), {
  executablePath: CHROMIUM, headless: true, viewport: { width: 1400, height: 900 },
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
const page = ctx.pages()[0] ?? (await ctx.newPage());
await page.goto(server.url);
await page.waitForSelector('body[data-state=empty]');

// The longest gap between animation frames, measured in the page.
await page.evaluate(() => {
  const w = window;
  w.__gaps = { max: 0, last: performance.now(), frames: 0, on: true };
  const loop = (now) => {
    const g = w.__gaps;
    g.max = Math.max(g.max, now - g.last);
    g.last = now;
    g.frames++;
    if (g.on) requestAnimationFrame(loop);
  };
  requestAnimationFrame(loop);
});
const resetGaps = () => page.evaluate(() => { window.__gaps.max = 0; window.__gaps.frames = 0; window.__gaps.last = performance.now(); });
const gaps = () => page.evaluate(() => ({ max: Math.round(window.__gaps.max), frames: window.__gaps.frames }));

let t = performance.now();
await page.setInputFiles('#file-input', file);
// While the worker tracks, the page must answer: time a few round trips through its event loop.
let worstRoundTrip = 0;
let progressSeen = false;
while ((await page.evaluate(() => document.body.dataset.state)) !== 'ready') {
  const a = performance.now();
  await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => r(null))));
  worstRoundTrip = Math.max(worstRoundTrip, performance.now() - a);
  progressSeen ||= await page.evaluate(() => !document.getElementById('progress-box').hidden);
  await new Promise((r) => setTimeout(r, 20));
}
const loadMs = performance.now() - t;
const gLoad = await gaps();
const status = await page.textContent('#status');
console.log(`load + track + render: ${Math.round(loadMs)} ms (${status}); progress shown: ${progressSeen}`);
console.log(`while tracking: longest frame gap ${gLoad.max} ms over ${gLoad.frames} frames; worst page round trip ${Math.round(worstRoundTrip)} ms`);

// Timeline: zoom and pan by keyboard, scroll the lanes.
await resetGaps();
t = performance.now();
await page.focus('#timeline');
for (let i = 0; i < 10; i++) await page.keyboard.press('+');
for (let i = 0; i < 10; i++) await page.keyboard.press('ArrowRight');
for (let i = 0; i < 10; i++) await page.keyboard.press('-');
for (let i = 0; i < 20; i++) {
  await page.evaluate((k) => { const s = document.getElementById('lanes-scroll'); s.scrollTop = (s.scrollHeight * k) / 20; }, i);
  await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(() => r(null)))));
}
const gTl = await gaps();
console.log(`timeline: 30 zoom/pan keys + 20 lane scroll jumps in ${Math.round(performance.now() - t)} ms; longest frame gap ${gTl.max} ms`);

// Packet list: jump through it.
await resetGaps();
t = performance.now();
for (let i = 0; i < 20; i++) {
  await page.evaluate((k) => { const s = document.getElementById('plist'); s.scrollTop = (s.scrollHeight * k) / 20; }, i);
  await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(() => r(null)))));
}
const gPl = await gaps();
console.log(`packet list: 20 scroll jumps in ${Math.round(performance.now() - t)} ms; longest frame gap ${gPl.max} ms`);

// Scrubbing: the table at increasing and decreasing times.
await page.click('#tab-table');
const end = Number(await page.evaluate(() => document.getElementById('sum-capture')?.textContent?.match(/duration([\d.]+)/)?.[1] ?? '0'));
const times = [];
for (const at of [end * 0.25, end * 0.5, end * 0.75, end, end * 0.1]) {
  const v = String(Math.round(at * 1000) / 1000);
  const a = performance.now();
  await page.fill('#at', v);
  await page.press('#at', 'Enter');
  await page.waitForSelector(`#panel-table[data-at="${Number(v)}"]`, { state: 'attached' });
  times.push(`${v} s: ${Math.round(performance.now() - a)} ms (worker ${await page.getAttribute('#panel-table', 'data-ms')} ms)`);
}
console.log(`table at a time (forward reuses the engine, backward replays from the start): ${times.join(', ')}`);
await page.screenshot({ path: join(dir, 'bench.png') });

await ctx.close();
await server.close();
if (!process.env.KEEP) rmSync(dir, { recursive: true, force: true }); else console.log(file);
const ok = gLoad.max < 500 && worstRoundTrip < 500;
console.log(ok ? 'responsive: yes (no frame gap >= 500 ms while tracking)' : 'responsive: NO');
process.exitCode = ok ? 0 : 1;
