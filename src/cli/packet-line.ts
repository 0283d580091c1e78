/**
 * The --packets output: one line (text) or one JSON object per captured frame.
 * Cold path: called only for printed packets.
 */
import type { ConntrackEngine } from '../core/conntrack.js';
import type { Outcome, PacketResult, WindowDetail } from '../core/packet-result.js';
import { l4protoName, hasPorts, stateName } from '../proto/l4proto.js';
import { ntop6 } from '../format/addr.js';

export interface PacketInfo {
  frame: number;
  ts: number;
  ctstate: string;
  /** accepted, ignored (logged but kept its entry), invalid, untracked, skipped */
  outcome: Outcome;
  dir?: string;
  state?: string;
  proto?: string;
  src?: string;
  dst?: string;
  sport?: number;
  dport?: number;
  icmpType?: number;
  icmpCode?: number;
  reason?: string;
  /** The fragmented datagram this frame belongs to (its frames), when it is a fragment. */
  datagram?: number[];
  /** For a held fragment: what became of its datagram (its ctstate, discarded, incomplete). */
  datagramVerdict?: string;
  /** The numbers behind a window-check message. */
  detail?: WindowDetail;
  skipped?: string;
}

function addr(buf: Uint8Array, off: number, family: number): string {
  if (family === 4) return `${buf[off]}.${buf[off + 1]}.${buf[off + 2]}.${buf[off + 3]}`;
  return ntop6(buf.subarray(off, off + 16));
}

/** Everything --packets shows about the packet just processed. */
export function packetInfo(engine: ConntrackEngine, r: PacketResult, frame: number, ts: number): PacketInfo {
  const info: PacketInfo = { frame, ts, ctstate: r.skip !== null ? 'skipped' : r.ctstateName, outcome: r.outcome };
  if (r.skip !== null) {
    info.skipped = r.skip;
    return info;
  }
  const m = engine.meta;
  if (r.dir >= 0) info.dir = r.dirName!;
  if (r.state >= 0 && r.dir >= 0) info.state = stateName(r.protonum, r.state) ?? undefined;
  info.proto = m.family === 6 && m.protonum === 58 ? 'icmpv6' : l4protoName(m.protonum);
  if (info.proto === 'unknown') info.proto = String(m.protonum);
  info.src = addr(m.buf, m.srcOff, m.family);
  info.dst = addr(m.buf, m.dstOff, m.family);
  if (m.l4Off >= 0 && hasPorts(m.protonum) && m.l4Off + 4 <= m.end) {
    info.sport = m.dv.getUint16(m.l4Off);
    info.dport = m.dv.getUint16(m.l4Off + 2);
  } else if (m.l4Off >= 0 && (m.protonum === 1 || m.protonum === 58) && m.l4Off + 2 <= m.end) {
    info.icmpType = m.buf[m.l4Off]!;
    info.icmpCode = m.buf[m.l4Off + 1]!;
  }
  if (r.reasonCount > 0) info.reason = r.reasons().join('; ');
  if (r.datagramFrames !== null) info.datagram = r.datagramFrames;
  const detail = r.windowDetail();
  if (detail !== null) info.detail = detail;
  return info;
}

function endpoint(a: string, port: number | undefined, v6: boolean): string {
  if (port === undefined) return a;
  return v6 ? `[${a}]:${port}` : `${a}:${port}`;
}

/** `frame  time  ctstate  dir  state  proto src > dst  reason` */
export function packetText(p: PacketInfo, t0: number): string {
  const rel = (p.ts - t0).toFixed(6);
  const head = `${String(p.frame).padStart(5)} ${rel.padStart(12)} `;
  if (p.skipped !== undefined) {
    const fate = p.datagramVerdict === undefined ? '' : ` (datagram of frames ${p.datagram!.join(',')}: ${p.datagramVerdict})`;
    return `${head}${'skipped'.padEnd(11)} ${p.skipped}${fate}`;
  }
  const v6 = (p.src ?? '').includes(':');
  let flow = `${p.proto} ${endpoint(p.src!, p.sport, v6)} > ${endpoint(p.dst!, p.dport, v6)}`;
  if (p.icmpType !== undefined) flow += ` type=${p.icmpType} code=${p.icmpCode}`;
  if (p.datagram !== undefined) flow += ` (datagram of frames ${p.datagram.join(',')})`;
  let line = `${head}${p.ctstate.padEnd(11)} ${(p.dir ?? '-').padEnd(8)} ${(p.state ?? '-').padEnd(11)} ${flow}`;
  if (p.reason !== undefined) line += `  [${p.outcome === 'ignored' ? 'ignored: ' : ''}${p.reason}]`;
  // Dropped without a word: net_ratelimit swallowed the table-full warning, or a drop the kernel does not log.
  else if (p.outcome === 'dropped') line += '  [dropped]';
  return line;
}

/** A --packets line: JSON, or text with the time since the first packet `t0`. */
export function packetOutput(p: PacketInfo, json: boolean, t0: number): string {
  return json ? JSON.stringify(p) : packetText(p, t0);
}
