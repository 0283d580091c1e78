/**
 * `ctscope replay FILE --invalid`: only the packets the kernel would mark invalid
 * or log while letting them through (ignored), each with its tuple, its entry's
 * state, the kernel's message, the numbers behind a window-check message, and
 * which sysctl would have accepted it — found by replaying the capture again
 * with that sysctl changed. Ends with a summary by reason and by connection.
 */
import { Conntrack, type ConntrackOptions } from '../conntrack.js';
import type { Sysctls } from '../core/sysctl.js';
import { stateName } from '../proto/l4proto.js';
import { CaptureReader } from '../io/capture-reader.js';
import { createFrame, type CaptureFrame } from '../io/frame.js';
import { isSupportedLinkType, linkTypeName } from '../packet/link.js';
import { CaptureError } from '../io/errors.js';
import { packetInfo, type PacketInfo } from './packet-line.js';
import type { Output } from './output.js';

/** A sysctl that can turn an invalid or logged packet into an accepted one, and the value that does. */
interface WhatIf {
  name: keyof Sysctls;
  value: number;
}

const CANDIDATES: readonly WhatIf[] = [
  { name: 'nf_conntrack_tcp_be_liberal', value: 1 },
  { name: 'nf_conntrack_checksum', value: 0 },
  { name: 'nf_conntrack_tcp_ignore_invalid_rst', value: 1 },
  { name: 'nf_conntrack_tcp_loose', value: 1 },
];

interface Flagged {
  info: PacketInfo;
  /** The entry's TCP state when the packet arrived (invalid packets keep none of their own). */
  entryState: string | null;
  connection: string;
  acceptedWith: string[];
}

type FrameVisitor = (f: CaptureFrame, ct: Conntrack) => void;

/** What reading the capture found besides its frames. */
export interface InvalidRead {
  read: Pick<CaptureReader, 'warnings' | 'truncatedAt'>;
  /** What stopped the reading early (a damaged capture): the frames before it were reported. */
  damage: CaptureError | null;
}

function run(bytes: Uint8Array, options: ConstructorParameters<typeof Conntrack>[0], visit: FrameVisitor): InvalidRead & { ct: Conntrack } {
  const ct = new Conntrack(options);
  const reader = new CaptureReader();
  const f = createFrame();
  reader.push(bytes);
  reader.end();
  let damage: CaptureError | null = null;
  try {
    while (reader.next(f)) {
      if (!isSupportedLinkType(f.linkType)) throw new CaptureError(`unsupported link type ${f.linkType} (${linkTypeName(f.linkType)})`, f.fileOffset);
      visit(f, ct);
    }
  } catch (e) {
    if (!(e instanceof CaptureError)) throw e;
    damage = e;
  }
  return { ct, read: reader, damage };
}

function connectionName(p: PacketInfo): string {
  const ep = (a: string | undefined, port: number | undefined): string =>
    port === undefined ? `${a}` : (a ?? '').includes(':') ? `[${a}]:${port}` : `${a}:${port}`;
  return `${p.proto} ${ep(p.src, p.sport)} > ${ep(p.dst, p.dport)}`;
}

/** The message with its numbers taken out, to count messages by kind. */
function reasonKind(reason: string): string {
  return reason.replace(/\d+(\.\d+){0,3}/g, 'N');
}

/**
 * Prints the report; a damaged capture's packets before the damage are
 * reported (nothing when there were none), and the damage returned.
 */
export function reportInvalid(
  bytes: Uint8Array,
  options: ConntrackOptions & { sysctl: Record<string, number> },
  json: boolean,
  out: Output,
): InvalidRead {
  const flagged = new Map<number, Flagged>();
  let t0 = -1;
  let packets = 0;
  const { ct: base, ...done } = run(bytes, options, (f, ct) => {
    packets++;
    const ts = f.tsSec + f.tsNsec / 1e9;
    if (t0 < 0) t0 = ts;
    const r = ct.processFrame(f);
    const outcome = r.outcome;
    if (outcome !== 'invalid' && outcome !== 'ignored' && outcome !== 'dropped') return;
    const info = packetInfo(ct.engine, r, f.index, ts);
    flagged.set(f.index, {
      info,
      entryState: r.state >= 0 ? stateName(r.protonum, r.state) : null,
      connection: connectionName(info),
      acceptedWith: [],
    });
  });
  if (done.damage !== null && packets === 0) return done;
  // Re-run the capture under each setting that differs from the base and could help (up to the same damage).
  for (const c of CANDIDATES) {
    if (base.sysctl[c.name] === c.value || flagged.size === 0) continue;
    run(bytes, { ...options, sysctl: { ...options.sysctl, [c.name]: c.value } }, (f, ct) => {
      const r = ct.processFrame(f);
      const fl = flagged.get(f.index);
      if (fl !== undefined && r.outcome === 'accepted') fl.acceptedWith.push(`net.netfilter.${c.name}=${c.value}`);
    });
  }

  for (const fl of flagged.values()) {
    if (json) {
      out.line(JSON.stringify({ ...fl.info, entryState: fl.entryState, acceptedWith: fl.acceptedWith }));
      continue;
    }
    const p = fl.info;
    out.line(`frame ${p.frame}  +${(p.ts - t0).toFixed(6)}s  ${fl.connection}  entry ${fl.entryState ?? '-'}  ${p.outcome.toUpperCase()}`);
    out.line(`  ${p.reason ?? '(the kernel logs no message for it)'}`);
    const d = p.detail;
    if (d !== undefined) {
      const what = d.check === 'I' || d.check === 'II' ? 'seq' : 'ack';
      out.line(`  seq=${d.seq} ack=${d.ack}${d.sack !== d.ack ? ` sack=${d.sack}` : ''} win=${d.win} end=${d.end}: ` +
        `bound ${d.check} (${BOUND_TEXT[d.check]}) = ${d.bound}, ${what} off by ${d.by}`);
      out.line(`  sender td_end=${d.sender.tdEnd} td_maxend=${d.sender.tdMaxend} td_maxwin=${d.sender.tdMaxwin} scale=${d.sender.tdScale}; ` +
        `receiver td_end=${d.receiver.tdEnd} td_maxend=${d.receiver.tdMaxend} td_maxwin=${d.receiver.tdMaxwin} scale=${d.receiver.tdScale}`);
    }
    out.line(fl.acceptedWith.length > 0 ? `  accepted with ${fl.acceptedWith.join(', or with ')}` : '  no sysctl changes this outcome');
  }
  if (!json) summarize(flagged, packets, out);
  return done;
}

function summarize(flagged: Map<number, Flagged>, packets: number, out: Output): void {
  const byReason = new Map<string, number>();
  const byConn = new Map<string, Map<string, number>>();
  let invalid = 0;
  for (const fl of flagged.values()) {
    if (fl.info.outcome === 'invalid') invalid++;
    const kind = `${fl.info.outcome}: ${reasonKind(fl.info.reason ?? '(no message)')}`;
    byReason.set(kind, (byReason.get(kind) ?? 0) + 1);
    const m = byConn.get(fl.connection) ?? new Map<string, number>();
    m.set(kind, (m.get(kind) ?? 0) + 1);
    byConn.set(fl.connection, m);
  }
  out.line(`summary: ${invalid} invalid, ${flagged.size - invalid} ignored (logged, but kept their entry) of ${packets} packets`);
  out.line('by reason:');
  for (const [k, n] of [...byReason].sort((a, b) => b[1] - a[1])) out.line(`  ${String(n).padStart(6)}  ${k}`);
  out.line('by connection:');
  for (const [c, m] of byConn) {
    out.line(`  ${c}: ${[...m].map(([k, n]) => `${n} × ${k}`).join('; ')}`);
  }
}

const BOUND_TEXT = {
  I: 'seq <= sender td_maxend',
  II: 'seq + len >= sender td_end - receiver td_maxwin',
  III: 'ack <= receiver td_end',
  IV: 'ack >= receiver td_end - max(sender td_maxwin, 66000)',
} as const;
