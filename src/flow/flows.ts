/**
 * Flow records: one record per connection when its entry goes (DESTROY), or at
 * the end of the capture for those still in the table. JSON lines or CSV.
 *
 *   const flows = attachFlows(ct, (rec) => out.write(flowLine(rec, 'jsonl')));
 *   ... replay ...
 *   flows.finish();          // records for the entries still there: reason end-of-capture
 */
import type { Conntrack } from '../conntrack.js';
import { EVENT_DESTROY } from '../core/conntrack.js';
import { formatAddr } from '../format/addr.js';
import { ctL4Name } from '../format/conntrack.js';
import type { ConnSnapshot } from '../format/snapshot.js';
import { IPS_ASSURED } from '../format/status.js';
import { counters, currentTcpFlags, deadlineMs, keepCounters, liveEntries, startMs } from '../state/engine-access.js';

export type FlowEnd = 'timeout' | 'rst' | 'reopen' | 'end-of-capture';

export interface FlowRecord {
  id: number;
  family: 'ipv4' | 'ipv6';
  proto: string;
  protonum: number;
  src: string;
  dst: string;
  sport: number;
  dport: number;
  replySrc: string;
  replyDst: string;
  replySport: number;
  replyDport: number;
  /** Capture time, seconds. */
  start: number;
  end: number;
  duration: number;
  origPackets: number;
  origBytes: number;
  replyPackets: number;
  replyBytes: number;
  /** TCP state at the end ('' for other protocols). */
  state: string;
  assured: boolean;
  reason: FlowEnd;
}

const TCP_SYN = 0x02;

function record(ct: Conntrack, idx: number, s: ConnSnapshot, endSec: number, reason: FlowEnd): FlowRecord {
  const [op, ob, rp, rb] = counters(ct, idx);
  const start = startMs(ct, idx) / 1000;
  const a = (b: Uint8Array): string => formatAddr(b, 'compressed');
  const icmp = s.protonum === 1 || s.protonum === 58;
  return {
    id: s.id >>> 0,
    family: s.l3num === 2 ? 'ipv4' : 'ipv6',
    proto: ctL4Name(s.protonum) === 'unknown' ? String(s.protonum) : ctL4Name(s.protonum),
    protonum: s.protonum,
    src: a(s.orig.src),
    dst: a(s.orig.dst),
    sport: icmp ? s.orig.icmpType : s.orig.sport,
    dport: icmp ? s.orig.icmpCode : s.orig.dport,
    replySrc: a(s.reply.src),
    replyDst: a(s.reply.dst),
    replySport: icmp ? s.reply.icmpType : s.reply.sport,
    replyDport: icmp ? s.reply.icmpCode : s.reply.dport,
    start,
    end: endSec,
    duration: Math.max(0, Math.round((endSec - start) * 1e6) / 1e6),
    origPackets: op,
    origBytes: ob,
    replyPackets: rp,
    replyBytes: rb,
    state: s.state ?? '',
    assured: (s.status & IPS_ASSURED) !== 0,
    reason,
  };
}

export interface FlowTracker {
  /** Emits records for the entries still in the table (reason end-of-capture). */
  finish(): void;
  /** Records emitted so far. */
  readonly count: number;
}

/** Calls `sink` with a FlowRecord for every connection that ends. */
export function attachFlows(ct: Conntrack, sink: (r: FlowRecord) => void): FlowTracker {
  keepCounters(ct);
  let count = 0;
  ct.engine.onEvent((kind, idx, _mask, timeMs) => {
    if (kind !== EVENT_DESTROY) return;
    const s = ct.snapshot(idx, timeMs);
    // Expired (deadline reached) or killed while a packet was tracked.
    const expired = deadlineMs(ct, idx) <= timeMs;
    let reason: FlowEnd;
    if (expired) reason = s.state === 'CLOSE' ? 'rst' : 'timeout';
    else reason = currentTcpFlags(ct) & TCP_SYN ? 'reopen' : 'rst';
    sink(record(ct, idx, s, timeMs / 1000, reason));
    count++;
  });
  return {
    finish(): void {
      for (const idx of liveEntries(ct)) {
        sink(record(ct, idx, ct.snapshot(idx), ct.time, 'end-of-capture'));
        count++;
      }
    },
    get count(): number {
      return count;
    },
  };
}

export const FLOW_CSV_COLUMNS: readonly (keyof FlowRecord)[] = [
  'id', 'family', 'proto', 'src', 'dst', 'sport', 'dport', 'replySrc', 'replyDst', 'replySport', 'replyDport',
  'start', 'end', 'duration', 'origPackets', 'origBytes', 'replyPackets', 'replyBytes', 'state', 'assured', 'reason',
];

export type FlowFormat = 'jsonl' | 'csv';

/** The format a file name asks for: .csv → csv, anything else JSON lines. */
export function flowFormatFor(path: string): FlowFormat {
  return path.toLowerCase().endsWith('.csv') ? 'csv' : 'jsonl';
}

export function flowCsvHeader(): string {
  return FLOW_CSV_COLUMNS.join(',');
}

/** One line (no newline). */
export function flowLine(r: FlowRecord, format: FlowFormat): string {
  if (format === 'jsonl') return JSON.stringify(r);
  return FLOW_CSV_COLUMNS.map((k) => String(r[k])).join(',');
}
