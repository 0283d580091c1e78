/**
 * The broadcast helpers: netbios-ns (nf_conntrack_netbios_ns.c, udp/137) and
 * snmp (nf_conntrack_snmp.c, udp/161), Linux 6.18, IPv4 only as registered.
 * Both are nf_conntrack_broadcast_help(): for a request that a local socket sent
 * to the broadcast address of one of its own interfaces, it expects the answers
 * from any host of that subnet (a permanent expectation, 3 s for netbios-ns, 30
 * s for snmp) and refreshes the entry for as long.
 *
 * A capture replay has no local sockets: its packets are what the kernel sees
 * arriving or forwarded, and for those the function returns at once. So here
 * the helper is attached to the entry (`helper=` in the table) and expects
 * nothing, as the kernel does for the same packets (recorded: a query and the
 * answer of another host, NEW). SNMP's NAT hook is not modelled (no NAT).
 */
import { IPPROTO_UDP, NF_ACCEPT } from '../core/consts.js';
import type { ConntrackHelper } from './helper.js';

function broadcastHelper(name: string, port: number, timeoutSec: number): ConntrackHelper {
  return {
    name,
    protonum: IPPROTO_UDP,
    ports: [port],
    families: [4],
    policies: [{ name: '', maxExpected: 1, timeoutSec }],
    createState: () => ({}),
    // Not a locally generated packet (skb->sk is NULL): nothing to expect.
    help: () => NF_ACCEPT,
  };
}

export const netbiosNsHelper = broadcastHelper('netbios-ns', 137, 3);
export const snmpHelper = broadcastHelper('snmp', 161, 30);
