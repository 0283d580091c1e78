/**
 * ctscope in a browser: one capture through the connection tracker. The engine
 * runs in a Web Worker (worker.ts); this module draws the timeline (canvas,
 * virtualised lanes), the packet list (virtualised), the table at a time, the
 * TCP state diagram, the summary and the settings.
 */
import type { FromWorker, RunResult, RunSettings, TableResult, ToWorker } from './protocol.js';
import { TCP_CONNTRACK_NAMES } from '../../src/proto/tcp-states.js';

declare const __WORKER_SOURCE__: string;
declare const __EXAMPLE_PCAP_B64__: string;

const CTSTATE = ['new', 'established', 'related', 'invalid', 'untracked', 'skipped'] as const;
const CT_INVALID = 3;
const TCP_NAMES: readonly string[] = TCP_CONNTRACK_NAMES;
const STATE_COLORS: Record<string, string> = {
  NONE: '#9aa4b2', SYN_SENT: '#e0a030', SYN_RECV: '#c9b200', ESTABLISHED: '#3fa35a', FIN_WAIT: '#3b8bd9',
  CLOSE_WAIT: '#7a6cf0', LAST_ACK: '#b25fd1', TIME_WAIT: '#8296ab', CLOSE: '#5c6773', SYN_SENT2: '#e06c1f',
};
const PROTO_COLORS: Record<string, string> = { udp: '#22a6b3', udplite: '#1c8c97', icmp: '#c45cc8', icmpv6: '#c45cc8' };
const OTHER_COLOR = '#8a94a6';

const $ = <T extends HTMLElement = HTMLElement>(id: string): T => document.getElementById(id) as T;

// ---------------------------------------------------------------- state

let worker: Worker | null = null;
let runSeq = 0;
let R: RunResult | null = null;
/** The previous run of the same capture (before the last settings change). */
let P: RunResult | null = null;
let changed: Uint8Array | null = null;
let changedCount = 0;
let lastChangeLabel = '';
/** Packets per lane, in capture order (CSR). */
let laneStart = new Int32Array(1);
let lanePk = new Int32Array(0);
/** TCP state of the packet's lane after the packet (carried over packets that do not touch the entry). */
let laneState = new Int8Array(0);
let selPacket = -1;
let selLane = -1;
let filterKind = 'all';
let filterValue = -1;
let view: Int32Array = new Int32Array(0);
let at = 0;
let tableSeq = 0;
let overrides: Record<string, number> = {};
let profile = '';

const tl = { v0: 0, v1: 1, laneH: 18, labelW: 250, axisH: 22 };

// ---------------------------------------------------------------- worker

function getWorker(): Worker {
  if (worker !== null) return worker;
  const url = URL.createObjectURL(new Blob([__WORKER_SOURCE__], { type: 'text/javascript' }));
  worker = new Worker(url);
  worker.onmessage = (e: MessageEvent<FromWorker>) => onWorker(e.data);
  worker.onerror = (e) => setStatus(`engine error: ${e.message}`);
  return worker;
}

function send(m: ToWorker, transfer: Transferable[] = []): void {
  getWorker().postMessage(m, transfer);
}

function settingsNow(): RunSettings {
  return { sysctl: { ...overrides }, ...(profile ? { profile } : {}) };
}

function onWorker(m: FromWorker): void {
  switch (m.type) {
    case 'progress':
      if (m.run !== runSeq) return;
      $('progress-box').hidden = false;
      ($('progress') as HTMLProgressElement).value = m.frac;
      $('progress-text').textContent = `tracking… ${Math.round(m.frac * 100)} % (${m.frames.toLocaleString('en')} packets)`;
      break;
    case 'error':
      $('progress-box').hidden = true;
      setStatus(`error: ${m.message}`);
      document.body.dataset.state = 'error';
      break;
    case 'result':
      if (m.run !== runSeq) return;
      $('progress-box').hidden = true;
      onResult(m);
      break;
    case 'table':
      if (m.seq === tableSeq) renderTable(m);
      break;
  }
}

function setStatus(s: string): void {
  $('status').textContent = s;
}

function loadBytes(buf: ArrayBuffer, name: string): void {
  runSeq++;
  P = null;
  changed = null;
  changedCount = 0;
  selPacket = -1;
  selLane = -1;
  filterKind = 'all';
  ($('filter') as HTMLSelectElement).value = 'all';
  document.body.dataset.state = 'loading';
  $('file-name').textContent = name;
  setStatus('');
  $('progress-box').hidden = false;
  ($('progress') as HTMLProgressElement).value = 0;
  $('progress-text').textContent = 'tracking…';
  send({ type: 'load', bytes: buf, name, settings: settingsNow(), run: runSeq }, [buf]);
}

function rerun(label: string): void {
  if (R === null) return;
  runSeq++;
  lastChangeLabel = label;
  document.body.dataset.state = 'loading';
  $('progress-box').hidden = false;
  send({ type: 'rerun', settings: settingsNow(), run: runSeq });
}

// ---------------------------------------------------------------- a run's result

function onResult(r: RunResult): void {
  const same = R !== null && R.name === r.name && R.n === r.n && P !== r && document.body.dataset.state === 'loading' && lastChangeLabel !== '';
  P = same ? R : null;
  R = r;
  // Lanes (CSR over packets).
  const lanes = r.conns.length + 1;
  laneStart = new Int32Array(lanes + 1);
  for (let i = 0; i < r.n; i++) laneStart[r.lane[i]! + 1]!++;
  for (let l = 0; l < lanes; l++) laneStart[l + 1]! += laneStart[l]!;
  const fill = laneStart.slice(0, lanes);
  lanePk = new Int32Array(r.n);
  for (let i = 0; i < r.n; i++) lanePk[fill[r.lane[i]!]!++] = i;
  laneState = new Int8Array(r.n);
  const cur = new Int8Array(lanes).fill(-1);
  for (let i = 0; i < r.n; i++) {
    const l = r.lane[i]!;
    if (r.state[i]! >= 0) cur[l] = r.state[i]!;
    laneState[i] = cur[l]!;
  }
  // Verdicts changed by the last settings change.
  changed = null;
  changedCount = 0;
  if (P !== null) {
    changed = new Uint8Array(r.n);
    for (let i = 0; i < r.n; i++) {
      const a = P.reason[i]! < 0 ? '' : P.reasons[P.reason[i]!]!;
      const b = r.reason[i]! < 0 ? '' : r.reasons[r.reason[i]!]!;
      if (P.ctstate[i] !== r.ctstate[i] || a !== b || P.dir[i] !== r.dir[i]) {
        changed[i] = 1;
        changedCount++;
      }
    }
    const res = $('settings-result');
    res.innerHTML = '';
    const s = document.createElement('strong');
    s.textContent = `${lastChangeLabel}: ${changedCount} verdict${changedCount === 1 ? '' : 's'} changed`;
    s.id = 'changed-count';
    s.dataset.count = String(changedCount);
    res.append(s);
    if (changedCount > 0) {
      const b = document.createElement('button');
      b.type = 'button';
      b.textContent = 'Show changed packets';
      b.id = 'show-changed';
      b.onclick = () => { setFilter('changed'); showTab('packets'); };
      res.append(' ', b);
    }
    setStatus(`${lastChangeLabel}: ${changedCount} verdict${changedCount === 1 ? '' : 's'} changed`);
  } else {
    $('settings-result').textContent = '';
    setStatus(`${r.n.toLocaleString('en')} packets, ${r.conns.length.toLocaleString('en')} connections, tracked in ${Math.round(r.elapsedMs)} ms`);
  }
  if (!same) {
    tl.v0 = -r.tEnd * 0.02;
    tl.v1 = r.tEnd * 1.05 + 1e-3;
    at = 0;
  }
  $('drop').hidden = true;
  $('app').hidden = false;
  renderLegend();
  $('lanes-spacer').style.height = `${tl.axisH + laneCount() * tl.laneH}px`;
  applyFilter();
  renderDiagram();
  renderSummary();
  renderSettings();
  setAt(at, true);
  drawSoon();
  document.body.dataset.state = 'ready';
  document.body.dataset.run = String(r.run);
}

// ---------------------------------------------------------------- lanes & timeline

/** Displayed lanes: lane 0 ("no entry") only when it has packets. */
function laneCount(): number {
  if (R === null) return 0;
  return R.conns.length + (laneStart[1]! > 0 ? 1 : 0);
}
function laneAtRow(row: number): number {
  return laneStart[1]! > 0 ? row : row + 1;
}
function rowOfLane(lane: number): number {
  return laneStart[1]! > 0 ? lane : lane - 1;
}

function laneColor(lane: number, pkState: number): string {
  const c = R!.conns[lane - 1]!;
  if (c.proto === 'tcp') return STATE_COLORS[TCP_NAMES[pkState] ?? 'NONE'] ?? OTHER_COLOR;
  return PROTO_COLORS[c.proto] ?? OTHER_COLOR;
}

function renderLegend(): void {
  const lg = $('legend');
  lg.innerHTML = '';
  const add = (name: string, color: string): void => {
    const s = document.createElement('span');
    const i = document.createElement('i');
    i.style.background = color;
    s.append(i, name);
    lg.append(s);
  };
  for (const n of ['SYN_SENT', 'SYN_RECV', 'ESTABLISHED', 'FIN_WAIT', 'CLOSE_WAIT', 'LAST_ACK', 'TIME_WAIT', 'CLOSE', 'SYN_SENT2']) add(n, STATE_COLORS[n]!);
  add('udp', PROTO_COLORS.udp!);
  add('icmp', PROTO_COLORS.icmp!);
  add('other', OTHER_COLOR);
  add('invalid packet', cssVar('--invalid'));
}

function cssVar(n: string): string {
  return getComputedStyle(document.documentElement).getPropertyValue(n).trim();
}

let drawQueued = false;
function drawSoon(): void {
  if (drawQueued) return;
  drawQueued = true;
  requestAnimationFrame(() => {
    drawQueued = false;
    draw();
  });
}

function xOf(t: number, w: number): number {
  return tl.labelW + ((t - tl.v0) / (tl.v1 - tl.v0)) * (w - tl.labelW);
}
function tOf(x: number, w: number): number {
  return tl.v0 + ((x - tl.labelW) / (w - tl.labelW)) * (tl.v1 - tl.v0);
}

/** First index in lane's packets whose time is >= t (packets are in capture order). */
function lowerBound(lane: number, t: number): number {
  let lo = laneStart[lane]!;
  let hi = laneStart[lane + 1]!;
  const ts = R!.ts;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (ts[lanePk[mid]!]! < t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function niceStep(span: number, px: number): number {
  const raw = (span / px) * 90;
  const p = Math.pow(10, Math.floor(Math.log10(raw)));
  for (const m of [1, 2, 5, 10]) if (m * p >= raw) return m * p;
  return 10 * p;
}

function fmtT(t: number, step: number): string {
  const d = Math.max(0, Math.min(6, -Math.floor(Math.log10(step))));
  return t.toFixed(d);
}

function draw(): void {
  const canvas = $('timeline') as HTMLCanvasElement;
  const scroller = $('lanes-scroll');
  const w = scroller.clientWidth;
  const h = scroller.clientHeight;
  const dpr = window.devicePixelRatio || 1;
  if (canvas.width !== Math.round(w * dpr) || canvas.height !== Math.round(h * dpr)) {
    canvas.width = Math.round(w * dpr);
    canvas.height = Math.round(h * dpr);
  }
  const g = canvas.getContext('2d')!;
  g.setTransform(dpr, 0, 0, dpr, 0, 0);
  const bg = cssVar('--panel');
  const fg = cssVar('--fg');
  const muted = cssVar('--muted');
  const stripe = cssVar('--stripe');
  const line = cssVar('--line');
  const invalid = cssVar('--invalid');
  const accent = cssVar('--accent');
  const sel = cssVar('--sel');
  g.fillStyle = bg;
  g.fillRect(0, 0, w, h);
  if (R === null) return;
  const r = R;
  const { laneH, labelW, axisH } = tl;
  const scrollTop = scroller.scrollTop;
  const rows = laneCount();
  const firstRow = Math.floor(scrollTop / laneH);
  const lastRow = Math.min(rows - 1, Math.floor((scrollTop + h - axisH) / laneH));
  g.font = '11px ui-monospace, "DejaVu Sans Mono", monospace';
  g.textBaseline = 'middle';
  const tMinVis = tOf(labelW, w);
  const tMaxVis = tOf(w, w);
  const pxPerSec = (w - labelW) / (tl.v1 - tl.v0);
  for (let row = firstRow; row <= lastRow; row++) {
    const lane = laneAtRow(row);
    const y = axisH + row * laneH - scrollTop;
    if (lane === selLane) {
      g.fillStyle = sel;
      g.fillRect(0, y, w, laneH);
    } else if (row % 2 === 1) {
      g.fillStyle = stripe;
      g.fillRect(0, y, w, laneH);
    }
    g.save();
    g.beginPath();
    g.rect(labelW, y, w - labelW, laneH);
    g.clip();
    // State segments.
    if (lane > 0) {
      const c = r.conns[lane - 1]!;
      const a = laneStart[lane]!;
      const b = laneStart[lane + 1]!;
      let k = Math.max(a, lowerBound(lane, tMinVis) - 1);
      let runColor = '';
      let runX = 0;
      const flush = (x1: number): void => {
        if (runColor !== '' && x1 > runX) {
          g.fillStyle = runColor;
          g.fillRect(runX, y + 3, Math.max(1, x1 - runX), laneH - 6);
        }
      };
      g.globalAlpha = 0.55;
      for (; k < b; k++) {
        const p = lanePk[k]!;
        const t = r.ts[p]!;
        if (t > tMaxVis) break;
        const st = laneState[p]!;
        if (st < 0 && c.proto === 'tcp') continue;
        const color = laneColor(lane, st);
        const x = Math.max(labelW, xOf(t, w));
        if (color !== runColor) {
          flush(x);
          runColor = color;
          runX = x;
        }
      }
      if (runColor === '' && k >= b && a < b) {
        const p = lanePk[b - 1]!;
        runColor = laneColor(lane, laneState[p]!);
        runX = Math.max(labelW, xOf(r.ts[p]!, w));
      }
      if (k >= b) flush(Math.min(w, xOf(c.end, w)));
      else flush(w);
      g.globalAlpha = 1;
    }
    // Packet ticks (one per pixel column; invalid ones always drawn, on top).
    {
      const a = lowerBound(lane, tMinVis);
      const b = laneStart[lane + 1]!;
      let lastPx = -1;
      g.fillStyle = fg;
      const invalidXs: number[] = [];
      for (let k = a; k < b; k++) {
        const p = lanePk[k]!;
        const t = r.ts[p]!;
        if (t > tMaxVis) break;
        const x = Math.floor(xOf(t, w));
        if (r.ctstate[p] === CT_INVALID || (changed !== null && changed[p] === 1)) invalidXs.push(x, p);
        if (x === lastPx) continue;
        lastPx = x;
        g.fillRect(x, y + 4, 1, laneH - 8);
      }
      for (let i = 0; i < invalidXs.length; i += 2) {
        const x = invalidXs[i]!;
        const p = invalidXs[i + 1]!;
        g.fillStyle = r.ctstate[p] === CT_INVALID ? invalid : accent;
        g.fillRect(x - 1, y + 2, 3, laneH - 4);
        g.beginPath();
        g.moveTo(x - 4, y + 1);
        g.lineTo(x + 4, y + 1);
        g.lineTo(x, y + 6);
        g.fill();
      }
      if (selPacket >= 0 && r.lane[selPacket] === lane) {
        const x = Math.floor(xOf(r.ts[selPacket]!, w));
        g.strokeStyle = accent;
        g.lineWidth = 2;
        g.strokeRect(x - 3, y + 1, 7, laneH - 2);
      }
    }
    g.restore();
    // Label.
    g.fillStyle = lane === selLane ? sel : bg;
    g.fillRect(0, y, labelW - 4, laneH);
    g.fillStyle = fg;
    let label: string;
    if (lane === 0) label = 'packets without an entry';
    else {
      const c = r.conns[lane - 1]!;
      label = `${c.label}${c.finalState ? ' ' + c.finalState : ''}`;
    }
    g.fillText(fitText(g, label, labelW - 10), 4, y + laneH / 2);
  }
  // Axis.
  g.fillStyle = bg;
  g.fillRect(0, 0, w, axisH);
  g.strokeStyle = line;
  g.beginPath();
  g.moveTo(0, axisH - 0.5);
  g.lineTo(w, axisH - 0.5);
  g.moveTo(labelW - 2.5, 0);
  g.lineTo(labelW - 2.5, h);
  g.stroke();
  const step = niceStep(tl.v1 - tl.v0, w - labelW);
  g.fillStyle = muted;
  for (let t = Math.ceil(tMinVis / step) * step; t <= tMaxVis; t += step) {
    const x = Math.round(xOf(t, w)) + 0.5;
    g.fillRect(x, axisH - 6, 1, 6);
    g.fillText(`${fmtT(t, step)} s`, x + 3, axisH / 2 - 1);
  }
  g.fillText(`${rows.toLocaleString('en')} connection lanes · ${(pxPerSec >= 1 ? `${Math.round(pxPerSec)} px/s` : `${(1 / pxPerSec).toPrecision(3)} s/px`)}`, 4, axisH / 2 - 1);
  // The scrubber's time.
  if (at >= tMinVis && at <= tMaxVis) {
    const x = Math.round(xOf(at, w)) + 0.5;
    g.strokeStyle = accent;
    g.lineWidth = 2;
    g.beginPath();
    g.moveTo(x, 0);
    g.lineTo(x, h);
    g.stroke();
    g.lineWidth = 1;
  }
}

const fitCache = new Map<string, string>();
function fitText(g: CanvasRenderingContext2D, s: string, maxW: number): string {
  const key = `${maxW}|${s}`;
  const hit = fitCache.get(key);
  if (hit !== undefined) return hit;
  let out = s;
  if (g.measureText(s).width > maxW) {
    let lo = 0;
    let hi = s.length;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (g.measureText(s.slice(0, mid) + '…').width <= maxW) lo = mid;
      else hi = mid - 1;
    }
    out = s.slice(0, lo) + '…';
  }
  if (fitCache.size > 20000) fitCache.clear();
  fitCache.set(key, out);
  return out;
}

function zoom(factor: number, centerT?: number): void {
  const c = centerT ?? (tl.v0 + tl.v1) / 2;
  const span = Math.max(1e-6, (tl.v1 - tl.v0) * factor);
  const frac = (c - tl.v0) / (tl.v1 - tl.v0);
  tl.v0 = c - frac * span;
  tl.v1 = tl.v0 + span;
  syncScrubber();
  drawSoon();
}

function pan(dt: number): void {
  tl.v0 += dt;
  tl.v1 += dt;
  syncScrubber();
  drawSoon();
}

function fit(): void {
  if (R === null) return;
  tl.v0 = -R.tEnd * 0.02;
  tl.v1 = R.tEnd * 1.05 + 1e-3;
  syncScrubber();
  drawSoon();
}

function selectLane(lane: number, scroll: boolean): void {
  selLane = lane;
  if (scroll) {
    const sc = $('lanes-scroll');
    const y = rowOfLane(lane) * tl.laneH;
    const visH = sc.clientHeight - tl.axisH;
    if (y < sc.scrollTop || y + tl.laneH > sc.scrollTop + visH) sc.scrollTop = Math.max(0, y - visH / 2);
  }
  if (filterKind === 'lane') applyFilter();
  else renderPackets();
  highlightTableRow();
  drawSoon();
}

function setupTimeline(): void {
  const canvas = $('timeline') as HTMLCanvasElement;
  const sc = $('lanes-scroll');
  sc.addEventListener('scroll', drawSoon);
  new ResizeObserver(drawSoon).observe(sc);
  sc.addEventListener('wheel', (e) => {
    if (R === null) return;
    const w = sc.clientWidth;
    const rect = canvas.getBoundingClientRect();
    if (e.ctrlKey || e.altKey || e.metaKey) {
      e.preventDefault();
      zoom(e.deltaY > 0 ? 1.25 : 0.8, tOf(e.clientX - rect.left, w));
    } else if (Math.abs(e.deltaX) > Math.abs(e.deltaY)) {
      e.preventDefault();
      pan((e.deltaX / (w - tl.labelW)) * (tl.v1 - tl.v0));
    }
  }, { passive: false });
  let drag: { x: number; v0: number; v1: number; moved: boolean } | null = null;
  canvas.addEventListener('pointerdown', (e) => {
    drag = { x: e.clientX, v0: tl.v0, v1: tl.v1, moved: false };
    canvas.setPointerCapture(e.pointerId);
  });
  canvas.addEventListener('pointermove', (e) => {
    if (drag === null) return;
    const dx = e.clientX - drag.x;
    if (Math.abs(dx) > 3) drag.moved = true;
    if (!drag.moved) return;
    const span = drag.v1 - drag.v0;
    const dt = (-dx / (sc.clientWidth - tl.labelW)) * span;
    tl.v0 = drag.v0 + dt;
    tl.v1 = drag.v1 + dt;
    syncScrubber();
    drawSoon();
  });
  canvas.addEventListener('pointerup', (e) => {
    const d = drag;
    drag = null;
    if (d === null || d.moved || R === null) return;
    const rect = canvas.getBoundingClientRect();
    const x = e.clientX - rect.left;
    const y = e.clientY - rect.top;
    if (y > tl.axisH) {
      const row = Math.floor((y - tl.axisH + sc.scrollTop) / tl.laneH);
      if (row < laneCount()) selectLane(laneAtRow(row), false);
    }
    if (x > tl.labelW) setAt(Math.max(0, tOf(x, sc.clientWidth)), false);
  });
  canvas.addEventListener('keydown', (e) => {
    if (R === null) return;
    const span = tl.v1 - tl.v0;
    let handled = true;
    switch (e.key) {
      case '+': case '=': zoom(0.8, at); break;
      case '-': case '_': zoom(1.25, at); break;
      case 'ArrowLeft': pan(-span * 0.1); break;
      case 'ArrowRight': pan(span * 0.1); break;
      case 'ArrowUp': selectLane(laneAtRow(Math.max(0, (selLane < 0 ? 1 : rowOfLane(selLane)) - 1)), true); break;
      case 'ArrowDown': selectLane(laneAtRow(Math.min(laneCount() - 1, selLane < 0 ? 0 : rowOfLane(selLane) + 1)), true); break;
      case 'Home': case '0': fit(); break;
      case 'Enter': if (selLane >= 0) { setFilter('lane'); showTab('packets'); } break;
      default: handled = false;
    }
    if (handled) e.preventDefault();
  });
  $('zoom-in').onclick = () => zoom(0.5, at >= tl.v0 && at <= tl.v1 ? at : undefined);
  $('zoom-out').onclick = () => zoom(2, at >= tl.v0 && at <= tl.v1 ? at : undefined);
  $('zoom-reset').onclick = fit;
}

// ---------------------------------------------------------------- time scrubber & table

function syncScrubber(): void {
  const s = $('scrubber') as HTMLInputElement;
  const v0 = Math.max(0, tl.v0);
  const frac = (at - v0) / Math.max(1e-9, tl.v1 - v0);
  s.value = String(Math.round(Math.max(0, Math.min(1, frac)) * 1000));
}

function setAt(t: number, fromInput: boolean): void {
  at = t;
  if (!fromInput || document.activeElement !== $('at')) ($('at') as HTMLInputElement).value = String(Math.round(t * 1e6) / 1e6);
  syncScrubber();
  if (R !== null) {
    const abs = R.t0 + at;
    $('at-info').textContent = `${new Date(abs * 1000).toISOString().replace('T', ' ').replace('Z', ' UTC')}`;
    tableSeq++;
    send({ type: 'table', at, seq: tableSeq });
  }
  drawSoon();
}

function splitProc(line: string): string[] {
  const tok = line.trim().split(/\s+/);
  const cells = tok.slice(0, 5);
  let i = 5;
  cells.push(tok[i] !== undefined && !tok[i]!.includes('=') && !tok[i]!.startsWith('[') ? tok[i++]! : '');
  const orig: string[] = [];
  const reply: string[] = [];
  const flags: string[] = [];
  const rest: string[] = [];
  let srcSeen = 0;
  for (; i < tok.length; i++) {
    const t = tok[i]!;
    if (t.startsWith('[')) flags.push(t);
    else if (/^(mark|zone|use|secctx|helper)=/.test(t)) rest.push(t);
    else {
      if (t.startsWith('src=')) srcSeen++;
      (srcSeen >= 2 ? reply : orig).push(t);
    }
  }
  cells.push(orig.join(' '), reply.join(' '), flags.join(' '), rest.join(' '));
  return cells;
}

let lastTable: TableResult | null = null;
function renderTable(m: TableResult): void {
  lastTable = m;
  const body = ($('ct-table') as HTMLTableElement).tBodies[0]!;
  const frag = document.createDocumentFragment();
  m.lines.forEach((line, k) => {
    const tr = document.createElement('tr');
    tr.dataset.line = line;
    tr.dataset.id = String(m.ids[k]);
    for (const [j, c] of splitProc(line).entries()) {
      const td = document.createElement('td');
      td.textContent = c;
      if (j === 1 || j === 3 || j === 4) td.className = 'num';
      tr.append(td);
    }
    frag.append(tr);
  });
  body.replaceChildren(frag);
  const more = m.total > m.lines.length ? ` (the first ${m.lines.length} shown)` : '';
  $('table-info').textContent = `${m.total} entr${m.total === 1 ? 'y' : 'ies'} at t = ${m.at} s, as /proc/net/nf_conntrack shows them (same as ctscope replay FILE --at ${m.at})${more}; computed in ${Math.round(m.ms)} ms`;
  $('panel-table').dataset.ms = String(Math.round(m.ms));
  $('panel-table').dataset.at = String(m.at);
  highlightTableRow();
}

function highlightTableRow(): void {
  if (R === null) return;
  const id = selLane > 0 ? R.conns[selLane - 1]!.id : -1;
  for (const tr of ($('ct-table') as HTMLTableElement).tBodies[0]!.rows) tr.classList.toggle('sel', Number(tr.dataset.id) === id);
}

let playing = false;
let playLast = 0;
function play(): void {
  playing = !playing;
  $('play').textContent = playing ? '❚❚' : '▶';
  $('play').setAttribute('aria-label', playing ? 'Pause' : 'Play');
  playLast = performance.now();
  const tick = (now: number): void => {
    if (!playing) return;
    const speed = Number(($('speed') as HTMLSelectElement).value);
    const dt = ((now - playLast) / 1000) * speed;
    playLast = now;
    const t = at + dt;
    setAt(t, false);
    if (t > tl.v1) pan(t - tl.v1 + (tl.v1 - tl.v0) * 0.1);
    requestAnimationFrame(tick);
  };
  requestAnimationFrame(tick);
}

function setupScrub(): void {
  const s = $('scrubber') as HTMLInputElement;
  s.addEventListener('input', () => {
    const v0 = Math.max(0, tl.v0);
    setAt(v0 + (Number(s.value) / 1000) * (tl.v1 - v0), false);
  });
  const a = $('at') as HTMLInputElement;
  const apply = (): void => {
    const v = Number(a.value);
    if (a.value.trim() !== '' && Number.isFinite(v) && v >= 0) setAt(v, true);
  };
  a.addEventListener('change', apply);
  a.addEventListener('keydown', (e) => { if (e.key === 'Enter') apply(); });
  $('play').onclick = play;
  $('copy-table').onclick = () => {
    if (lastTable) void navigator.clipboard?.writeText(lastTable.lines.join('\n') + '\n');
  };
  ($('ct-table') as HTMLTableElement).tBodies[0]!.addEventListener('click', (e) => {
    const tr = (e.target as HTMLElement).closest('tr');
    if (!tr || R === null) return;
    const id = Number(tr.dataset.id);
    const k = R.conns.findIndex((c) => c.id === id);
    if (k >= 0) selectLane(k + 1, true);
  });
}

// ---------------------------------------------------------------- packet list

const ROW_H = 20;

function setFilter(kind: string, value = -1): void {
  filterKind = kind;
  filterValue = value;
  const sel = $('filter') as HTMLSelectElement;
  const opt = sel.querySelector('option[value=trans]') as HTMLOptionElement;
  opt.disabled = kind !== 'trans';
  if (kind === 'trans') opt.textContent = `TCP transition ${TCP_NAMES[value >> 4]} → ${TCP_NAMES[value & 15]}`;
  if (kind === 'reason') sel.value = 'reason';
  else sel.value = kind;
  applyFilter();
}

let allCache: Int32Array = new Int32Array(0);
function allPackets(n: number): Int32Array {
  if (allCache.length !== n) {
    allCache = new Int32Array(n);
    for (let i = 0; i < n; i++) allCache[i] = i;
  }
  return allCache;
}

function applyFilter(): void {
  if (R === null) return;
  const r = R;
  const out: number[] = [];
  for (let i = 0; i < (filterKind === 'all' ? 0 : r.n); i++) {
    let ok: boolean;
    switch (filterKind) {
      case 'invalid': ok = r.ctstate[i] === CT_INVALID; break;
      case 'reason': ok = filterValue >= 0 ? r.reason[i] === filterValue : r.reason[i]! >= 0; break;
      case 'changed': ok = changed !== null && changed[i] === 1; break;
      case 'lane': ok = r.lane[i] === selLane; break;
      case 'trans': ok = r.trans[i] === filterValue; break;
      default: ok = true;
    }
    if (ok) out.push(i);
  }
  view = filterKind === 'all' ? allPackets(r.n) : Int32Array.from(out);
  let info = `${view.length.toLocaleString('en')} of ${r.n.toLocaleString('en')} packets`;
  if (filterKind === 'reason' && filterValue >= 0) info += ` with “${r.reasons[filterValue]}”`;
  if (filterKind === 'lane' && selLane > 0) info += ` of ${r.conns[selLane - 1]!.label}`;
  $('filter-info').textContent = info;
  $('plist-spacer').style.height = `${view.length * ROW_H}px`;
  const pl = $('plist');
  const pos = selPacket >= 0 ? view.indexOf(selPacket) : -1;
  if (pos >= 0) scrollRowIntoView(pos);
  else pl.scrollTop = 0;
  renderPackets();
}

function scrollRowIntoView(pos: number): void {
  const pl = $('plist');
  const y = pos * ROW_H;
  if (y < pl.scrollTop || y + ROW_H > pl.scrollTop + pl.clientHeight) pl.scrollTop = Math.max(0, y - pl.clientHeight / 2);
}

function describe(run: RunResult, i: number): string {
  const cs = CTSTATE[run.ctstate[i]!] ?? '?';
  const why = run.reason[i]! >= 0 ? ` (${run.reasons[run.reason[i]!]})` : '';
  return cs + why;
}

function renderPackets(): void {
  if (R === null) return;
  const r = R;
  const pl = $('plist');
  const first = Math.max(0, Math.floor(pl.scrollTop / ROW_H) - 5);
  const last = Math.min(view.length, first + Math.ceil(pl.clientHeight / ROW_H) + 10);
  const frag = document.createDocumentFragment();
  for (let k = first; k < last; k++) {
    const i = view[k]!;
    const row = document.createElement('div');
    const cs = CTSTATE[r.ctstate[i]!]!;
    row.className = `prow ${cs}${r.lane[i] === selLane && selLane >= 0 ? ' lane-sel' : ''}`;
    row.style.top = `${k * ROW_H}px`;
    row.setAttribute('role', 'option');
    row.id = `pk-${i}`;
    row.dataset.i = String(i);
    row.dataset.frame = String(r.frame[i]);
    row.setAttribute('aria-selected', i === selPacket ? 'true' : 'false');
    const cells = [
      String(r.frame[i]), r.ts[i]!.toFixed(6), cs, r.dir[i]! < 0 ? '-' : r.dir[i] === 0 ? 'original' : 'reply',
      r.state[i]! < 0 ? '-' : TCP_NAMES[r.state[i]!]!, r.flows[r.flow[i]!]!, r.reason[i]! >= 0 ? r.reasons[r.reason[i]!]! : '',
    ];
    cells.forEach((c, j) => {
      const s = document.createElement('span');
      s.textContent = c;
      if (j === 2) s.className = 'cs';
      if (j === 6) s.className = 'why';
      if (j === 5 || j === 6) s.title = c;
      row.append(s);
    });
    if (changed !== null && changed[i] === 1 && P !== null) {
      const s = row.lastElementChild as HTMLElement;
      const was = document.createElement('span');
      was.className = 'was';
      was.textContent = ` was: ${describe(P, i)}`;
      s.append(was);
    }
    frag.append(row);
  }
  const spacer = $('plist-spacer');
  pl.replaceChildren(spacer, frag);
  if (selPacket >= 0) pl.setAttribute('aria-activedescendant', `pk-${selPacket}`);
  else pl.removeAttribute('aria-activedescendant');
  renderDetail();
}

function renderDetail(): void {
  const d = $('detail');
  d.replaceChildren();
  if (R === null || selPacket < 0) {
    d.textContent = 'Click a packet (or use ↑/↓ in the list) to see why the tracker decided what it did; its connection is highlighted on the timeline.';
    return;
  }
  const r = R;
  const i = selPacket;
  const cs = CTSTATE[r.ctstate[i]!]!;
  const head = document.createElement('div');
  const b = document.createElement('strong');
  b.textContent = `Frame ${r.frame[i]}: ${cs}`;
  b.id = 'detail-verdict';
  head.append(b, ` at t = ${r.ts[i]!.toFixed(6)} s — ${r.flows[r.flow[i]!]}`);
  d.append(head);
  if (r.reason[i]! >= 0) {
    const p = document.createElement('div');
    p.id = 'detail-reason';
    p.textContent = `${r.ctstate[i] === 5 ? 'Never reached conntrack' : 'Kernel message (nf_conntrack_log_invalid)'}: ${r.reasons[r.reason[i]!]}`;
    d.append(p);
    if (r.ctstate[i] !== CT_INVALID && r.ctstate[i] !== 5) {
      const note = document.createElement('div');
      note.className = 'muted small';
      note.textContent = 'The kernel logged this packet but let it through attached to its entry (ignored, not INVALID).';
      d.append(note);
    }
  }
  if (changed !== null && changed[i] === 1 && P !== null) {
    const p = document.createElement('div');
    p.className = 'was';
    p.textContent = `Before “${lastChangeLabel}”: ${describe(P, i)}`;
    d.append(p);
  }
  const l = r.lane[i]!;
  const c = document.createElement('div');
  if (l > 0) {
    const conn = r.conns[l - 1]!;
    c.textContent = `Connection #${conn.id}: ${conn.label}, ${r.dir[i]! < 0 ? 'packet not attached to it' : `${r.dir[i] === 0 ? 'original' : 'reply'} direction`}; ${conn.alive ? `still in the table at the end (${conn.finalState ?? conn.proto})` : `left the table at ${conn.end.toFixed(3)} s`}. `;
    const btn = document.createElement('button');
    btn.type = 'button';
    btn.textContent = "Show this connection's packets";
    btn.onclick = () => { selectLane(l, true); setFilter('lane'); };
    c.append(btn);
  } else c.textContent = 'No conntrack entry for this packet.';
  d.append(c);
}

function selectPacket(i: number, moveTime: boolean): void {
  if (R === null || i < 0 || i >= R.n) return;
  selPacket = i;
  const lane = R.lane[i]!;
  selLane = lane;
  const sc = $('lanes-scroll');
  const y = rowOfLane(lane) * tl.laneH;
  const visH = sc.clientHeight - tl.axisH;
  if (y < sc.scrollTop || y + tl.laneH > sc.scrollTop + visH) sc.scrollTop = Math.max(0, y - visH / 2);
  const t = R.ts[i]!;
  if (t < tl.v0 || t > tl.v1) pan(t - (tl.v0 + tl.v1) / 2);
  if (moveTime) setAt(t, false);
  const pos = view.indexOf(i);
  if (pos >= 0) scrollRowIntoView(pos);
  renderPackets();
  highlightTableRow();
  drawSoon();
}

function setupPackets(): void {
  const pl = $('plist');
  pl.addEventListener('scroll', () => renderPackets());
  new ResizeObserver(() => renderPackets()).observe(pl);
  pl.addEventListener('click', (e) => {
    const row = (e.target as HTMLElement).closest('.prow') as HTMLElement | null;
    if (row) selectPacket(Number(row.dataset.i), true);
  });
  pl.addEventListener('keydown', (e) => {
    if (view.length === 0) return;
    let pos = selPacket >= 0 ? view.indexOf(selPacket) : -1;
    const page = Math.max(1, Math.floor(pl.clientHeight / ROW_H) - 1);
    switch (e.key) {
      case 'ArrowDown': pos = Math.min(view.length - 1, pos + 1); break;
      case 'ArrowUp': pos = Math.max(0, pos - 1); break;
      case 'PageDown': pos = Math.min(view.length - 1, pos + page); break;
      case 'PageUp': pos = Math.max(0, pos - page); break;
      case 'Home': pos = 0; break;
      case 'End': pos = view.length - 1; break;
      default: return;
    }
    e.preventDefault();
    selectPacket(view[pos]!, true);
  });
  $('filter').addEventListener('change', () => setFilter(($('filter') as HTMLSelectElement).value));
}

// ---------------------------------------------------------------- TCP state diagram

const NODE_POS: Record<string, [number, number]> = {
  NONE: [80, 60], SYN_SENT: [270, 60], SYN_SENT2: [470, 60], SYN_RECV: [270, 200], ESTABLISHED: [470, 200],
  FIN_WAIT: [660, 110], CLOSE_WAIT: [660, 290], LAST_ACK: [830, 290], TIME_WAIT: [830, 110], CLOSE: [470, 380],
};
const SVG = 'http://www.w3.org/2000/svg';

function svgEl<K extends keyof SVGElementTagNameMap>(tag: K, attrs: Record<string, string | number>): SVGElementTagNameMap[K] {
  const e = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  return e;
}

function renderDiagram(): void {
  if (R === null) return;
  const r = R;
  const counts = new Map<number, number>();
  for (let i = 0; i < r.n; i++) {
    const t = r.trans[i]!;
    if (t >= 0) counts.set(t, (counts.get(t) ?? 0) + 1);
  }
  const svg = $('diagram') as unknown as SVGSVGElement;
  svg.replaceChildren();
  const defs = svgEl('defs', {});
  const marker = svgEl('marker', { id: 'arrow', viewBox: '0 0 10 10', refX: 9, refY: 5, markerWidth: 7, markerHeight: 7, orient: 'auto-start-reverse' });
  marker.append(svgEl('path', { d: 'M0,0 L10,5 L0,10 z' }));
  defs.append(marker);
  svg.append(defs);
  const edges = [...counts.entries()].filter(([k]) => k >> 4 !== (k & 15)).sort((a, b) => a[0] - b[0]);
  const NW = 120;
  const NH = 34;
  for (const [k, n] of edges) {
    const a = NODE_POS[TCP_NAMES[k >> 4]!]!;
    const b = NODE_POS[TCP_NAMES[k & 15]!]!;
    // Clip the straight line to the node boxes, bend it a little so A→B and B→A do not overlap.
    const dx = b[0] - a[0];
    const dy = b[1] - a[1];
    const len = Math.hypot(dx, dy) || 1;
    const clip = (sx: number, sy: number): number => Math.min(Math.abs((NW / 2 + 4) / (sx || 1e-9)), Math.abs((NH / 2 + 4) / (sy || 1e-9)));
    const ca = clip(dx / len, dy / len);
    const x1 = a[0] + (dx / len) * ca;
    const y1 = a[1] + (dy / len) * ca;
    const x2 = b[0] - (dx / len) * ca;
    const y2 = b[1] - (dy / len) * ca;
    const nx = -dy / len;
    const ny = dx / len;
    const bend = 22;
    const mx = (x1 + x2) / 2 + nx * bend;
    const my = (y1 + y2) / 2 + ny * bend;
    const name = `${TCP_NAMES[k >> 4]} → ${TCP_NAMES[k & 15]}`;
    const g = svgEl('g', { class: 'edge', tabindex: 0, role: 'button', 'aria-label': `${name}: ${n} packet${n === 1 ? '' : 's'}`, 'data-trans': k });
    if (filterKind === 'trans' && filterValue === k) g.classList.add('active');
    g.append(svgEl('path', { d: `M${x1},${y1} Q${mx},${my} ${x2},${y2}`, 'marker-end': 'url(#arrow)' }));
    const label = svgEl('text', { x: (x1 + x2) / 4 + mx / 2, y: (y1 + y2) / 4 + my / 2, 'text-anchor': 'middle' });
    label.textContent = String(n);
    g.append(label);
    const title = svgEl('title', {});
    title.textContent = `${name}: ${n} packets`;
    g.append(title);
    const go = (): void => { setFilter('trans', k); showTab('packets'); };
    g.addEventListener('click', go);
    g.addEventListener('keydown', (e) => { if (e.key === 'Enter' || e.key === ' ') { e.preventDefault(); go(); } });
    svg.append(g);
  }
  const finals = new Map<string, number>();
  for (const c of r.conns) if (c.proto === 'tcp' && c.finalState) finals.set(c.finalState, (finals.get(c.finalState) ?? 0) + 1);
  for (const [name, [x, y]] of Object.entries(NODE_POS)) {
    const g = svgEl('g', { class: 'node' });
    const rect = svgEl('rect', { x: x - NW / 2, y: y - NH / 2, width: NW, height: NH, rx: 8 });
    rect.style.stroke = STATE_COLORS[name] ?? '';
    g.append(rect);
    const t = svgEl('text', { x, y: y - 5 });
    t.textContent = name;
    const t2 = svgEl('text', { x, y: y + 9 });
    t2.setAttribute('font-size', '10');
    const f = finals.get(name);
    t2.textContent = f ? `${f} end here` : '';
    g.append(t, t2);
    svg.append(g);
  }
  // The same as a table (with self-transitions), for keyboard and screen readers.
  const body = ($('trans-table') as HTMLTableElement).tBodies[0]!;
  body.replaceChildren();
  for (const [k, n] of [...counts.entries()].sort((a, b) => a[0] - b[0])) {
    const tr = document.createElement('tr');
    const td1 = document.createElement('td');
    td1.textContent = TCP_NAMES[k >> 4]!;
    const td2 = document.createElement('td');
    td2.textContent = TCP_NAMES[k & 15]!;
    const td3 = document.createElement('td');
    td3.className = 'num';
    const b = document.createElement('button');
    b.type = 'button';
    b.className = 'linkish';
    b.textContent = String(n);
    b.setAttribute('aria-label', `list the ${n} packets of ${TCP_NAMES[k >> 4]} → ${TCP_NAMES[k & 15]}`);
    b.onclick = () => { setFilter('trans', k); showTab('packets'); };
    td3.append(b);
    tr.append(td1, td2, td3);
    body.append(tr);
  }
}

// ---------------------------------------------------------------- summary

function table(caption: string, head: string[], rows: (string | number | HTMLElement)[][], id: string): HTMLElement {
  const box = document.createElement('div');
  const h = document.createElement('h3');
  h.textContent = caption;
  const t = document.createElement('table');
  t.className = 'small-table';
  t.id = id;
  const tr = document.createElement('tr');
  for (const c of head) {
    const th = document.createElement('th');
    th.textContent = c;
    tr.append(th);
  }
  t.append(tr);
  for (const row of rows) {
    const r = document.createElement('tr');
    for (const c of row) {
      const td = document.createElement('td');
      if (typeof c === 'number') {
        td.className = 'num';
        td.textContent = c.toLocaleString('en');
      } else if (typeof c === 'string') td.textContent = c;
      else td.append(c);
      r.append(td);
    }
    t.append(r);
  }
  box.append(h, t);
  return box;
}

function renderSummary(): void {
  if (R === null) return;
  const r = R;
  const el = $('summary');
  el.replaceChildren();
  const byProto = new Map<string, number>();
  for (const c of r.conns) {
    const k = `${c.proto}\u0000${c.finalState ?? (c.alive ? 'in the table' : '')}\u0000${c.alive ? 'in the table at the end' : 'expired or closed'}`;
    byProto.set(k, (byProto.get(k) ?? 0) + 1);
  }
  el.append(table('Connections by protocol and final state', ['protocol', 'final state', 'at the end', 'count'],
    [...byProto.entries()].sort().map(([k, n]) => [...k.split('\u0000'), n]), 'sum-conns'));
  const cs = new Array<number>(6).fill(0);
  for (let i = 0; i < r.n; i++) cs[r.ctstate[i]!]!++;
  el.append(table('Packets by ctstate', ['ctstate', 'packets'], CTSTATE.map((n, i) => [n, cs[i]!] as [string, number]).filter((x) => x[1] > 0), 'sum-ctstate'));
  const byReason = new Map<number, [number, number]>();
  for (let i = 0; i < r.n; i++) {
    const k = r.reason[i]!;
    if (k < 0) continue;
    const e = byReason.get(k) ?? [0, 0];
    if (r.ctstate[i] === CT_INVALID) e[0]++;
    else e[1]++;
    byReason.set(k, e);
  }
  const rows = [...byReason.entries()].sort((a, b) => b[1][0] + b[1][1] - a[1][0] - a[1][1]).map(([k, [inv, other]]) => {
    const b = document.createElement('button');
    b.type = 'button';
    b.className = 'linkish';
    b.textContent = r.reasons[k]!;
    b.onclick = () => { setFilter('reason', k); showTab('packets'); };
    return [b, inv, other];
  });
  el.append(table('Invalid / ignored / skipped packets by reason', ['reason (kernel message)', 'invalid', 'other'], rows, 'sum-reasons'));
  const stats = Object.entries(r.stats).filter(([, v]) => v !== 0).map(([k, v]) => [k, v] as [string, number]);
  el.append(table('conntrack -S counters (non-zero)', ['counter', 'value'], stats, 'sum-stats'));
  const info: [string, string][] = [['file', r.name], ['format', r.format], ['packets', r.n.toLocaleString('en')],
    ['duration', `${r.tEnd.toFixed(6)} s`], ['first packet', new Date(r.t0 * 1000).toISOString()], ['tracked in', `${Math.round(r.elapsedMs)} ms`]];
  for (const w of r.warnings) info.push(['warning', w]);
  if (r.truncatedAt !== null) info.push(['warning', `capture ends mid-record at offset ${r.truncatedAt}`]);
  el.append(table('Capture', ['', ''], info, 'sum-capture'));
}

// ---------------------------------------------------------------- settings

const FLAGS = ['nf_conntrack_checksum', 'nf_conntrack_tcp_loose', 'nf_conntrack_tcp_be_liberal', 'nf_conntrack_tcp_ignore_invalid_rst'];
const NUMBERS = [
  'nf_conntrack_tcp_max_retrans',
  'nf_conntrack_tcp_timeout_syn_sent', 'nf_conntrack_tcp_timeout_syn_recv', 'nf_conntrack_tcp_timeout_established',
  'nf_conntrack_tcp_timeout_fin_wait', 'nf_conntrack_tcp_timeout_close_wait', 'nf_conntrack_tcp_timeout_last_ack',
  'nf_conntrack_tcp_timeout_time_wait', 'nf_conntrack_tcp_timeout_close', 'nf_conntrack_tcp_timeout_max_retrans',
  'nf_conntrack_tcp_timeout_unacknowledged', 'nf_conntrack_udp_timeout', 'nf_conntrack_udp_timeout_stream',
  'nf_conntrack_icmp_timeout', 'nf_conntrack_icmpv6_timeout', 'nf_conntrack_generic_timeout',
];

let settingsTimer = 0;
function settingChanged(label: string): void {
  clearTimeout(settingsTimer);
  settingsTimer = window.setTimeout(() => rerun(label), 250);
}

function renderSettings(): void {
  if (R === null) return;
  const form = $('settings');
  form.replaceChildren();
  const eff = R.sysctl;
  const prof = document.createElement('label');
  prof.textContent = 'timeout profile';
  const sel = document.createElement('select');
  sel.id = 'sysctl-profile';
  for (const [v, t] of [['', 'Linux 6.18 defaults'], ['tutorial', 'tutorial (Iptables Tutorial)'], ['linux-2.4', 'linux-2.4']]) {
    const o = document.createElement('option');
    o.value = v!;
    o.textContent = t!;
    sel.append(o);
  }
  sel.value = profile;
  sel.onchange = () => { profile = sel.value; settingChanged(`profile ${profile || 'default'}`); };
  prof.append(sel);
  form.append(prof);
  for (const name of FLAGS) {
    const l = document.createElement('label');
    const cb = document.createElement('input');
    cb.type = 'checkbox';
    cb.id = `sysctl-${name}`;
    cb.name = name;
    cb.checked = (eff[name] ?? 0) !== 0;
    l.append(name, cb);
    if (name in overrides) l.classList.add('changed-field');
    cb.onchange = () => { overrides[name] = cb.checked ? 1 : 0; settingChanged(`${name}=${overrides[name]}`); };
    form.append(l);
  }
  for (const name of NUMBERS) {
    const l = document.createElement('label');
    const inp = document.createElement('input');
    inp.type = 'number';
    inp.min = '0';
    inp.step = '1';
    inp.id = `sysctl-${name}`;
    inp.name = name;
    inp.value = String(eff[name] ?? '');
    if (name in overrides) l.classList.add('changed-field');
    l.append(name, inp);
    inp.onchange = () => {
      const v = Number(inp.value);
      if (!Number.isInteger(v) || v < 0) return;
      overrides[name] = v;
      settingChanged(`${name}=${v}`);
    };
    form.append(l);
  }
  const reset = document.createElement('button');
  reset.type = 'button';
  reset.textContent = 'Reset to defaults';
  reset.onclick = () => { overrides = {}; profile = ''; settingChanged('defaults'); };
  form.append(reset);
}

// ---------------------------------------------------------------- tabs, theme, loading

const TABS = ['packets', 'table', 'states', 'summary', 'settings'];
function showTab(name: string): void {
  for (const t of TABS) {
    const tab = $(`tab-${t}`);
    const on = t === name;
    tab.setAttribute('aria-selected', String(on));
    tab.tabIndex = on ? 0 : -1;
    $(`panel-${t}`).hidden = !on;
  }
  if (name === 'packets') renderPackets();
}

function setupTabs(): void {
  for (const t of TABS) {
    const tab = $(`tab-${t}`);
    tab.onclick = () => showTab(t);
    tab.onkeydown = (e) => {
      const i = TABS.indexOf(t);
      let j = -1;
      if (e.key === 'ArrowRight') j = (i + 1) % TABS.length;
      else if (e.key === 'ArrowLeft') j = (i + TABS.length - 1) % TABS.length;
      else if (e.key === 'Home') j = 0;
      else if (e.key === 'End') j = TABS.length - 1;
      if (j < 0) return;
      e.preventDefault();
      showTab(TABS[j]!);
      $(`tab-${TABS[j]}`).focus();
    };
  }
}

function setupTheme(): void {
  const stored = localStorage.getItem('ctscope-theme');
  const dark = stored ? stored === 'dark' : matchMedia('(prefers-color-scheme: dark)').matches;
  document.documentElement.dataset.theme = dark ? 'dark' : 'light';
  $('theme').onclick = () => {
    const next = document.documentElement.dataset.theme === 'dark' ? 'light' : 'dark';
    document.documentElement.dataset.theme = next;
    localStorage.setItem('ctscope-theme', next);
    renderLegend();
    drawSoon();
  };
}

function setupLoading(): void {
  const input = $('file-input') as HTMLInputElement;
  input.addEventListener('change', async () => {
    const f = input.files?.[0];
    if (f) loadBytes(await f.arrayBuffer(), f.name);
    input.value = '';
  });
  $('example').onclick = () => {
    const bin = atob(__EXAMPLE_PCAP_B64__);
    const u8 = new Uint8Array(bin.length);
    for (let i = 0; i < bin.length; i++) u8[i] = bin.charCodeAt(i);
    loadBytes(u8.buffer, 'tutorial-telnet.pcap');
  };
  window.addEventListener('dragover', (e) => { e.preventDefault(); document.body.classList.add('dragging'); });
  window.addEventListener('dragleave', () => document.body.classList.remove('dragging'));
  window.addEventListener('drop', async (e) => {
    e.preventDefault();
    document.body.classList.remove('dragging');
    const f = e.dataTransfer?.files[0];
    if (f) loadBytes(await f.arrayBuffer(), f.name);
  });
}

/** Under `ctscope serve FILE` the server offers the capture at api/capture. */
async function loadServed(): Promise<void> {
  if (location.protocol !== 'http:' && location.protocol !== 'https:') return;
  try {
    const res = await fetch('api/capture');
    if (!res.ok) return;
    const name = decodeURIComponent(res.headers.get('x-ctscope-name') ?? 'capture');
    loadBytes(await res.arrayBuffer(), name);
  } catch {
    // a static build: no server behind the page
  }
}

setupTheme();
setupTabs();
setupTimeline();
setupScrub();
setupPackets();
setupLoading();
document.body.dataset.state = 'empty';
void loadServed();
