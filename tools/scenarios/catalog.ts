/**
 * The conformance scenario catalogue. Each scenario is a short packet sequence (raw IP) with
 * capture-relative times in milliseconds. Keep gaps short (the kernel reference runs in real
 * time) except where a case needs elapsed time (UDP stream rule: > 2 s).
 */
import {
  PROTO,
  TCP_FLAGS as F,
  TcpConversation,
  bytes,
  filler,
  gre,
  icmp,
  icmp6,
  icmpError,
  ipPacket,
  parseV6,
  rawProto,
  sctp,
  sctpInitValue,
  tcp,
  udp,
  udpDatagram,
  udplite,
  fragmentV4,
  fragmentV6,
  concat,
  type IpSpec,
} from '../lib/packet-builder.js';
import { LINKTYPE_ETHERNET } from '../lib/pcap-writer.js';
import { windowCorpus } from './window-corpus.js';
import { protocolScenarios } from './protocols-corpus.js';

export interface ScenarioPacket {
  tMs: number;
  data: Uint8Array;
  fromClient: boolean;
}

export interface Scenario {
  name: string;
  description: string;
  sysctls?: Record<string, number>;
  needsWindowTracking?: boolean;
  needsDefrag?: boolean;
  needsProtocol?: string;
  /** ctscope is known to disagree with the kernel here (one line why), until src/ is fixed */
  knownDifference?: string;
  /** kernel helpers to attach (nft ct helper in the recorder, the helpers option in ctscope): ftp, ftp:2121, tftp */
  helpers?: string[];
  linktype?: number;
  example?: string;
  packets: ScenarioPacket[];
}

const C4 = '192.168.1.5';
const S4 = '192.168.1.35';
const R4 = '10.0.0.1'; // an intermediate router
const O4 = '10.0.9.9'; // an unrelated host
const C6 = '2001:db8::5';
const S6 = '2001:db8::35';
const R6 = '2001:db8:1::1';

/** Small builder keeping the running capture time. */
class B {
  t = 0;
  readonly packets: ScenarioPacket[] = [];
  readonly meta: Omit<Scenario, 'packets'>;
  constructor(name: string, description: string, meta: Partial<Omit<Scenario, 'packets' | 'name' | 'description'>> = {}) {
    this.meta = { name, description, ...meta };
  }
  /** add packet(s); gap before each (except the very first packet) */
  p(data: Uint8Array | Uint8Array[], gapMs = 5, fromClient = true): this {
    const list = Array.isArray(data) ? data : [data];
    for (const d of list) {
      if (this.packets.length) this.t += gapMs;
      this.packets.push({ tMs: this.t, data: d, fromClient });
    }
    return this;
  }
  /** server-side packet (only matters for Ethernet scenarios) */
  s(data: Uint8Array | Uint8Array[], gapMs = 5): this {
    return this.p(data, gapMs, false);
  }
  wait(ms: number): this {
    this.t += ms;
    return this;
  }
  done(): Scenario {
    return { ...this.meta, packets: this.packets };
  }
}

function conv(sport = 40000, dport = 80, v6 = false, cIsn = 1000000, sIsn = 5000000): TcpConversation {
  return new TcpConversation(
    { addr: v6 ? C6 : C4, port: sport, isn: cIsn, win: 64240, mss: 1460, sackPerm: true, wscale: 7 },
    { addr: v6 ? S6 : S4, port: dport, isn: sIsn, win: 65160, mss: 1460, sackPerm: true, wscale: 7 },
  );
}

/** handshake + one request/response exchange, returns builder-friendly list with sides */
function established(b: B, c: TcpConversation): void {
  b.p(c.syn('c'));
  b.s(c.synack('s'));
  b.p(c.ack('c'));
  b.p(c.data('c', bytes('GET / HTTP/1.0\r\n\r\n')));
  b.s(c.ack('s'));
  b.s(c.data('s', bytes('HTTP/1.0 200 OK\r\n\r\nhello')));
  b.p(c.ack('c'));
}

const flagCombos: Array<[string, number, string]> = [
  ['syn_fin', F.SYN | F.FIN, 'SYN|FIN'],
  ['syn_rst', F.SYN | F.RST, 'SYN|RST'],
  ['fin_only', F.FIN, 'FIN without ACK'],
  ['null', 0, 'no flags (NULL scan)'],
  ['xmas', F.FIN | F.PSH | F.URG, 'FIN|PSH|URG (Xmas scan)'],
  ['all', 0xff, 'all eight flags'],
  ['rst_fin', F.RST | F.FIN, 'RST|FIN'],
  ['syn_fin_ack', F.SYN | F.FIN | F.ACK, 'SYN|FIN|ACK'],
  ['psh_only', F.PSH, 'PSH alone'],
  ['urg_only', F.URG, 'URG alone'],
  ['syn_rst_ack', F.SYN | F.RST | F.ACK, 'SYN|RST|ACK'],
];

function tcpScenarios(): Scenario[] {
  const out: Scenario[] = [];
  {
    const b = new B('tcp_handshake_fin_close', 'TCP handshake, data both ways, client FIN, server FIN: SYN_SENT, SYN_RECV, ESTABLISHED, FIN_WAIT, CLOSE_WAIT, LAST_ACK, TIME_WAIT');
    const c = conv();
    established(b, c);
    b.p(c.fin('c'));
    b.s(c.ack('s'));
    b.s(c.fin('s'));
    b.p(c.ack('c'));
    out.push(b.done());
  }
  {
    const b = new B('tcp_server_closes_first', 'TCP connection closed by the server first (FIN/ACK from the reply direction)');
    const c = conv();
    established(b, c);
    b.s(c.fin('s'));
    b.p(c.ack('c'));
    b.p(c.fin('c'));
    b.s(c.ack('s'));
    out.push(b.done());
  }
  {
    const b = new B('tcp_simultaneous_close', 'Both sides send FIN before seeing the other FIN');
    const c = conv();
    established(b, c);
    const f1 = c.fin('c');
    const f2 = c.fin('s', { ack: c.nxt.c - 1 });
    b.p(f1);
    b.s(f2, 1);
    b.p(c.ack('c'));
    b.s(c.ack('s'), 1);
    out.push(b.done());
  }
  {
    const b = new B('tcp_half_close', 'Client FIN, server keeps sending data (half close), then server FIN');
    const c = conv();
    established(b, c);
    b.p(c.fin('c'));
    b.s(c.ack('s'));
    b.s(c.data('s', filler(300)));
    b.p(c.ack('c'));
    b.s(c.data('s', filler(200, 7)));
    b.p(c.ack('c'));
    b.s(c.fin('s'));
    b.p(c.ack('c'));
    out.push(b.done());
  }
  {
    const b = new B('tcp_fin_combined_with_data', 'Client sends its last data with FIN|ACK|PSH, server answers FIN|ACK, client ACK');
    const c = conv();
    established(b, c);
    b.p(c.seg('c', F.FIN | F.ACK | F.PSH, { payload: bytes('bye') }));
    b.s(c.fin('s'));
    b.p(c.ack('c'));
    out.push(b.done());
  }
  {
    const b = new B('tcp_syn_only', 'A single SYN: SYN_SENT, UNREPLIED');
    const c = conv();
    b.p(c.syn('c'));
    out.push(b.done());
  }
  {
    const b = new B('tcp_syn_retransmit', 'SYN retransmitted twice (same ISN), then answered');
    const c = conv();
    const syn = c.syn('c');
    b.p(syn).p(syn, 20).p(syn, 20);
    b.s(c.synack('s'));
    b.p(c.ack('c'));
    out.push(b.done());
  }
  // The same ACK again from the same side counts as a retransmission (ip_ct_tcp.retrans, a u8):
  // from nf_conntrack_tcp_max_retrans (3) repeats on, the entry gets the max_retrans timeout (300 s);
  // after 256 repeats the count has wrapped, and 258 repeats leave it at 2: the state's timeout again.
  for (const [repeats, what] of [[3, 'the max_retrans timeout'], [258, 'the count wraps at 256: the established timeout again']] as const) {
    const b = new B(`tcp_ack_retransmit_${repeats}`, `An established connection's last ACK sent ${repeats} more times: ${what}`);
    const c = conv(40000 + repeats);
    established(b, c);
    const ack = c.ack('c');
    for (let i = 0; i < repeats; i++) b.p(ack, 1);
    out.push(b.done());
  }
  {
    const b = new B('tcp_synack_retransmit', 'SYN/ACK retransmitted before the final ACK');
    const c = conv();
    b.p(c.syn('c'));
    const sa = c.synack('s');
    b.s(sa).s(sa, 20);
    b.p(c.ack('c'));
    b.p(c.data('c', bytes('hello')));
    b.s(c.ack('s'));
    out.push(b.done());
  }
  {
    const b = new B('tcp_syn_recv', 'SYN and SYN/ACK only: state SYN_RECV');
    const c = conv();
    b.p(c.syn('c'));
    b.s(c.synack('s'));
    out.push(b.done());
  }
  {
    const b = new B('tcp_simultaneous_open', 'Simultaneous open: SYN both ways (SYN_SENT2), SYN/ACK both ways, ACKs');
    const c = conv();
    b.p(c.syn('c'));
    b.s(c.syn('s'));
    b.p(c.synack('c', { seq: c.ep.c.isn }));
    b.s(c.synack('s', { seq: c.ep.s.isn }));
    b.p(c.ack('c'));
    b.s(c.ack('s'));
    b.p(c.data('c', bytes('x')));
    b.s(c.ack('s'));
    out.push(b.done());
  }
  {
    const b = new B('tcp_rst_in_syn_sent', 'SYN answered by RST|ACK (port closed): entry destroyed');
    const c = conv();
    b.p(c.syn('c'));
    b.s(c.rstack('s', { seq: 0 }));
    out.push(b.done());
  }
  {
    const b = new B('tcp_rst_in_syn_recv', 'SYN, SYN/ACK, client RST');
    const c = conv();
    b.p(c.syn('c'));
    b.s(c.synack('s'));
    b.p(c.rst('c'));
    out.push(b.done());
  }
  {
    const b = new B('tcp_rst_in_established_client', 'Established connection reset by the client (in-window RST)');
    const c = conv();
    established(b, c);
    b.p(c.rst('c'));
    out.push(b.done());
  }
  {
    const b = new B('tcp_rst_in_established_server', 'Established connection reset by the server with RST|ACK');
    const c = conv();
    established(b, c);
    b.s(c.rstack('s'));
    out.push(b.done());
  }
  {
    const b = new B('tcp_rst_in_fin_wait', 'RST from the server after the client FIN (FIN_WAIT)');
    const c = conv();
    established(b, c);
    b.p(c.fin('c'));
    b.s(c.rstack('s'));
    out.push(b.done());
  }
  {
    const b = new B('tcp_rst_in_close_wait', 'RST from the client in CLOSE_WAIT');
    const c = conv();
    established(b, c);
    b.p(c.fin('c'));
    b.s(c.ack('s'));
    b.p(c.rst('c'));
    out.push(b.done());
  }
  {
    const b = new B('tcp_rst_in_last_ack', 'RST from the client in LAST_ACK');
    const c = conv();
    established(b, c);
    b.p(c.fin('c'));
    b.s(c.ack('s'));
    b.s(c.fin('s'));
    b.p(c.rst('c'));
    out.push(b.done());
  }
  {
    const b = new B('tcp_rst_in_time_wait', 'RST after the full close (TIME_WAIT)');
    const c = conv();
    established(b, c);
    b.p(c.fin('c'));
    b.s(c.ack('s'));
    b.s(c.fin('s'));
    b.p(c.ack('c'));
    b.s(c.rst('s'));
    out.push(b.done());
  }
  {
    const b = new B('tcp_rst_in_close', 'Client RST closes the connection (CLOSE), then a server RST and a late ACK in CLOSE');
    const c = conv();
    established(b, c);
    b.p(c.rst('c'));
    b.s(c.rst('s'));
    b.p(c.ack('c'));
    out.push(b.done());
  }
  {
    const b = new B('tcp_rst_in_syn_sent2', 'Simultaneous open interrupted by a RST in SYN_SENT2');
    const c = conv();
    b.p(c.syn('c'));
    b.s(c.syn('s'));
    b.p(c.rst('c', { seq: c.nxt.c }));
    out.push(b.done());
  }
  {
    const b = new B('tcp_rst_first_packet', 'RST and RST|ACK as the first packets of unknown flows');
    const c = conv();
    b.p(c.rst('c'));
    const d = conv(40001);
    b.p(d.rstack('c'));
    out.push(b.done());
  }
  {
    const b = new B('tcp_synack_without_syn', 'SYN/ACK as the first packet (invalid new), then the client ACK picked up mid-stream');
    const c = conv();
    c.nxt.c += 1;
    b.s(c.synack('s'));
    b.p(c.ack('c'));
    b.p(c.data('c', bytes('hi')));
    b.s(c.ack('s'));
    out.push(b.done());
  }
  {
    const b = new B('tcp_midstream_pickup_loose1', 'Connection picked up mid-stream (first packet a bare ACK, then data both ways), nf_conntrack_tcp_loose=1 (default)');
    const c = conv(40000, 80, false, 3000000, 7000000);
    b.p(c.ack('c'));
    b.p(c.data('c', filler(100)));
    b.s(c.data('s', filler(500)));
    b.p(c.ack('c'));
    b.p(c.data('c', filler(50)));
    b.s(c.ack('s'));
    out.push(b.done());
  }
  {
    const b = new B('tcp_midstream_pickup_loose0', 'Same mid-stream pickup with nf_conntrack_tcp_loose=0: nothing can be picked up', {
      sysctls: { 'net.netfilter.nf_conntrack_tcp_loose': 0 },
    });
    const c = conv(40000, 80, false, 3000000, 7000000);
    b.p(c.ack('c'));
    b.p(c.data('c', filler(100)));
    b.s(c.data('s', filler(500)));
    b.p(c.ack('c'));
    out.push(b.done());
  }
  {
    const b = new B('tcp_midstream_pickup_server_first', 'Mid-stream pickup where the first seen packet comes from the server side');
    const c = conv(40000, 80, false, 3000000, 7000000);
    b.s(c.data('s', filler(200)));
    b.p(c.ack('c'));
    b.s(c.data('s', filler(200)));
    b.p(c.ack('c'));
    out.push(b.done());
  }
  {
    const b = new B('tcp_port_reuse_after_time_wait', 'Full close to TIME_WAIT, then a new SYN on the same ports with a higher ISN');
    const c = conv();
    established(b, c);
    b.p(c.fin('c'));
    b.s(c.ack('s'));
    b.s(c.fin('s'));
    b.p(c.ack('c'));
    const d = conv(40000, 80, false, 9000000, 11000000);
    b.p(d.syn('c'), 20);
    b.s(d.synack('s'));
    b.p(d.ack('c'));
    out.push(b.done());
  }
  {
    const b = new B('tcp_syn_in_established', 'New SYN (different ISN) on an established connection: ignored, challenge ACK, RST, new SYN');
    const c = conv();
    established(b, c);
    const d = conv(40000, 80, false, 8000000, 12000000);
    b.p(d.syn('c'), 20);
    b.s(c.ack('s')); // challenge ACK
    b.p(c.rst('c', { seq: c.nxt.s === 0 ? 0 : c.nxt.c }));
    b.p(d.syn('c', { seq: d.ep.c.isn }), 20);
    b.s(d.synack('s'));
    b.p(d.ack('c'));
    out.push(b.done());
  }
  {
    const b = new B('tcp_bad_checksum', 'Data segment with a bad TCP checksum in an established connection, then the good retransmission');
    const c = conv();
    established(b, c);
    const payload = bytes('second request');
    b.p(c.data('c', payload, { badChecksum: true, noAdvance: true }));
    b.p(c.data('c', payload), 10);
    b.s(c.ack('s'));
    out.push(b.done());
  }
  {
    const b = new B('tcp_bad_checksum_syn', 'SYN with a bad TCP checksum (cannot create an entry), then a good SYN');
    const c = conv();
    b.p(c.syn('c', { badChecksum: true, noAdvance: true }));
    b.p(c.syn('c'), 10);
    b.s(c.synack('s'));
    b.p(c.ack('c'));
    out.push(b.done());
  }
  {
    const b = new B('tcp_bad_checksum_checksum0', 'Bad TCP checksums with nf_conntrack_checksum=0: not verified', {
      sysctls: { 'net.netfilter.nf_conntrack_checksum': 0 },
    });
    const c = conv();
    b.p(c.syn('c', { badChecksum: true }));
    b.s(c.synack('s', { badChecksum: true }));
    b.p(c.ack('c', { badChecksum: true }));
    out.push(b.done());
  }
  {
    const b = new B('tcp_invalid_flags_first_packet', 'Every invalid TCP flag combination as the first packet of its own flow');
    flagCombos.forEach(([, fl], i) => {
      const c = conv(41000 + i);
      b.p(c.seg('c', fl, { noAdvance: true }));
    });
    out.push(b.done());
  }
  for (const [name, fl, label] of flagCombos) {
    const b = new B(`tcp_flags_${name}`, `${label} inside an established connection, then normal data`);
    const c = conv();
    established(b, c);
    b.p(c.seg('c', fl, { noAdvance: true }));
    b.p(c.data('c', bytes('more')));
    b.s(c.ack('s'));
    out.push(b.done());
  }
  {
    const b = new B('tcp_flags_syn_urg', 'SYN|URG opens a connection (valid combination)');
    const c = conv();
    b.p(c.seg('c', F.SYN | F.URG));
    b.s(c.synack('s'));
    b.p(c.seg('c', F.ACK | F.URG));
    out.push(b.done());
  }
  {
    const b = new B('tcp_flags_fin_ack_urg', 'Close with FIN|ACK|URG (valid combination)');
    const c = conv();
    established(b, c);
    b.p(c.seg('c', F.FIN | F.ACK | F.URG));
    b.s(c.seg('s', F.FIN | F.ACK | F.URG));
    b.p(c.ack('c'));
    out.push(b.done());
  }
  {
    const b = new B('tcp_flags_ecn_extras', 'ECN negotiation: SYN|ECE|CWR, SYN/ACK|ECE, data with PSH/CWR/ECE extras (ignored by the flag check)');
    const c = conv();
    b.p(c.seg('c', F.SYN | F.ECE | F.CWR));
    b.s(c.seg('s', F.SYN | F.ACK | F.ECE));
    b.p(c.ack('c'));
    b.p(c.seg('c', F.ACK | F.PSH | F.CWR, { payload: bytes('ecn') }));
    b.s(c.seg('s', F.ACK | F.ECE));
    b.p(c.seg('c', F.RST | F.ACK | F.PSH));
    out.push(b.done());
  }
  {
    const b = new B('tcp_truncated_header', 'TCP header cut to 10 bytes (first packet), then the same in an established flow');
    const c = conv(40001);
    b.p(c.syn('c', { truncateTo: 10, noAdvance: true }));
    const d = conv();
    established(b, d);
    b.p(d.data('c', bytes('x'), { truncateTo: 10, noAdvance: true }));
    out.push(b.done());
  }
  {
    const b = new B('tcp_doff_lt5', 'TCP data offset 4 (< 5): truncated packet');
    const c = conv();
    b.p(c.syn('c', { dataOffset: 4, noAdvance: true, options: {} }));
    established(b, c);
    b.p(c.data('c', bytes('abcdefgh'), { dataOffset: 3, noAdvance: true }));
    out.push(b.done());
  }
  {
    const b = new B('tcp_doff_beyond_packet', 'TCP data offset 15 (60 bytes) in a 20-byte segment');
    const c = conv();
    b.p(c.syn('c', { dataOffset: 15, noAdvance: true, options: {} }));
    out.push(b.done());
  }
  {
    const b = new B('tcp_options_timestamps', 'Handshake with MSS, SACK-perm, timestamps and window scale; data with timestamps and SACK blocks');
    const c = conv();
    b.p(c.syn('c', { options: { mss: 1460, sackPerm: true, ts: [100, 0], wscale: 7 } }));
    b.s(c.synack('s', { options: { mss: 1400, sackPerm: true, ts: [900, 100], wscale: 8 } }));
    b.p(c.ack('c', { options: { ts: [101, 900] } }));
    b.p(c.data('c', filler(500), { options: { ts: [102, 900] } }));
    b.s(c.ack('s', { options: { ts: [901, 102], sack: [[c.nxt.c - 100, c.nxt.c]] } }));
    b.s(c.data('s', filler(1000), { options: { ts: [902, 102] } }));
    b.p(c.ack('c', { options: { ts: [103, 902] } }));
    out.push(b.done());
  }
  {
    const b = new B('tcp_ipv4_options', 'TCP handshake whose IPv4 headers carry options (three NOPs and end-of-list)');
    const c = new TcpConversation(
      { addr: C4, port: 40000, isn: 1000, mss: 1460 },
      { addr: S4, port: 22, isn: 9000, mss: 1460 },
      { ipOptions: new Uint8Array([1, 1, 1, 0]) },
    );
    b.p(c.syn('c'));
    b.s(c.synack('s'));
    b.p(c.ack('c'));
    b.p(c.data('c', bytes('SSH-2.0-x\r\n')));
    b.s(c.ack('s'));
    out.push(b.done());
  }
  {
    const b = new B('tcp_keepalive_zero_window', 'Established connection, zero window advertised by the client, window probe and keepalive');
    const c = conv();
    established(b, c);
    b.p(c.ack('c', { win: 0 }));
    b.s(c.data('s', bytes('z'), { noAdvance: true }), 20);
    b.p(c.ack('c', { win: 0 }));
    b.p(c.ack('c', { win: 512 }), 20);
    b.p(c.ack('c', { seq: c.nxt.c - 1 }), 20); // keepalive
    b.s(c.ack('s'));
    out.push(b.done());
  }
  // window tracking
  {
    const b = new B('tcp_window_data_beyond_window', 'Data far beyond the receiver window (SEQ over upper bound), then in-window data', { needsWindowTracking: true });
    const c = conv();
    established(b, c);
    b.p(c.data('c', filler(100), { seq: c.nxt.c + 50000000, noAdvance: true }));
    b.p(c.data('c', filler(100)));
    b.s(c.ack('s'));
    out.push(b.done());
  }
  {
    const b = new B('tcp_window_ack_above_sent', 'Client ACKs data the server never sent (ACK over upper bound)', { needsWindowTracking: true });
    const c = conv();
    established(b, c);
    b.p(c.ack('c', { ack: c.nxt.s + 100000 }));
    b.p(c.data('c', bytes('ok')));
    b.s(c.ack('s'));
    out.push(b.done());
  }
  {
    const b = new B('tcp_window_retransmit_acked', 'Retransmission of data that was already ACKed (and far below the window): ignored, stays ESTABLISHED', {
      needsWindowTracking: true,
    });
    const c = conv();
    established(b, c);
    const seqOld = c.nxt.c;
    b.p(c.data('c', filler(1000)));
    b.s(c.ack('s'));
    b.p(c.data('c', filler(1000), { seq: seqOld }), 10);
    b.p(c.data('c', filler(100), { seq: (seqOld - 20000000) >>> 0 }), 10);
    b.s(c.ack('s'));
    out.push(b.done());
  }
  {
    const b = new B('tcp_window_rst_wrong_seq', 'RSTs with wrong sequence numbers (in window but not exact, far out of window), traffic, then the exact RST', {
      needsWindowTracking: true,
    });
    const c = conv();
    established(b, c);
    b.p(c.rst('c', { seq: c.nxt.c + 3000000, noAdvance: true }));
    b.p(c.rst('c', { seq: c.nxt.c + 50000000, noAdvance: true }));
    b.s(c.data('s', bytes('still here')));
    b.p(c.ack('c'));
    b.p(c.rst('c', { seq: c.nxt.c + 10 }));
    b.p(c.rst('c'));
    out.push(b.done());
  }
  {
    const b = new B('tcp_window_scaling', 'Window scale 7 both ways: 60 KB ahead is in window after the first non-SYN segment, 400 KB is not', {
      needsWindowTracking: true,
    });
    const c = conv();
    b.p(c.syn('c'));
    b.s(c.synack('s'));
    b.p(c.ack('c', { win: 1000 }));
    b.s(c.ack('s', { win: 1000 }));
    b.p(c.data('c', filler(100), { seq: c.nxt.c + 60000, noAdvance: true }));
    b.p(c.data('c', filler(100), { seq: c.nxt.c + 400000, noAdvance: true }));
    b.p(c.data('c', filler(100)));
    b.s(c.ack('s', { win: 1000 }));
    out.push(b.done());
  }
  {
    const b = new B('tcp_be_liberal', 'Out-of-window data and ACK with nf_conntrack_tcp_be_liberal=1: accepted', {
      sysctls: { 'net.netfilter.nf_conntrack_tcp_be_liberal': 1 },
      needsWindowTracking: true,
    });
    const c = conv();
    established(b, c);
    b.p(c.data('c', filler(100), { seq: c.nxt.c + 50000000, noAdvance: true }));
    b.p(c.ack('c', { ack: c.nxt.s + 100000 }));
    b.s(c.ack('s'));
    out.push(b.done());
  }
  {
    const b = new B('tcp_window_rst_before_maxack', 'Old RST (seq before what the peer already ACKed): invalid rst', { needsWindowTracking: true });
    const c = conv();
    established(b, c);
    b.p(c.rst('c', { seq: c.nxt.c - 5, noAdvance: true }));
    b.p(c.data('c', bytes('after')));
    b.s(c.ack('s'));
    out.push(b.done());
  }
  {
    const b = new B('tcp_window_rst_before_maxack_ignore_invalid_rst', 'Old RST (seq before the last ACK) with nf_conntrack_tcp_ignore_invalid_rst=1', {
      sysctls: { 'net.netfilter.nf_conntrack_tcp_ignore_invalid_rst': 1 },
      needsWindowTracking: true,
    });
    const c = conv();
    established(b, c);
    b.p(c.rst('c', { seq: c.nxt.c - 5, noAdvance: true }));
    b.p(c.data('c', bytes('after')));
    b.s(c.ack('s'));
    out.push(b.done());
  }
  return out;
}

function udpScenarios(): Scenario[] {
  const out: Scenario[] = [];
  const q: IpSpec = { src: C4, dst: S4 };
  const r: IpSpec = { src: S4, dst: C4 };
  const dns = bytes('\x12\x34\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00\x07example\x03com\x00\x00\x01\x00\x01');
  out.push(new B('udp_one_way', 'Three UDP datagrams in one direction: UNREPLIED').p(udp(q, { sport: 5353, dport: 9999, payload: filler(20) })).p(udp(q, { sport: 5353, dport: 9999, payload: filler(20) }), 10).p(udp(q, { sport: 5353, dport: 9999, payload: filler(20) }), 10).done());
  out.push(
    new B('udp_request_response', 'DNS-like query and answer (replied, not ASSURED)')
      .p(udp(q, { sport: 33000, dport: 53, payload: dns }))
      .s(udp(r, { sport: 53, dport: 33000, payload: concat(dns, filler(16)) }), 3)
      .done(),
  );
  {
    const b = new B('udp_stream', 'UDP traffic continuing more than 2 s after the first packet: ASSURED with the stream timeout');
    b.p(udp(q, { sport: 40000, dport: 5004, payload: filler(100) }));
    b.s(udp(r, { sport: 5004, dport: 40000, payload: filler(100) }), 10);
    b.p(udp(q, { sport: 40000, dport: 5004, payload: filler(100) }), 1000);
    b.s(udp(r, { sport: 5004, dport: 40000, payload: filler(100) }), 10);
    b.p(udp(q, { sport: 40000, dport: 5004, payload: filler(100) }), 1500);
    b.s(udp(r, { sport: 5004, dport: 40000, payload: filler(100) }), 10);
    out.push(b.done());
  }
  out.push(
    new B('udp_bad_checksum', 'UDP query with a bad checksum, then the good one and its answer')
      .p(udp(q, { sport: 33001, dport: 53, payload: dns, badChecksum: true }))
      .p(udp(q, { sport: 33001, dport: 53, payload: dns }), 10)
      .s(udp(r, { sport: 53, dport: 33001, payload: dns, badChecksum: true }), 3)
      .s(udp(r, { sport: 53, dport: 33001, payload: dns }), 3)
      .done(),
  );
  out.push(
    new B('udp_zero_checksum', 'IPv4 UDP with checksum 0 (no checksum): allowed')
      .p(udp(q, { sport: 33002, dport: 53, payload: dns, zeroChecksum: true }))
      .s(udp(r, { sport: 53, dport: 33002, payload: dns, zeroChecksum: true }), 3)
      .done(),
  );
  out.push(
    new B('udp_truncated_header', 'UDP header of 6 bytes only')
      .p(ipPacket(q, PROTO.UDP, udpDatagram(q, { sport: 33003, dport: 53 }).slice(0, 6)))
      .done(),
  );
  out.push(
    new B('udp_length_mismatch', 'UDP length field larger than the datagram, smaller than 8, and smaller than the datagram')
      .p(udp(q, { sport: 33004, dport: 53, payload: filler(20), length: 100 }))
      .p(udp(q, { sport: 33005, dport: 53, payload: filler(20), length: 4 }), 5)
      .p(udp(q, { sport: 33006, dport: 53, payload: filler(20), length: 18 }), 5)
      .done(),
  );
  out.push(
    new B('udp_many_ports', 'One client querying five servers/ports, two of them answer')
      .p(udp(q, { sport: 34000, dport: 53, payload: dns }))
      .p(udp({ src: C4, dst: '192.168.1.36' }, { sport: 34000, dport: 53, payload: dns }), 2)
      .p(udp(q, { sport: 34001, dport: 123, payload: filler(48) }), 2)
      .p(udp(q, { sport: 34002, dport: 161, payload: filler(30) }), 2)
      .p(udp(q, { sport: 34003, dport: 514, payload: filler(30) }), 2)
      .s(udp({ src: '192.168.1.36', dst: C4 }, { sport: 53, dport: 34000, payload: dns }), 3)
      .s(udp(r, { sport: 123, dport: 34001, payload: filler(48) }), 3)
      .done(),
  );
  // UDP-Lite (checksum over the pseudo-header with protocol 17, as the 6.18 kernel verifies it)
  out.push(
    new B('udplite_request_response', 'UDP-Lite request and response, checksum computed as the kernel verifies it (protocol 17 in the pseudo-header)')
      .p(udplite(q, { sport: 7000, dport: 7001, payload: filler(40), coverage: 0 }))
      .s(udplite(r, { sport: 7001, dport: 7000, payload: filler(40), coverage: 0 }), 3)
      .p(udplite(q, { sport: 7000, dport: 7001, payload: filler(40), coverage: 20 }), 3)
      .done(),
  );
  out.push(
    new B('udplite_rfc_checksum', 'UDP-Lite with an RFC 3828 checksum (protocol 136 in the pseudo-header)')
      .p(udplite(q, { sport: 7002, dport: 7001, payload: filler(40), pseudoProto: PROTO.UDPLITE }))
      .done(),
  );
  out.push(
    new B('udplite_errors', 'UDP-Lite with a zero checksum, coverage 4 (< 8) and coverage beyond the datagram')
      .p(udplite(q, { sport: 7003, dport: 7001, payload: filler(40), zeroChecksum: true }))
      .p(udplite(q, { sport: 7004, dport: 7001, payload: filler(40), coverage: 4 }), 3)
      .p(udplite(q, { sport: 7005, dport: 7001, payload: filler(40), coverage: 200 }), 3)
      .done(),
  );
  return out;
}

function icmpScenarios(): Scenario[] {
  const out: Scenario[] = [];
  const q: IpSpec = { src: C4, dst: S4 };
  const r: IpSpec = { src: S4, dst: C4 };
  out.push(
    new B('icmp_echo_request_reply', 'Ping: two echo requests and replies (same id, seq 1 and 2)')
      .p(icmp(q, { type: 8, id: 0x1234, seq: 1, payload: filler(56) }))
      .s(icmp(r, { type: 0, id: 0x1234, seq: 1, payload: filler(56) }), 1)
      .p(icmp(q, { type: 8, id: 0x1234, seq: 2, payload: filler(56) }), 20)
      .s(icmp(r, { type: 0, id: 0x1234, seq: 2, payload: filler(56) }), 1)
      .done(),
  );
  out.push(new B('icmp_echo_reply_without_request', 'Echo reply with no request seen').s(icmp(r, { type: 0, id: 0x4321, seq: 1, payload: filler(8) })).done());
  out.push(
    new B('icmp_info_queries', 'ICMP timestamp (13/14), information (15/16) and address mask (17/18) requests and replies')
      .p(icmp(q, { type: 13, id: 1, seq: 1, payload: new Uint8Array(12) }))
      .s(icmp(r, { type: 14, id: 1, seq: 1, payload: new Uint8Array(12) }), 1)
      .p(icmp(q, { type: 15, id: 2, seq: 1 }), 3)
      .s(icmp(r, { type: 16, id: 2, seq: 1 }), 1)
      .p(icmp(q, { type: 17, id: 3, seq: 1, payload: new Uint8Array(4) }), 3)
      .s(icmp(r, { type: 18, id: 3, seq: 1, payload: new Uint8Array([255, 255, 255, 0]) }), 1)
      .done(),
  );
  out.push(
    new B('icmp_untrackable_types', 'Router advertisement (9), router solicitation (10), type 19 and type 42 (> 18)')
      .p(icmp({ src: R4, dst: C4 }, { type: 9, rest: new Uint8Array([1, 2, 0, 30]), payload: new Uint8Array([10, 0, 0, 1, 0, 0, 0, 0]) }))
      .p(icmp(q, { type: 10 }), 3)
      .p(icmp(q, { type: 19, id: 5 }), 3)
      .p(icmp(q, { type: 42, id: 5 }), 3)
      .done(),
  );
  out.push(
    new B('icmp_bad_checksum', 'Echo request with a bad ICMP checksum, then a good one')
      .p(icmp(q, { type: 8, id: 7, seq: 1, payload: filler(16), badChecksum: true }))
      .p(icmp(q, { type: 8, id: 7, seq: 1, payload: filler(16) }), 5)
      .s(icmp(r, { type: 0, id: 7, seq: 1, payload: filler(16) }), 1)
      .done(),
  );
  {
    const b = new B('icmp_error_dest_unreach_tcp', 'TCP SYN answered by ICMP port unreachable (3/3) quoting it: RELATED, then a host unreachable from a router');
    const c = conv(40000, 81);
    const syn = c.syn('c');
    b.p(syn);
    b.s(icmpError(r, 3, 3, syn));
    b.s(icmpError({ src: R4, dst: C4 }, 3, 1, syn), 5);
    out.push(b.done());
  }
  {
    const b = new B('icmp_error_dest_unreach_udp', 'UDP datagram answered by port unreachable (3/3) quoting it; the next datagram is NEW again');
    const d = udp(q, { sport: 35000, dport: 9, payload: filler(12) });
    b.p(d);
    b.s(icmpError(r, 3, 3, d), 1);
    b.p(udp(q, { sport: 35000, dport: 9, payload: filler(12) }), 10);
    out.push(b.done());
  }
  {
    const b = new B('icmp_error_time_exceeded', 'Traceroute-like: UDP with TTL 1 answered by time exceeded (11/0) from a router');
    const d = udp({ ...q, ttl: 64 }, { sport: 35001, dport: 33434, payload: filler(12) });
    b.p(d);
    b.s(icmpError({ src: R4, dst: C4 }, 11, 0, udp({ ...q, ttl: 1 }, { sport: 35001, dport: 33434, payload: filler(12) })), 1);
    out.push(b.done());
  }
  {
    const b = new B('icmp_error_param_problem_tcp', 'Parameter problem (12/0, pointer 20) quoting an established TCP flow, from the server');
    const c = conv();
    established(b, c);
    const d = c.data('c', bytes('bad'));
    b.p(d);
    b.s(icmpError(r, 12, 0, d, { rest: new Uint8Array([20, 0, 0, 0]) }), 1);
    out.push(b.done());
  }
  {
    const b = new B('icmp_error_source_quench', 'Source quench (4/0) quoting a tracked TCP flow');
    const c = conv();
    established(b, c);
    const d = c.data('c', filler(100));
    b.p(d);
    b.s(icmpError(r, 4, 0, d), 1);
    out.push(b.done());
  }
  {
    const b = new B('icmp_error_redirect', 'Redirect (5/1) from the gateway quoting a tracked UDP flow');
    const d = udp(q, { sport: 35002, dport: 53, payload: filler(20) });
    b.p(d);
    b.s(icmpError({ src: '192.168.1.1', dst: C4 }, 5, 1, d, { rest: new Uint8Array([192, 168, 1, 254]) }), 1);
    out.push(b.done());
  }
  {
    const b = new B('icmp_error_quoting_reply_direction', 'The client answers a server datagram with port unreachable: error quoting the reply direction');
    b.p(udp(q, { sport: 35003, dport: 6000, payload: filler(10) }));
    const back = udp(r, { sport: 6000, dport: 35003, payload: filler(10) });
    b.s(back, 2);
    b.p(icmpError(q, 3, 3, back), 2);
    out.push(b.done());
  }
  {
    const b = new B('icmp_error_unknown_flow', 'ICMP errors quoting flows that were never seen (TCP and UDP)');
    const c = conv(45000, 443);
    b.s(icmpError(r, 3, 3, c.syn('c')));
    b.s(icmpError(r, 3, 3, udp(q, { sport: 45001, dport: 53, payload: filler(4) })), 3);
    out.push(b.done());
  }
  {
    const b = new B('icmp_error_outer_daddr_mismatch', 'ICMP error about a tracked flow sent to a host that is not the quoted source');
    const d = udp(q, { sport: 35004, dport: 53, payload: filler(20) });
    b.p(d);
    b.s(icmpError({ src: S4, dst: O4 }, 3, 3, d), 2);
    out.push(b.done());
  }
  {
    const b = new B('icmp_error_about_icmp', 'Destination unreachable quoting a tracked echo request');
    const e = icmp(q, { type: 8, id: 99, seq: 1, payload: filler(8) });
    b.p(e);
    b.s(icmpError({ src: R4, dst: C4 }, 3, 1, e), 2);
    out.push(b.done());
  }
  return out;
}

function icmp6Scenarios(): Scenario[] {
  const out: Scenario[] = [];
  const q: IpSpec = { src: C6, dst: S6 };
  const r: IpSpec = { src: S6, dst: C6 };
  out.push(
    new B('icmpv6_echo_request_reply', 'ICMPv6 echo request and reply, twice')
      .p(icmp6(q, { type: 128, id: 0x77, seq: 1, payload: filler(56) }))
      .s(icmp6(r, { type: 129, id: 0x77, seq: 1, payload: filler(56) }), 1)
      .p(icmp6(q, { type: 128, id: 0x77, seq: 2, payload: filler(56) }), 20)
      .s(icmp6(r, { type: 129, id: 0x77, seq: 2, payload: filler(56) }), 1)
      .done(),
  );
  out.push(
    new B('icmpv6_echo_reply_without_request', 'ICMPv6 echo reply without a request')
      .s(icmp6(r, { type: 129, id: 0x78, seq: 1, payload: filler(8) }))
      .done(),
  );
  {
    const target = parseV6(S6);
    const slla = new Uint8Array([1, 1, 0, 0x16, 0x3e, 0, 1, 5]);
    const tlla = new Uint8Array([2, 1, 0, 0x16, 0x3e, 0, 1, 0x23]);
    const b = new B('icmpv6_neighbour_discovery', 'Neighbour solicitation (135) to the solicited-node group and neighbour advertisement (136): untracked');
    b.p(icmp6({ src: C6, dst: 'ff02::1:ff00:35', ttl: 255 }, { type: 135, rest: new Uint8Array(4), payload: concat(target, slla) }));
    b.s(icmp6({ src: S6, dst: C6, ttl: 255 }, { type: 136, rest: new Uint8Array([0x60, 0, 0, 0]), payload: concat(target, tlla) }), 1);
    out.push(b.done());
  }
  out.push(
    new B('icmpv6_router_solicitation_advert', 'Router solicitation (133) and router advertisement (134) between link-local addresses')
      .p(icmp6({ src: 'fe80::5', dst: 'ff02::2', ttl: 255 }, { type: 133, rest: new Uint8Array(4), payload: new Uint8Array([1, 1, 0, 0x16, 0x3e, 0, 1, 5]) }))
      .s(icmp6({ src: 'fe80::1', dst: 'ff02::1', ttl: 255 }, { type: 134, rest: new Uint8Array([64, 0, 0x07, 0x08]), payload: new Uint8Array(8) }), 2)
      .done(),
  );
  {
    // MLDv2 report to ff02::16 with a hop-by-hop router alert option
    const rec = concat(new Uint8Array([4, 0, 0, 0]), parseV6('ff02::1:3'));
    const b = new B('icmpv6_mld', 'MLDv2 report (143) and MLDv1 query (130) with hop-by-hop router alert: untracked');
    b.p(
      icmp6(
        { src: 'fe80::5', dst: 'ff02::16', ttl: 1, ext: [{ type: PROTO.HOPOPTS, body: new Uint8Array([5, 2, 0, 0, 1, 0]) }] },
        { type: 143, rest: new Uint8Array([0, 0, 0, 1]), payload: rec },
      ),
    );
    b.s(
      icmp6(
        { src: 'fe80::1', dst: 'ff02::1', ttl: 1, ext: [{ type: PROTO.HOPOPTS, body: new Uint8Array([5, 2, 0, 0, 1, 0]) }] },
        { type: 130, rest: new Uint8Array([0x27, 0x10, 0, 0]), payload: new Uint8Array(16) },
      ),
      2,
    );
    out.push(b.done());
  }
  {
    const b = new B('icmpv6_packet_too_big_tcp', 'IPv6 TCP connection; a router sends packet too big (2) quoting a large segment: RELATED');
    const c = conv(40000, 443, true);
    established(b, c);
    const big = c.data('c', filler(1400));
    b.p(big);
    b.s(icmpError({ src: R6, dst: C6 }, 2, 0, big, { rest: new Uint8Array([0, 0, 0x05, 0x00]) }), 1);
    out.push(b.done());
  }
  {
    const b = new B('icmpv6_dest_unreach_udp', 'IPv6 UDP datagram answered by destination unreachable / port unreachable (1/4)');
    const d = udp(q, { sport: 36000, dport: 9, payload: filler(12) });
    b.p(d);
    b.s(icmpError(r, 1, 4, d), 1);
    b.s(icmpError(r, 1, 4, udp(q, { sport: 36001, dport: 9, payload: filler(12) })), 3);
    out.push(b.done());
  }
  out.push(
    new B('icmpv6_bad_checksum', 'ICMPv6 echo request with a bad checksum')
      .p(icmp6(q, { type: 128, id: 0x79, seq: 1, payload: filler(8), badChecksum: true }))
      .done(),
  );
  return out;
}

function ipv6Scenarios(): Scenario[] {
  const out: Scenario[] = [];
  {
    const b = new B('ipv6_tcp_handshake_close', 'IPv6 TCP handshake, data both ways, FIN close');
    const c = conv(40000, 80, true);
    established(b, c);
    b.p(c.fin('c'));
    b.s(c.fin('s'));
    b.p(c.ack('c'));
    out.push(b.done());
  }
  out.push(
    new B('ipv6_udp_request_response', 'IPv6 UDP query and answer, then a second query')
      .p(udp({ src: C6, dst: S6 }, { sport: 37000, dport: 53, payload: filler(30) }))
      .s(udp({ src: S6, dst: C6 }, { sport: 53, dport: 37000, payload: filler(60) }), 2)
      .p(udp({ src: C6, dst: S6 }, { sport: 37000, dport: 53, payload: filler(30) }), 10)
      .done(),
  );
  {
    const ext = [
      { type: PROTO.HOPOPTS },
      { type: PROTO.DSTOPTS },
      { type: PROTO.ROUTING },
      { type: PROTO.DSTOPTS },
    ];
    const c = new TcpConversation(
      { addr: C6, port: 40000, isn: 1000, mss: 1440 },
      { addr: S6, port: 80, isn: 2000, mss: 1440 },
      { ext },
    );
    const b = new B('ipv6_ext_headers_tcp', 'IPv6 TCP whose packets carry hop-by-hop, destination options and routing (type 0, segments left 0) headers');
    b.p(c.syn('c'));
    b.s(c.synack('s'));
    b.p(c.ack('c'));
    b.p(c.data('c', bytes('hello')));
    b.s(c.ack('s'));
    out.push(b.done());
  }
  out.push(
    new B('ipv6_udp_bad_checksum_and_zero', 'IPv6 UDP with a bad checksum and with checksum 0 (mandatory in IPv6)')
      .p(udp({ src: C6, dst: S6 }, { sport: 37001, dport: 53, payload: filler(30), badChecksum: true }))
      .p(udp({ src: C6, dst: S6 }, { sport: 37002, dport: 53, payload: filler(30), zeroChecksum: true }), 3)
      .done(),
  );
  return out;
}

function otherScenarios(): Scenario[] {
  const out: Scenario[] = [];
  const q: IpSpec = { src: C4, dst: S4 };
  const r: IpSpec = { src: S4, dst: C4 };
  out.push(
    new B('generic_esp', 'ESP (protocol 50) both ways: generic tracker, shown as unknown 50')
      .p(rawProto(q, PROTO.ESP, concat(new Uint8Array([0, 0, 0x10, 0, 0, 0, 0, 1]), filler(48))))
      .s(rawProto(r, PROTO.ESP, concat(new Uint8Array([0, 0, 0x20, 0, 0, 0, 0, 1]), filler(48))), 2)
      .p(rawProto(q, PROTO.ESP, concat(new Uint8Array([0, 0, 0x10, 0, 0, 0, 0, 2]), filler(48))), 2)
      .done(),
  );
  out.push(
    new B('generic_proto_253', 'Experimental protocol 253 one way, and IPv6 protocol 253')
      .p(rawProto(q, 253, filler(20)))
      .p(rawProto({ src: C6, dst: S6 }, 253, filler(20)), 3)
      .done(),
  );
  {
    const inner = udp({ src: '10.1.0.1', dst: '10.2.0.1' }, { sport: 1, dport: 2, payload: filler(8) });
    const b = new B('gre_v0', 'GRE version 0 tunnel traffic both ways (GRE tracker, keys 0)', { needsProtocol: 'gre' });
    b.p(gre(q, inner));
    b.s(gre(r, inner), 2);
    b.p(gre(q, inner), 2);
    out.push(b.done());
  }
  {
    const ct = 0x11111111;
    const st = 0x22222222;
    const b = new B('sctp_init', 'A lone SCTP INIT', { needsProtocol: 'sctp' });
    b.p(sctp(q, { sport: 5000, dport: 36412, vtag: 0, chunks: [{ type: 1, value: sctpInitValue(ct, 100) }] }));
    out.push(b.done());
    const b2 = new B('sctp_handshake', 'SCTP four-way handshake (INIT, INIT-ACK, COOKIE-ECHO, COOKIE-ACK) and one DATA/SACK', { needsProtocol: 'sctp' });
    b2.p(sctp(q, { sport: 5000, dport: 36412, vtag: 0, chunks: [{ type: 1, value: sctpInitValue(ct, 100) }] }));
    b2.s(
      sctp(r, {
        sport: 36412,
        dport: 5000,
        vtag: ct,
        chunks: [{ type: 2, value: concat(sctpInitValue(st, 500), new Uint8Array([0, 7, 0, 12]), filler(8)) }],
      }),
      2,
    );
    b2.p(sctp(q, { sport: 5000, dport: 36412, vtag: st, chunks: [{ type: 10, value: filler(8) }] }), 2);
    b2.s(sctp(r, { sport: 36412, dport: 5000, vtag: ct, chunks: [{ type: 11, value: new Uint8Array(0) }] }), 2);
    const data = concat(new Uint8Array([0, 0, 0, 100, 0, 0, 0, 0, 0, 0, 0, 0]), filler(16));
    b2.p(sctp(q, { sport: 5000, dport: 36412, vtag: st, chunks: [{ type: 0, flags: 3, value: data }] }), 2);
    b2.s(sctp(r, { sport: 36412, dport: 5000, vtag: ct, chunks: [{ type: 3, value: new Uint8Array([0, 0, 0, 100, 0, 1, 0, 0, 0, 0, 0, 0]) }] }), 2);
    out.push(b2.done());
  }
  // fragments
  {
    const l4 = udpDatagram(q, { sport: 38000, dport: 5000, payload: filler(1200) });
    const frags = fragmentV4({ ...q, id: 0x4242 }, PROTO.UDP, l4, 600);
    const b = new B('ipv4_udp_fragments', 'A UDP datagram in three IPv4 fragments (reassembled by the kernel before conntrack)', { needsDefrag: true });
    b.p(frags, 1);
    b.s(udp(r, { sport: 5000, dport: 38000, payload: filler(10) }), 3);
    out.push(b.done());
  }
  {
    const l4 = udpDatagram(q, { sport: 38001, dport: 5000, payload: filler(1200) });
    const frags = fragmentV4({ ...q, id: 0x4343 }, PROTO.UDP, l4, 600);
    const b = new B('ipv4_non_first_fragment', 'Only a non-first IPv4 fragment (never completed)', { needsDefrag: true });
    b.p(frags[1]!);
    out.push(b.done());
  }
  {
    const l4 = udpDatagram({ src: C6, dst: S6 }, { sport: 38002, dport: 5000, payload: filler(1200) });
    const frags = fragmentV6({ src: C6, dst: S6 }, PROTO.UDP, l4, 600, 0x5151);
    const b = new B('ipv6_udp_fragments', 'A UDP datagram in three IPv6 fragments', { needsDefrag: true });
    b.p(frags, 1);
    out.push(b.done());
  }
  return out;
}

function interleaved(): Scenario {
  const b = new B('interleaved_flows', '20 TCP connections and 10 UDP flows interleaved round-robin (half the TCP ones closed)');
  const flows: Array<Array<[Uint8Array, boolean]>> = [];
  for (let i = 0; i < 20; i++) {
    const c = new TcpConversation(
      { addr: `192.168.1.${10 + (i % 5)}`, port: 50000 + i, isn: 100000 * (i + 1), mss: 1460, sackPerm: true, wscale: 7 },
      { addr: `10.0.${i % 4}.${20 + i}`, port: i % 2 ? 443 : 80, isn: 7000000 + 1000 * i, mss: 1460, sackPerm: true, wscale: 7 },
    );
    const f: Array<[Uint8Array, boolean]> = [
      [c.syn('c'), true],
      [c.synack('s'), false],
      [c.ack('c'), true],
      [c.data('c', filler(50 + i)), true],
      [c.ack('s'), false],
      [c.data('s', filler(300 + i)), false],
      [c.ack('c'), true],
    ];
    if (i % 2 === 0) f.push([c.fin('c'), true], [c.fin('s'), false], [c.ack('c'), true]);
    flows.push(f);
  }
  for (let i = 0; i < 10; i++) {
    const cq: IpSpec = { src: `192.168.1.${20 + i}`, dst: `10.0.5.${i + 1}` };
    const cr: IpSpec = { src: cq.dst, dst: cq.src };
    const f: Array<[Uint8Array, boolean]> = [[udp(cq, { sport: 60000 + i, dport: 53, payload: filler(30) }), true]];
    if (i % 3 !== 0) f.push([udp(cr, { sport: 53, dport: 60000 + i, payload: filler(80) }), false]);
    flows.push(f);
  }
  for (let step = 0; ; step++) {
    let any = false;
    for (const f of flows) {
      const p = f[step];
      if (p) {
        any = true;
        b.p(p[0], 1, p[1]);
      }
    }
    if (!any) break;
  }
  return b.done();
}

function tutorialTelnet(): Scenario {
  const b = new B(
    'tutorial_telnet',
    "The Iptables Tutorial's telnet session 192.168.1.5:1031 -> 192.168.1.35:23 (Ethernet): handshake, data, client FIN close, TIME_WAIT",
    { linktype: LINKTYPE_ETHERNET, example: 'tutorial-telnet.pcap' },
  );
  const c = new TcpConversation(
    { addr: '192.168.1.5', port: 1031, isn: 2915348741, win: 5840, mss: 1460, sackPerm: true },
    { addr: '192.168.1.35', port: 23, isn: 1460210331, win: 5792, mss: 1460, sackPerm: true },
  );
  b.p(c.syn('c'));
  b.s(c.synack('s'), 1);
  b.p(c.ack('c'), 1);
  // telnet option negotiation
  b.p(c.data('c', new Uint8Array([255, 253, 3, 255, 251, 24, 255, 251, 31, 255, 251, 32, 255, 251, 33, 255, 251, 34, 255, 251, 39, 255, 253, 5])), 2);
  b.s(c.ack('s'), 8);
  b.s(c.data('s', new Uint8Array([255, 253, 24, 255, 253, 32, 255, 253, 35, 255, 253, 39])), 4);
  b.p(c.ack('c'), 1);
  b.p(c.data('c', new Uint8Array([255, 250, 24, 0, 120, 116, 101, 114, 109, 255, 240])), 3);
  b.s(c.data('s', bytes('Debian GNU/Linux\r\nlogin: ')), 15);
  b.p(c.ack('c'), 1);
  for (const ch of 'oskar') {
    b.p(c.data('c', bytes(ch)), 12);
    b.s(c.data('s', bytes(ch)), 2);
    b.p(c.ack('c'), 1);
  }
  b.p(c.data('c', bytes('\r\n')), 14);
  b.s(c.data('s', bytes('\r\nPassword: ')), 3);
  b.p(c.ack('c'), 1);
  b.p(c.data('c', bytes('secret\r\n')), 18);
  b.s(c.data('s', bytes('\r\nLast login: Thu Jan  1 00:00:00\r\n$ ')), 10);
  b.p(c.ack('c'), 1);
  b.p(c.data('c', bytes('exit\r\n')), 20);
  b.s(c.data('s', bytes('exit\r\nlogout\r\n')), 3);
  b.p(c.ack('c'), 1);
  // client closes
  b.p(c.fin('c'), 5);
  b.s(c.ack('s'), 1);
  b.s(c.fin('s'), 2);
  b.p(c.ack('c'), 1);
  return b.done();
}

export function ALL_SCENARIOS(): Scenario[] {
  return [
    ...tcpScenarios(),
    ...windowCorpus(),
    ...udpScenarios(),
    ...icmpScenarios(),
    ...icmp6Scenarios(),
    ...ipv6Scenarios(),
    ...otherScenarios(),
    ...protocolScenarios(),
    interleaved(),
    tutorialTelnet(),
  ];
}

// keep the builder export surface used (tcp is re-exported for scenario authors)
export { tcp };
