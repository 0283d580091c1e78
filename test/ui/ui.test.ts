/**
 * The browser view, end to end: `ctscope serve` + Debian's Chromium driven by
 * playwright-core (headless, no downloaded browser). Checks the scrubbed table
 * against `ctscope replay --at`, an invalid packet's reason against
 * `replay --packets=json`, and a sysctl change against two CLI runs. Writes the
 * README's screenshots to docs/screenshots/. Skipped, with a message, when
 * /usr/bin/chromium is missing.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';

const CHROMIUM = '/usr/bin/chromium';
const root = join(import.meta.dirname, '..', '..', '..');
const scen = join(root, 'test', 'conformance', 'scenarios');
// The README's screenshots are rewritten with UPDATE_SCREENSHOTS=1; other runs keep them in a
// temporary folder so a test run leaves the work tree as it was.
const shots = process.env['UPDATE_SCREENSHOTS'] === '1' ? join(root, 'docs', 'screenshots') : mkdtempSync(join(tmpdir(), 'ctscope-shots-'));
const example = join(root, 'examples', 'tutorial-telnet.pcap');
const skip = existsSync(CHROMIUM) ? false : `${CHROMIUM} is missing: browser tests skipped (apt-get install -y chromium to run them)`;
if (skip) console.log(`# ui: ${skip}`);

/** The CLI's answer, from the built bin. */
function cli(args: string[]): string {
  const r = spawnSync(process.execPath, [join(root, 'bin', 'ctscope.js'), ...args], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout;
}
const lines = (s: string): string[] => s.split('\n').filter((l) => l !== '');

interface PacketJson { frame: number; ctstate: string; reason?: string }
const packetsJson = (file: string, extra: string[] = []): PacketJson[] =>
  lines(cli(['replay', file, '--packets=json', '--table=none', '-q', ...extra])).map((l) => JSON.parse(l) as PacketJson);

describe('browser view (ctscope serve + Chromium)', { skip, timeout: 170_000 }, () => {
  let server: ChildProcess | null = null;
  let url = '';
  let ctx: BrowserContext | null = null;
  let page: Page;
  let userDir = '';
  const external: string[] = [];
  const errors: string[] = [];

  before(async () => {
    const b = spawnSync(process.execPath, [join(root, 'ui', 'build.mjs')], { encoding: 'utf8' });
    assert.equal(b.status, 0, `npm run build:web failed: ${b.stderr}`);
    mkdirSync(shots, { recursive: true });
    server = spawn(process.execPath, [join(root, 'bin', 'ctscope.js'), 'serve', example], { stdio: ['ignore', 'pipe', 'pipe'] });
    url = await new Promise<string>((resolve, reject) => {
      let buf = '';
      const timer = setTimeout(() => reject(new Error(`ctscope serve printed no address: ${buf}`)), 10_000);
      server!.stdout!.on('data', (d: Buffer) => {
        buf += d.toString();
        const m = /http:\/\/127\.0\.0\.1:\d+\//.exec(buf);
        if (m) {
          clearTimeout(timer);
          resolve(m[0]);
        }
      });
      server!.once('exit', (code) => reject(new Error(`ctscope serve exited (${code}): ${buf}`)));
    });
    const { chromium } = await import('playwright-core');
    userDir = mkdtempSync(join(tmpdir(), 'ctscope-ui-'));
    ctx = await chromium.launchPersistentContext(userDir, {
      executablePath: CHROMIUM,
      headless: true,
      viewport: { width: 1400, height: 900 },
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
        '--disable-component-update', '--disable-sync'],
    });
    page = ctx.pages()[0] ?? (await ctx.newPage());
    page.on('request', (r) => {
      const u = r.url();
      if (!u.startsWith(url) && !u.startsWith('blob:') && !u.startsWith('data:')) external.push(u);
    });
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(url);
    await page.waitForSelector('body[data-state=ready]', { timeout: 20_000 });
  });

  after(async () => {
    await ctx?.close();
    server?.kill('SIGTERM');
    if (userDir) rmSync(userDir, { recursive: true, force: true });
  });

  async function load(file: string): Promise<void> {
    const run = await page.evaluate(() => document.body.dataset.run ?? '');
    await page.setInputFiles('#file-input', file);
    await page.waitForFunction((r) => document.body.dataset.state === 'ready' && document.body.dataset.run !== r, run, { timeout: 20_000 });
  }

  async function tableAt(at: string): Promise<string[]> {
    await page.fill('#at', at);
    await page.press('#at', 'Enter');
    await page.waitForSelector(`#panel-table[data-at="${Number(at)}"]`, { state: 'attached', timeout: 10_000 });
    return page.$$eval('#ct-table tbody tr', (rows) => rows.map((r) => (r as HTMLElement).dataset.line ?? ''));
  }

  test('serve loads the capture given on the command line', async () => {
    assert.equal(await page.textContent('#file-name'), 'tutorial-telnet.pcap');
    assert.match((await page.textContent('#status')) ?? '', /38 packets, 1 connections/);
    await page.screenshot({ path: join(shots, 'overview.png') });
  });

  test('the table at a scrubbed time is replay --at', async () => {
    await page.click('#tab-table');
    for (const at of ['0', '0.0015', '0.05', '0.19', '60', '119.5', '121']) {
      const ui = await tableAt(at);
      const want = lines(cli(['replay', example, '--at', at, '-q']));
      assert.deepEqual(ui, want, `table at ${at}`);
    }
    // The visible cells carry the same tokens as the /proc line.
    await tableAt('60');
    const cells = await page.$$eval('#ct-table tbody tr', (rows) => rows.map((r) => Array.from(r.querySelectorAll("td")).map((td) => td.textContent).filter((t) => t !== '').join(' ')));
    assert.deepEqual(cells, lines(cli(['replay', example, '--at', '60', '-q'])).map((l) => l.trim().split(/\s+/).join(' ')));
    await page.screenshot({ path: join(shots, 'table-at-60s.png') });
    // The slider, by keyboard: whatever time it lands on, the table is replay --at of that time.
    await page.fill('#at', '0');
    await page.press('#at', 'Enter');
    await page.focus('#scrubber');
    for (let i = 0; i < 40; i++) await page.keyboard.press('ArrowRight');
    await page.waitForFunction(() => {
      const d = document.getElementById('panel-table')!.dataset.at;
      return d !== undefined && Number(d) > 0;
    });
    await page.waitForTimeout(200);
    const at = await page.getAttribute('#panel-table', 'data-at');
    const ui = await page.$$eval('#ct-table tbody tr', (rows) => rows.map((r) => (r as HTMLElement).dataset.line ?? ''));
    assert.deepEqual(ui, lines(cli(['replay', example, '--at', at!, '-q'])), `table at ${at}`);
  });

  test('an invalid packet shows the kernel reason, and its connection', async () => {
    const file = join(scen, 'tcp_flags_xmas.pcap');
    const want = packetsJson(file).find((p) => p.ctstate === 'invalid')!;
    await load(file);
    await page.click('#tab-packets');
    await page.selectOption('#filter', 'invalid');
    await page.click(`.prow[data-frame="${want.frame}"]`);
    assert.equal(await page.textContent('#detail-verdict'), `Frame ${want.frame}: invalid`);
    assert.match((await page.textContent('#detail-reason')) ?? '', new RegExp(`: ${want.reason!.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`));
    // Its connection is the selected lane: listing it shows all the flow's packets.
    await page.click('#detail button');
    const n = await page.$$eval('.prow', (rows) => rows.length);
    assert.equal(n, packetsJson(file).length);
    await page.selectOption('#filter', 'all');
    await page.click(`.prow[data-frame="${want.frame}"]`);
    await page.screenshot({ path: join(shots, 'invalid-packet.png') });
  });

  test('changing a sysctl re-runs the capture and shows the verdicts that changed', async () => {
    const file = join(scen, 'tcp_bad_checksum.pcap');
    const before = packetsJson(file);
    const afterCli = packetsJson(file, ['--sysctl', 'net.netfilter.nf_conntrack_checksum=0']);
    const diff = before.filter((p, i) => p.ctstate !== afterCli[i]!.ctstate || (p.reason ?? '') !== (afterCli[i]!.reason ?? ''));
    assert.ok(diff.length > 0);
    await load(file);
    await page.click('#tab-settings');
    const run = await page.evaluate(() => document.body.dataset.run ?? '');
    await page.uncheck('#sysctl-nf_conntrack_checksum');
    await page.waitForFunction((r) => document.body.dataset.state === 'ready' && document.body.dataset.run !== r, run, { timeout: 20_000 });
    assert.equal(await page.getAttribute('#changed-count', 'data-count'), String(diff.length));
    await page.screenshot({ path: join(shots, 'settings-changed.png') });
    await page.click('#show-changed');
    const rows = await page.$$eval('.prow', (rs) => rs.map((r) => ({ frame: Number((r as HTMLElement).dataset.frame), text: r.textContent ?? '' })));
    assert.deepEqual(rows.map((r) => r.frame), diff.map((p) => p.frame));
    for (const r of rows) {
      const now = afterCli.find((p) => p.frame === r.frame)!;
      const was = before.find((p) => p.frame === r.frame)!;
      assert.ok(r.text.includes(now.ctstate), r.text);
      assert.ok(r.text.includes(`was: ${was.ctstate}${was.reason ? ` (${was.reason})` : ''}`), r.text);
    }
    await page.screenshot({ path: join(shots, 'changed-packets.png') });
    // Back to the defaults for the next test.
    const run2 = await page.evaluate(() => document.body.dataset.run ?? '');
    await page.click('#tab-settings');
    await page.check('#sysctl-nf_conntrack_checksum');
    await page.waitForFunction((r) => document.body.dataset.state === 'ready' && document.body.dataset.run !== r, run2, { timeout: 20_000 });
  });

  test('state diagram, summary, keyboard and dark theme', async () => {
    await load(join(scen, 'interleaved_flows.pcap'));
    await page.click('#tab-states');
    const edge = page.locator('#diagram .edge[data-trans]').first();
    const label = (await edge.getAttribute('aria-label'))!;
    const count = Number(/: (\d+) packet/.exec(label)![1]);
    await page.screenshot({ path: join(shots, 'tcp-states.png') });
    await edge.focus();
    await page.keyboard.press('Enter');
    assert.equal(await page.getAttribute('#tab-packets', 'aria-selected'), 'true');
    assert.equal(await page.$$eval('.prow', (rs) => rs.length), count);
    // Tabs by keyboard.
    await page.focus('#tab-packets');
    await page.keyboard.press('ArrowRight');
    await page.keyboard.press('ArrowRight');
    await page.keyboard.press('ArrowRight');
    assert.equal(await page.getAttribute('#tab-summary', 'aria-selected'), 'true');
    const protoRows = await page.$$eval('#sum-conns tr', (rs) => rs.length - 1);
    assert.ok(protoRows >= 2, 'connections by protocol and final state');
    // Lanes by keyboard: ↓ selects a connection.
    await page.focus('#timeline');
    await page.keyboard.press('ArrowDown');
    await page.keyboard.press('ArrowDown');
    await page.click('#tab-packets');
    await page.selectOption('#filter', 'lane');
    assert.match((await page.textContent('#filter-info')) ?? '', / of (tcp|udp) /);
    await page.click('#theme');
    assert.equal(await page.getAttribute('html', 'data-theme'), 'dark');
    await page.selectOption('#filter', 'all');
    await page.screenshot({ path: join(shots, 'timeline-dark.png') });
    await page.click('#theme');
    await page.screenshot({ path: join(shots, 'timeline-light.png') });
  });

  test('no request left the page, no page errors', () => {
    assert.deepEqual(external, []);
    assert.deepEqual(errors, []);
  });
});
