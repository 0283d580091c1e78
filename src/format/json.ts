/**
 * Structured form of one entry.
 *
 * Schema, version 1 (`v: 1`; keys are stable, new keys may be added with the
 * same version, renames/removals bump it):
 * ```
 * {
 *   v: 1,
 *   family: 'ipv4' | 'ipv6',
 *   protocol: 'tcp'|'udp'|'udplite'|'icmp'|'icmpv6'|'sctp'|'gre'|'unknown',  // /proc names
 *   protonum: number,
 *   state: string | null,          // tcp/sctp state name, else null
 *   timeout: number,               // whole seconds, as /proc prints (floor(timeoutMs/1000))
 *   status: string[],              // set IPS_* bits, kernel names without IPS_, lowest bit first
 *   original: Tuple, reply: Tuple,
 *   mark: number, zone: number,
 *   use: number,                   // refcount as /proc shows it
 *   id: number,                    // u32 (conntrack -o id)
 *   helper: string | null,
 * }
 * Tuple = { src: string, dst: string,              // IPv4 dotted, IPv6 compressed (inet_ntop)
 *           sport?, dport?                          // tcp udp udplite sctp
 *           type?, code?, id?                       // icmp icmpv6
 *           srckey?, dstkey?                        // gre
 *           packets?, bytes? }                      // only when accounting is on
 * ```
 */
import { formatAddr } from './addr.js';
import { procL4Name } from './proc.js';
import type { ConnSnapshot, TupleSnapshot } from './snapshot.js';
import { statusNames } from './status.js';
import { seconds } from './common.js';

export interface JsonTuple {
  src: string;
  dst: string;
  sport?: number;
  dport?: number;
  type?: number;
  code?: number;
  id?: number;
  srckey?: number;
  dstkey?: number;
  packets?: number;
  bytes?: number;
}

export interface JsonConn {
  v: 1;
  family: 'ipv4' | 'ipv6';
  protocol: string;
  protonum: number;
  state: string | null;
  timeout: number;
  status: string[];
  original: JsonTuple;
  reply: JsonTuple;
  mark: number;
  zone: number;
  use: number;
  id: number;
  helper: string | null;
}

function tupleJson(protonum: number, t: TupleSnapshot): JsonTuple {
  const o: JsonTuple = { src: formatAddr(t.src, 'compressed'), dst: formatAddr(t.dst, 'compressed') };
  switch (protonum) {
    case 6:
    case 17:
    case 136:
    case 132:
      o.sport = t.sport;
      o.dport = t.dport;
      break;
    case 1:
    case 58:
      o.type = t.icmpType;
      o.code = t.icmpCode;
      o.id = t.icmpId;
      break;
    case 47:
      o.srckey = t.greKeySrc ?? 0;
      o.dstkey = t.greKeyDst ?? 0;
      break;
    default:
      break;
  }
  if (t.packets !== undefined && t.bytes !== undefined) {
    o.packets = t.packets;
    o.bytes = t.bytes;
  }
  return o;
}

/** Plain JSON-safe object for one entry (schema above). */
export function toJson(s: ConnSnapshot): JsonConn {
  return {
    v: 1,
    family: s.l3num === 10 ? 'ipv6' : 'ipv4',
    protocol: procL4Name(s.protonum),
    protonum: s.protonum,
    state: s.state,
    timeout: seconds(s.timeoutMs),
    status: statusNames(s.status),
    original: tupleJson(s.protonum, s.orig),
    reply: tupleJson(s.protonum, s.reply),
    mark: s.mark >>> 0,
    zone: s.zone,
    use: s.use,
    id: s.id >>> 0,
    helper: s.helper,
  };
}
