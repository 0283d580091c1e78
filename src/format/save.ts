/**
 * `conntrack -L -o save`: each entry as the conntrack command line that would
 * re-create it (`-A -t 431999 -u SEEN_REPLY,ASSURED -s … -d … -r … -q … -p tcp
 * --sport … --dport … --reply-port-src … --reply-port-dst … --state ESTABLISHED`),
 * as conntrack-tools 1.4.7 prints it (checked against the real binary, see
 * test/fixtures/conntrack/kernel.json). Status lists SEEN_REPLY and ASSURED, or
 * UNSET; generic protocols print `-p NUMBER`.
 */
import type { ConnSnapshot } from './snapshot.js';
import { formatAddr } from './addr.js';
import { hasPorts, seconds } from './common.js';
import { IPS_ASSURED, IPS_SEEN_REPLY } from './status.js';

const SAVE_PROTO: Readonly<Record<number, string>> = { 6: 'tcp', 17: 'udp', 136: 'udplite', 1: 'icmp', 58: 'icmpv6', 132: 'sctp', 33: 'dccp', 47: 'gre' };

export function formatSave(s: ConnSnapshot): string {
  const st: string[] = [];
  if (s.status & IPS_SEEN_REPLY) st.push('SEEN_REPLY');
  if (s.status & IPS_ASSURED) st.push('ASSURED');
  const a = (b: Uint8Array): string => formatAddr(b, 'compressed');
  let out = `-A -t ${seconds(s.timeoutMs)} -u ${st.length ? st.join(',') : 'UNSET'}`;
  out += ` -s ${a(s.orig.src)} -d ${a(s.orig.dst)} -r ${a(s.reply.src)} -q ${a(s.reply.dst)}`;
  const name = SAVE_PROTO[s.protonum];
  out += ` -p ${name ?? s.protonum}`;
  if (name !== undefined && hasPorts(s.protonum, true)) {
    out += ` --sport ${s.orig.sport} --dport ${s.orig.dport} --reply-port-src ${s.reply.sport} --reply-port-dst ${s.reply.dport}`;
  } else if (s.protonum === 1 || s.protonum === 58) {
    const p = s.protonum === 1 ? 'icmp' : 'icmpv6';
    out += ` --${p}-type ${s.orig.icmpType} --${p}-code ${s.orig.icmpCode} --${p}-id ${s.orig.icmpId}`;
  }
  if ((s.protonum === 6 || s.protonum === 132) && s.state !== null) out += ` --state ${s.state}`;
  if (s.mark !== 0) out += ` -m ${s.mark >>> 0}`;
  if (s.zone !== 0) out += ` -w ${s.zone}`;
  return out;
}
