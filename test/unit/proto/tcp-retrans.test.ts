/**
 * The retransmission count (ip_ct_tcp.retrans) behind nf_conntrack_tcp_max_retrans:
 * a u8 in the kernel, so it wraps after 255 identical ACKs and the entry gets
 * its state's timeout again until the count reaches max_retrans once more
 * (recorded from the kernel: conformance scenarios tcp_ack_retransmit_3 and _258).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Conntrack } from '../../../src/conntrack.js';
import { TcpConversation } from '../../../tools/lib/packet-builder.js';

const T0 = 1_700_000_000;

test('retransmitted ACKs: max_retrans timeout from the 3rd repeat; the count wraps at 256 like the kernel u8', () => {
  const ct = new Conntrack();
  const c = new TcpConversation(
    { addr: '192.168.1.5', port: 40000, isn: 1000, sackPerm: true, wscale: 7 },
    { addr: '192.168.1.35', port: 80, isn: 500000, sackPerm: true, wscale: 7 },
  );
  ct.processPacket(c.syn('c'), T0);
  ct.processPacket(c.synack('s'), T0);
  const ack = c.ack('c');
  const timeoutAfter = (repeats: number): number => {
    for (let i = 0; i < repeats; i++) ct.processPacket(ack, T0);
    return ct.entries()[0]!.timeoutMs;
  };
  const established = ct.sysctl.nf_conntrack_tcp_timeout_established * 1000;
  const maxRetrans = ct.sysctl.nf_conntrack_tcp_timeout_max_retrans * 1000;
  assert.equal(timeoutAfter(1), established, 'the first ACK is no retransmission');
  assert.equal(timeoutAfter(2), established, 'retrans 2');
  assert.equal(timeoutAfter(1), maxRetrans, 'retrans 3 = max_retrans');
  assert.equal(timeoutAfter(252), maxRetrans, 'retrans 255');
  assert.equal(timeoutAfter(1), established, 'retrans wrapped to 0');
  assert.equal(timeoutAfter(3), maxRetrans, 'retrans 3 again');
});
