/** The `--events` lines of replay: conntrack -E (and -E expect) with the capture time, or JSON. */
import type { ConntrackEvent } from '../conntrack.js';
import { formatConntrack } from '../format/conntrack.js';
import { formatExpectConntrack, type ExpectSnapshot } from '../format/expect.js';
import { toJson } from '../format/json.js';

/** `sec.usec` as conntrack -o timestamp prints it. */
function eventStamp(timeSec: number): string {
  const usecTotal = Math.round(timeSec * 1e6);
  const sec = Math.floor(usecTotal / 1e6);
  return `${sec}.${String(usecTotal - sec * 1e6).padStart(6, '0')}`;
}

export function eventLine(e: Pick<ConntrackEvent, 'type' | 'time' | 'entry' | 'protoinfo'>, json: boolean): string {
  if (json) return JSON.stringify({ ts: e.time, type: e.type, entry: toJson(e.entry) });
  return `[${eventStamp(e.time)}]\t${formatConntrack(e.entry, { event: e.type, ...(e.protoinfo ? {} : { noProtoinfo: true }) })}`;
}

export function expectEventLine(type: 'NEW' | 'DESTROY', x: ExpectSnapshot, time: number, json: boolean): string {
  if (json) return JSON.stringify({ ts: time, type, expectation: formatExpectConntrack(x) });
  return `[${eventStamp(time)}]\t${formatExpectConntrack(x, type)}`;
}
