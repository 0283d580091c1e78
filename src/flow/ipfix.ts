/**
 * IPFIX (RFC 7011) encoding of flow records: one biflow data record (RFC 5103)
 * per connection, built from the FlowRecord that src/flow/flows.ts emits when an
 * entry goes. Pure (no sockets): the bytes of each message go to a `send`
 * callback; src/cli/conntrack/ipfix-hook.ts sends them over UDP.
 *
 *   const exp = new IpfixExporter((msg) => socket.send(msg));
 *   const t = attachFlows(ct, (r) => exp.add(r, ct.time));
 *   ... replay ...
 *   t.finish(); exp.flush(ct.time);
 *
 * Four templates (IPv4/IPv6 × ports/ICMP type-code), each record:
 *   sourceIPv4Address(8) | sourceIPv6Address(27), destinationIPv4Address(12) | destinationIPv6Address(28),
 *   sourceTransportPort(7) + destinationTransportPort(11) | icmpTypeCodeIPv4(32) | icmpTypeCodeIPv6(139),
 *   protocolIdentifier(4), flowStartMilliseconds(152), flowEndMilliseconds(153),
 *   packetDeltaCount(2), octetDeltaCount(1)                     — the original direction,
 *   reverse packetDeltaCount, reverse octetDeltaCount (PEN 29305) — the reply direction (RFC 5103),
 *   flowEndReason(136), biflowDirection(239) = 1 (the source is the initiator).
 * Counters are the entry's (IP bytes, as conntrack counts them). Export time is
 * the capture clock; the sequence number counts data records sent before the
 * message (RFC 7011 §3.1); templates go in the first message and again every
 * `templateEvery` messages or `templateSeconds` of capture time (RFC 7011 §8.4).
 */
import type { FlowEnd, FlowRecord } from './flows.js';

export const IPFIX_VERSION = 10;
/** RFC 5103 reverse information elements: enterprise number of the reverse PEN. */
export const REVERSE_PEN = 29305;

/** IANA flowEndReason values (RFC 7012 / IANA IPFIX registry, element 136). */
export const FLOW_END_REASON = {
  idleTimeout: 1,
  activeTimeout: 2,
  endOfFlowDetected: 3,
  forcedEnd: 4,
  lackOfResources: 5,
} as const;

/**
 * flowEndReason for a flow record's reason of end:
 *   timeout        → 1 idle timeout (conntrack timeouts restart with every packet),
 *                    but 3 end of flow detected for a TCP connection that had closed
 *                    (TIME_WAIT, CLOSE, LAST_ACK: its FIN/RST ended it, the timeout only cleared it)
 *   rst, reopen    → 3 end of flow detected (a RST; a SYN reusing the tuple of a closed connection)
 *   end-of-capture → 4 forced end (the capture stopped, the connection did not)
 */
export function flowEndReason(reason: FlowEnd, tcpState = ''): number {
  switch (reason) {
    case 'timeout':
      return tcpState === 'TIME_WAIT' || tcpState === 'CLOSE' || tcpState === 'LAST_ACK'
        ? FLOW_END_REASON.endOfFlowDetected : FLOW_END_REASON.idleTimeout;
    case 'rst':
    case 'reopen':
      return FLOW_END_REASON.endOfFlowDetected;
    case 'end-of-capture':
      return FLOW_END_REASON.forcedEnd;
  }
}

interface Field {
  id: number;
  length: number;
  /** Enterprise number (the enterprise bit is set in the encoding). */
  pen?: number;
}

const TEMPLATE_V4 = 256;
const TEMPLATE_V6 = 257;
const TEMPLATE_V4_ICMP = 258;
const TEMPLATE_V6_ICMP = 259;

function fields(v6: boolean, icmp: boolean): Field[] {
  const out: Field[] = v6 ? [{ id: 27, length: 16 }, { id: 28, length: 16 }] : [{ id: 8, length: 4 }, { id: 12, length: 4 }];
  if (icmp) out.push({ id: v6 ? 139 : 32, length: 2 });
  else out.push({ id: 7, length: 2 }, { id: 11, length: 2 });
  out.push(
    { id: 4, length: 1 },
    { id: 152, length: 8 },
    { id: 153, length: 8 },
    { id: 2, length: 8 },
    { id: 1, length: 8 },
    { id: 2, length: 8, pen: REVERSE_PEN },
    { id: 1, length: 8, pen: REVERSE_PEN },
    { id: 136, length: 1 },
    { id: 239, length: 1 },
  );
  return out;
}

const TEMPLATES: readonly { id: number; v6: boolean; icmp: boolean; fields: Field[]; recordLength: number }[] =
  [[TEMPLATE_V4, false, false], [TEMPLATE_V6, true, false], [TEMPLATE_V4_ICMP, false, true], [TEMPLATE_V6_ICMP, true, true]].map(
    ([id, v6, icmp]) => {
      const f = fields(v6 as boolean, icmp as boolean);
      return { id: id as number, v6: v6 as boolean, icmp: icmp as boolean, fields: f, recordLength: f.reduce((n, x) => n + x.length, 0) };
    },
  );

/** The template set (set id 2) holding the four templates. */
export function templateSet(): Uint8Array {
  let len = 4;
  for (const t of TEMPLATES) len += 4 + t.fields.reduce((n, f) => n + (f.pen === undefined ? 4 : 8), 0);
  const b = new Uint8Array(len);
  const v = new DataView(b.buffer);
  v.setUint16(0, 2);
  v.setUint16(2, len);
  let o = 4;
  for (const t of TEMPLATES) {
    v.setUint16(o, t.id);
    v.setUint16(o + 2, t.fields.length);
    o += 4;
    for (const f of t.fields) {
      v.setUint16(o, f.pen === undefined ? f.id : f.id | 0x8000);
      v.setUint16(o + 2, f.length);
      o += 4;
      if (f.pen !== undefined) {
        v.setUint32(o, f.pen);
        o += 4;
      }
    }
  }
  return b;
}

/** Bytes of an IPv4 (dotted) or IPv6 (any RFC 4291 text form) address. */
export function addrBytes(s: string): Uint8Array {
  if (!s.includes(':')) {
    const parts = s.split('.').map(Number);
    if (parts.length !== 4 || parts.some((n) => !Number.isInteger(n) || n < 0 || n > 255)) throw new Error(`bad IPv4 address ${s}`);
    return Uint8Array.from(parts);
  }
  let text = s;
  const lastColon = text.lastIndexOf(':');
  if (text.slice(lastColon + 1).includes('.')) {
    // embedded IPv4 (::ffff:1.2.3.4): as two hex words
    const v4 = addrBytes(text.slice(lastColon + 1));
    text = `${text.slice(0, lastColon + 1)}${((v4[0]! << 8) | v4[1]!).toString(16)}:${((v4[2]! << 8) | v4[3]!).toString(16)}`;
  }
  const halves = text.split('::');
  if (halves.length > 2) throw new Error(`bad IPv6 address ${s}`);
  const words = (h: string): number[] => (h === '' ? [] : h.split(':').map((w) => {
    if (!/^[0-9a-fA-F]{1,4}$/.test(w)) throw new Error(`bad IPv6 address ${s}`);
    return parseInt(w, 16);
  }));
  const head = words(halves[0]!);
  const rest = halves.length === 2 ? words(halves[1]!) : [];
  const all = [...head, ...rest];
  const zeros = 8 - all.length;
  if (halves.length === 1 ? zeros !== 0 : zeros < 1) throw new Error(`bad IPv6 address ${s}`);
  const w = [...head, ...new Array<number>(halves.length === 2 ? zeros : 0).fill(0), ...rest];
  const b = new Uint8Array(16);
  w.forEach((x, i) => {
    b[2 * i] = x >> 8;
    b[2 * i + 1] = x & 0xff;
  });
  return b;
}

function templateFor(r: FlowRecord): (typeof TEMPLATES)[number] {
  const v6 = r.family === 'ipv6';
  const icmp = r.protonum === 1 || r.protonum === 58;
  return TEMPLATES.find((t) => t.v6 === v6 && t.icmp === icmp)!;
}

/** One data record (no set header) for a flow record, in the layout of its template. */
export function dataRecord(r: FlowRecord): { templateId: number; bytes: Uint8Array } {
  const t = templateFor(r);
  const b = new Uint8Array(t.recordLength);
  const v = new DataView(b.buffer);
  let o = 0;
  const put = (a: Uint8Array): void => {
    b.set(a, o);
    o += a.length;
  };
  const u64 = (n: number): void => {
    v.setBigUint64(o, BigInt(Math.max(0, Math.round(n))));
    o += 8;
  };
  put(addrBytes(r.src));
  put(addrBytes(r.dst));
  if (t.icmp) {
    // flows.ts keeps the ICMP type in sport and the code in dport
    v.setUint16(o, ((r.sport & 0xff) << 8) | (r.dport & 0xff));
    o += 2;
  } else {
    v.setUint16(o, r.sport);
    v.setUint16(o + 2, r.dport);
    o += 4;
  }
  v.setUint8(o++, r.protonum);
  u64(r.start * 1000);
  u64(r.end * 1000);
  u64(r.origPackets);
  u64(r.origBytes);
  u64(r.replyPackets);
  u64(r.replyBytes);
  v.setUint8(o++, flowEndReason(r.reason, r.state));
  v.setUint8(o++, 1); // biflowDirection: initiator
  return { templateId: t.id, bytes: b };
}

export interface IpfixOptions {
  /** Observation domain id (default 1). */
  domain?: number;
  /** Largest message in bytes (default 1400: one Ethernet frame with room for IP/UDP headers). */
  maxMessage?: number;
  /** Send the templates again every N messages (default 20). */
  templateEvery?: number;
  /** ... or when the capture clock has moved this many seconds since they were last sent (default 600, RFC 7011 templateRefreshTimeout). */
  templateSeconds?: number;
  /** Send each record at once (live use) instead of filling messages. */
  immediate?: boolean;
}

/** Builds IPFIX messages from flow records and hands each to `send`. */
export class IpfixExporter {
  private readonly domain: number;
  private readonly maxMessage: number;
  private readonly templateEvery: number;
  private readonly templateSeconds: number;
  private readonly immediate: boolean;
  /** Buffered records: template id → record bytes. */
  private pending: { templateId: number; bytes: Uint8Array }[] = [];
  private pendingBytes = 0;
  private sequence = 0;
  private messagesSinceTemplate = Infinity;
  private templateSentAt = -Infinity;
  /** Messages and data records sent. */
  messages = 0;
  records = 0;

  constructor(private readonly send: (message: Uint8Array) => void, options: IpfixOptions = {}) {
    this.domain = options.domain ?? 1;
    this.maxMessage = Math.max(512, options.maxMessage ?? 1400);
    this.templateEvery = Math.max(1, options.templateEvery ?? 20);
    this.templateSeconds = options.templateSeconds ?? 600;
    this.immediate = options.immediate ?? false;
  }

  /** Adds a record; `nowSec` is the capture clock (export time). */
  add(r: FlowRecord, nowSec: number): void {
    const rec = dataRecord(r);
    // 16 message header + template set + 4 per set header (one per template used at most)
    if (this.pending.length > 0 && this.sizeWith(rec, nowSec) > this.maxMessage) this.flush(nowSec);
    this.pending.push(rec);
    this.pendingBytes += rec.bytes.length;
    if (this.immediate) this.flush(nowSec);
  }

  private templateDue(nowSec: number): boolean {
    return this.messagesSinceTemplate >= this.templateEvery || nowSec - this.templateSentAt >= this.templateSeconds;
  }

  private sizeWith(rec: { templateId: number; bytes: Uint8Array }, nowSec: number): number {
    const ids = new Set(this.pending.map((p) => p.templateId));
    ids.add(rec.templateId);
    return 16 + (this.templateDue(nowSec) ? TEMPLATE_SET.length : 0) + 4 * ids.size + this.pendingBytes + rec.bytes.length;
  }

  /** Sends what is buffered as one message (templates included when due). */
  flush(nowSec: number, templatesOnly = false): void {
    if (this.pending.length === 0 && !templatesOnly) return;
    const withTemplate = templatesOnly || this.templateDue(nowSec);
    const sets: Uint8Array[] = [];
    if (withTemplate) sets.push(TEMPLATE_SET);
    const byTemplate = new Map<number, Uint8Array[]>();
    for (const p of this.pending) {
      let l = byTemplate.get(p.templateId);
      if (!l) byTemplate.set(p.templateId, (l = []));
      l.push(p.bytes);
    }
    for (const [id, recs] of byTemplate) {
      const len = 4 + recs.reduce((n, x) => n + x.length, 0);
      const s = new Uint8Array(len);
      const v = new DataView(s.buffer);
      v.setUint16(0, id);
      v.setUint16(2, len);
      let o = 4;
      for (const x of recs) {
        s.set(x, o);
        o += x.length;
      }
      sets.push(s);
    }
    const total = 16 + sets.reduce((n, x) => n + x.length, 0);
    const msg = new Uint8Array(total);
    const v = new DataView(msg.buffer);
    v.setUint16(0, IPFIX_VERSION);
    v.setUint16(2, total);
    v.setUint32(4, Math.max(0, Math.floor(nowSec)) >>> 0);
    v.setUint32(8, this.sequence >>> 0);
    v.setUint32(12, this.domain >>> 0);
    let o = 16;
    for (const s of sets) {
      msg.set(s, o);
      o += s.length;
    }
    this.sequence = (this.sequence + this.pending.length) >>> 0;
    this.records += this.pending.length;
    this.pending = [];
    this.pendingBytes = 0;
    this.messages++;
    if (withTemplate) {
      this.messagesSinceTemplate = 1;
      this.templateSentAt = nowSec;
    } else {
      this.messagesSinceTemplate++;
    }
    this.send(msg);
  }

  /** Sends the templates now, with whatever is buffered (a collector can then decode records as soon as they come). */
  announce(nowSec: number): void {
    this.flush(nowSec, true);
  }
}

const TEMPLATE_SET = templateSet();

// ---- decoding (tests, and anyone who wants to look at what was sent) ---------------------------

export interface DecodedMessage {
  version: number;
  length: number;
  exportTime: number;
  sequence: number;
  domain: number;
  templates: { id: number; fields: { id: number; length: number; pen?: number }[] }[];
  /** Data records as element name → value (numbers; addresses as bytes). */
  records: { templateId: number; values: Map<string, number | bigint | Uint8Array> }[];
}

/** Decodes one message; `known` carries templates across messages (as a collector keeps them). */
export function decodeMessage(msg: Uint8Array, known = new Map<number, Field[]>()): DecodedMessage {
  const v = new DataView(msg.buffer, msg.byteOffset, msg.byteLength);
  const out: DecodedMessage = {
    version: v.getUint16(0), length: v.getUint16(2), exportTime: v.getUint32(4), sequence: v.getUint32(8), domain: v.getUint32(12),
    templates: [], records: [],
  };
  let o = 16;
  while (o + 4 <= out.length) {
    const setId = v.getUint16(o);
    const setLen = v.getUint16(o + 2);
    if (setLen < 4) throw new Error(`bad set length ${setLen} at ${o}`);
    const end = o + setLen;
    let p = o + 4;
    if (setId === 2) {
      while (p + 4 <= end) {
        const id = v.getUint16(p);
        const n = v.getUint16(p + 2);
        p += 4;
        const fs: Field[] = [];
        for (let i = 0; i < n; i++) {
          const raw = v.getUint16(p);
          const length = v.getUint16(p + 2);
          p += 4;
          if (raw & 0x8000) {
            fs.push({ id: raw & 0x7fff, length, pen: v.getUint32(p) });
            p += 4;
          } else fs.push({ id: raw, length });
        }
        known.set(id, fs);
        out.templates.push({ id, fields: fs });
      }
    } else if (setId >= 256) {
      const fs = known.get(setId);
      if (!fs) throw new Error(`data set ${setId} without its template`);
      const recLen = fs.reduce((n, f) => n + f.length, 0);
      if (recLen === 0) throw new Error(`template ${setId} has no fields`);
      while (p + recLen <= end) {
        const values = new Map<string, number | bigint | Uint8Array>();
        for (const f of fs) {
          const key = f.pen === undefined ? String(f.id) : `${f.pen}/${f.id}`;
          let val: number | bigint | Uint8Array;
          if (f.length === 1) val = v.getUint8(p);
          else if (f.length === 2) val = v.getUint16(p);
          else if (f.length === 4 && f.id !== 8 && f.id !== 12) val = v.getUint32(p);
          else if (f.length === 8) val = v.getBigUint64(p);
          else val = msg.slice(p, p + f.length);
          values.set(key, val);
          p += f.length;
        }
        out.records.push({ templateId: setId, values });
      }
    }
    o = end;
  }
  return out;
}
