/**
 * Scenarios for helpers with expectations (FTP, TFTP), IP defragmentation (UDP, ICMP, TCP;
 * IPv4 and IPv6), SCTP and GRE. Recorded like the rest of the corpus (tools/conformance/record.py);
 * a scenario's `helpers` become nft `ct helper` objects in the recorder and the `helpers` option
 * of ctscope.
 */
import {
  PROTO,
  TcpConversation,
  bytes,
  concat,
  filler,
  fragmentV4,
  fragmentV6,
  icmp,
  icmp6,
  ipPacket,
  rawProto,
  sctp,
  sctpInitValue,
  udp,
  udpDatagram,
  type IpSpec,
} from '../lib/packet-builder.js';
import type { Scenario, ScenarioPacket } from './catalog.js';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const C4 = '192.168.1.5';
const S4 = '192.168.1.35';
const O4 = '10.0.9.9';
const C6 = '2001:db8::5';
const S6 = '2001:db8::35';

/** Running capture time (ms) and packets. */
class P {
  t = 0;
  readonly packets: ScenarioPacket[] = [];
  constructor(readonly meta: Omit<Scenario, 'packets'>) {}
  p(data: Uint8Array | Uint8Array[], gapMs = 3, fromClient = true): this {
    for (const d of Array.isArray(data) ? data : [data]) {
      if (this.packets.length) this.t += gapMs;
      this.packets.push({ tMs: this.t, data: d, fromClient });
    }
    return this;
  }
  s(data: Uint8Array | Uint8Array[], gapMs = 3): this {
    return this.p(data, gapMs, false);
  }
  done(): Scenario {
    return { ...this.meta, packets: this.packets };
  }
}

function tcpConv(c: string, cport: number, s: string, sport: number, cIsn = 1000000, sIsn = 5000000): TcpConversation {
  return new TcpConversation(
    { addr: c, port: cport, isn: cIsn, win: 64240, mss: 1460, sackPerm: true, wscale: 7 },
    { addr: s, port: sport, isn: sIsn, win: 65160, mss: 1460, sackPerm: true, wscale: 7 },
  );
}

// ------------------------------------------------------------------------------------------------
// FTP

type Line = ['c' | 's', string];

/** Control connection handshake and the given lines, each side's line acknowledging the other's. */
function control(b: P, c: TcpConversation, lines: Line[]): void {
  b.p(c.syn('c'));
  b.s(c.synack('s'));
  b.p(c.ack('c'));
  for (const [side, text] of lines) {
    if (side === 'c') b.p(c.data('c', bytes(text)));
    else b.s(c.data('s', bytes(text)));
  }
}

function say(b: P, c: TcpConversation, side: 'c' | 's', text: string): void {
  if (side === 'c') b.p(c.data('c', bytes(text)));
  else b.s(c.data('s', bytes(text)));
}

/** A data connection: handshake, `size` bytes from the side that accepted it, close. */
function dataConn(b: P, d: TcpConversation, sender: 'c' | 's' = 's', size = 300): void {
  b.p(d.syn('c'));
  b.s(d.synack('s'));
  b.p(d.ack('c'));
  if (sender === 's') {
    b.s(d.data('s', filler(size, 7)));
    b.p(d.ack('c'));
    b.s(d.fin('s'));
    b.p(d.fin('c'));
    b.s(d.ack('s'));
  } else {
    b.p(d.data('c', filler(size, 7)));
    b.s(d.ack('s'));
    b.p(d.fin('c'));
    b.s(d.fin('s'));
    b.p(d.ack('c'));
  }
}

const LOGIN: Line[] = [
  ['s', '220 ctscope FTP ready\r\n'],
  ['c', 'USER anonymous\r\n'],
  ['s', '331 Please specify the password.\r\n'],
  ['c', 'PASS guest@\r\n'],
  ['s', '230 Login successful.\r\n'],
];

/** "a,b,c,d,p1,p2" of an IPv4 address and port. */
function portArg(addr: string, port: number): string {
  return `${addr.split('.').join(',')},${port >> 8},${port & 0xff}`;
}

function ftpScenarios(): Scenario[] {
  const out: Scenario[] = [];
  const ftp = { helpers: ['ftp'], needsProtocol: 'ftp' };
  {
    const b = new P({ name: 'ftp_active_port', description: 'FTP active mode: PORT, the server connects from port 20 (RELATED), 226', ...ftp });
    const c = tcpConv(C4, 40100, S4, 21);
    control(b, c, [...LOGIN, ['c', `PORT ${portArg(C4, 40101)}\r\n`], ['s', '200 PORT command successful.\r\n'], ['c', 'RETR a.txt\r\n']]);
    say(b, c, 's', '150 Opening BINARY mode data connection.\r\n');
    dataConn(b, tcpConv(S4, 20, C4, 40101, 7000000, 8000000));
    say(b, c, 's', '226 Transfer complete.\r\n');
    b.p(c.ack('c'));
    out.push(b.done());
  }
  {
    const b = new P({ name: 'ftp_passive_pasv', description: 'FTP passive mode: PASV, 227 reply, the client connects to the announced port (RELATED)', ...ftp });
    const c = tcpConv(C4, 40110, S4, 21);
    control(b, c, [...LOGIN, ['c', 'PASV\r\n'], ['s', `227 Entering Passive Mode (${portArg(S4, 50010)}).\r\n`], ['c', 'RETR a.txt\r\n']]);
    dataConn(b, tcpConv(C4, 40111, S4, 50010, 7000000, 8000000));
    say(b, c, 's', '226 Transfer complete.\r\n');
    b.p(c.ack('c'));
    out.push(b.done());
  }
  {
    const b = new P({ name: 'ftp_eprt_ipv6', description: 'FTP over IPv6, active: EPRT |2|addr|port|, the server connects back (RELATED)', ...ftp });
    const c = tcpConv(C6, 40120, S6, 21);
    control(b, c, [...LOGIN, ['c', `EPRT |2|${C6}|40121|\r\n`], ['s', '200 EPRT command successful.\r\n'], ['c', 'LIST\r\n']]);
    dataConn(b, tcpConv(S6, 20, C6, 40121, 7000000, 8000000));
    say(b, c, 's', '226 Directory send OK.\r\n');
    out.push(b.done());
  }
  {
    const b = new P({ name: 'ftp_epsv_ipv6', description: 'FTP over IPv6, passive: EPSV, 229 (|||port|), the client connects (RELATED)', ...ftp });
    const c = tcpConv(C6, 40130, S6, 21);
    control(b, c, [...LOGIN, ['c', 'EPSV\r\n'], ['s', '229 Entering Extended Passive Mode (|||50030|)\r\n'], ['c', 'RETR b.bin\r\n']]);
    dataConn(b, tcpConv(C6, 40131, S6, 50030, 7000000, 8000000));
    say(b, c, 's', '226 Transfer complete.\r\n');
    out.push(b.done());
  }
  {
    const b = new P({ name: 'ftp_epsv_ipv4', description: 'FTP over IPv4 with EPSV/229: the expectation takes the address of the control connection', ...ftp });
    const c = tcpConv(C4, 40140, S4, 21);
    control(b, c, [...LOGIN, ['c', 'EPSV\r\n'], ['s', '229 Entering Extended Passive Mode (|||50040|)\r\n'], ['c', 'STOR up.bin\r\n']]);
    dataConn(b, tcpConv(C4, 40141, S4, 50040, 7000000, 8000000), 'c');
    say(b, c, 's', '226 Transfer complete.\r\n');
    out.push(b.done());
  }
  {
    const b = new P({
      name: 'ftp_port_split_command',
      description: 'PORT split after "PO": partial match, the helper drops the segment; the retransmitted whole line creates the expectation',
      ...ftp,
    });
    const c = tcpConv(C4, 40150, S4, 21);
    control(b, c, LOGIN);
    const seq = c.nxt.c;
    const line = bytes(`PORT ${portArg(C4, 40151)}\r\n`);
    b.p(c.data('c', line.slice(0, 2)));
    b.p(c.data('c', line, { seq }));
    c.nxt.c = (seq + line.length) >>> 0;
    say(b, c, 's', '200 PORT command successful.\r\n');
    dataConn(b, tcpConv(S4, 20, C4, 40151, 7000000, 8000000));
    out.push(b.done());
  }
  {
    const b = new P({
      name: 'ftp_port_split_in_numbers',
      description: 'PORT cut inside its numbers (no \\r yet): partial match, dropped; the rest alone is not a command',
      ...ftp,
    });
    const c = tcpConv(C4, 40160, S4, 21);
    control(b, c, LOGIN);
    const line = bytes(`PORT ${portArg(C4, 40161)}\r\n`);
    b.p(c.data('c', line.slice(0, 14)));
    b.p(c.data('c', line.slice(14)));
    say(b, c, 's', '200 PORT command successful.\r\n');
    dataConn(b, tcpConv(S4, 20, C4, 40161, 7000000, 8000000));
    out.push(b.done());
  }
  {
    const b = new P({ name: 'ftp_pasv_no_data_connection', description: 'PASV/227 and then nothing: the expectation stays in the table', ...ftp });
    const c = tcpConv(C4, 40170, S4, 21);
    control(b, c, [...LOGIN, ['c', 'PASV\r\n'], ['s', `227 Entering Passive Mode (${portArg(S4, 50070)}).\r\n`]]);
    b.p(c.ack('c'));
    out.push(b.done());
  }
  {
    const b = new P({ name: 'ftp_two_data_connections', description: 'Two passive transfers one after the other: each 227 makes an expectation, each data connection is RELATED', ...ftp });
    const c = tcpConv(C4, 40180, S4, 21);
    control(b, c, [...LOGIN, ['c', 'PASV\r\n'], ['s', `227 Entering Passive Mode (${portArg(S4, 50081)}).\r\n`], ['c', 'RETR one\r\n']]);
    dataConn(b, tcpConv(C4, 40181, S4, 50081, 7000000, 8000000));
    say(b, c, 's', '226 Transfer complete.\r\n');
    say(b, c, 'c', 'PASV\r\n');
    say(b, c, 's', `227 Entering Passive Mode (${portArg(S4, 50082)}).\r\n`);
    say(b, c, 'c', 'RETR two\r\n');
    dataConn(b, tcpConv(C4, 40182, S4, 50082, 7100000, 8100000));
    say(b, c, 's', '226 Transfer complete.\r\n');
    out.push(b.done());
  }
  {
    const b = new P({
      name: 'ftp_two_port_commands',
      description: 'Two PORT commands before any data connection: FTP allows one expectation, the second replaces the first (only the later port is RELATED)',
      ...ftp,
    });
    const c = tcpConv(C4, 40185, S4, 21);
    control(b, c, [...LOGIN, ['c', `PORT ${portArg(C4, 40186)}\r\n`], ['s', '200 PORT command successful.\r\n'], ['c', `PORT ${portArg(C4, 40187)}\r\n`], ['s', '200 PORT command successful.\r\n']]);
    dataConn(b, tcpConv(S4, 20, C4, 40187, 7000000, 8000000));
    dataConn(b, tcpConv(S4, 20, C4, 40186, 7200000, 8200000));
    out.push(b.done());
  }
  {
    const b = new P({ name: 'ftp_port_other_host', description: "PORT naming another host's address: not recorded (loose=0), the connection from the server is NEW", ...ftp });
    const c = tcpConv(C4, 40190, S4, 21);
    control(b, c, [...LOGIN, ['c', `PORT ${portArg(O4, 40191)}\r\n`], ['s', '200 PORT command successful.\r\n']]);
    dataConn(b, tcpConv(S4, 20, O4, 40191, 7000000, 8000000));
    dataConn(b, tcpConv(S4, 20, C4, 40191, 7300000, 8300000));
    out.push(b.done());
  }
  {
    const b = new P({ name: 'ftp_pasv_other_host', description: "227 naming another host's address: not recorded (loose=0), the client's connection is NEW", ...ftp });
    const c = tcpConv(C4, 40195, S4, 21);
    control(b, c, [...LOGIN, ['c', 'PASV\r\n'], ['s', `227 Entering Passive Mode (${portArg(O4, 50095)}).\r\n`]]);
    dataConn(b, tcpConv(C4, 40196, O4, 50095, 7000000, 8000000));
    out.push(b.done());
  }
  {
    const b = new P({ name: 'ftp_port_2121', description: 'FTP on port 2121 with the helper attached to tcp/2121 (ftp:2121): PASV is RELATED', ...ftp, helpers: ['ftp:2121'] });
    const c = tcpConv(C4, 40200, S4, 2121);
    control(b, c, [...LOGIN, ['c', 'PASV\r\n'], ['s', `227 Entering Passive Mode (${portArg(S4, 50100)}).\r\n`]]);
    dataConn(b, tcpConv(C4, 40201, S4, 50100, 7000000, 8000000));
    out.push(b.done());
  }
  {
    const b = new P({ name: 'ftp_port_2121_helper_on_21', description: 'FTP on port 2121 but the helper only on tcp/21: no expectation, the data connection is NEW', ...ftp });
    const c = tcpConv(C4, 40205, S4, 2121);
    control(b, c, [...LOGIN, ['c', 'PASV\r\n'], ['s', `227 Entering Passive Mode (${portArg(S4, 50105)}).\r\n`]]);
    dataConn(b, tcpConv(C4, 40206, S4, 50105, 7000000, 8000000));
    out.push(b.done());
  }
  {
    const b = new P({
      name: 'ftp_first_line_port',
      description: "PORT as the client's very first line: the helper never parses a direction's first line (no newline seen before it)",
      ...ftp,
    });
    const c = tcpConv(C4, 40210, S4, 21);
    control(b, c, [['c', `PORT ${portArg(C4, 40211)}\r\n`], ['s', '200 PORT command successful.\r\n'], ['c', `PORT ${portArg(C4, 40212)}\r\n`], ['s', '200 PORT command successful.\r\n']]);
    dataConn(b, tcpConv(S4, 20, C4, 40211, 7000000, 8000000));
    dataConn(b, tcpConv(S4, 20, C4, 40212, 7400000, 8400000));
    out.push(b.done());
  }
  {
    const b = new P({ name: 'ftp_no_helper', description: 'The FTP active session without a helper: the data connection is NEW, no expectation' });
    const c = tcpConv(C4, 40220, S4, 21);
    control(b, c, [...LOGIN, ['c', `PORT ${portArg(C4, 40221)}\r\n`], ['s', '200 PORT command successful.\r\n']]);
    dataConn(b, tcpConv(S4, 20, C4, 40221, 7000000, 8000000));
    out.push(b.done());
  }
  {
    const b = new P({ name: 'ftp_data_wrong_port', description: '227 announces one port, the client connects to another (NEW); the expectation stays', ...ftp });
    const c = tcpConv(C4, 40230, S4, 21);
    control(b, c, [...LOGIN, ['c', 'PASV\r\n'], ['s', `227 Entering Passive Mode (${portArg(S4, 50130)}).\r\n`]]);
    dataConn(b, tcpConv(C4, 40231, S4, 50131, 7000000, 8000000));
    out.push(b.done());
  }
  {
    const b = new P({ name: 'ftp_pasv_lowercase_and_spaces', description: 'Commands are matched case-insensitively: "port" in lower case creates the expectation too', ...ftp });
    const c = tcpConv(C4, 40240, S4, 21);
    control(b, c, [...LOGIN, ['c', `port ${portArg(C4, 40241)}\r\n`], ['s', '200 PORT command successful.\r\n']]);
    dataConn(b, tcpConv(S4, 20, C4, 40241, 7000000, 8000000));
    out.push(b.done());
  }
  return out;
}

// ------------------------------------------------------------------------------------------------
// TFTP

function tftpReq(op: 1 | 2, file: string): Uint8Array {
  return concat(new Uint8Array([0, op]), bytes(`${file}\0octet\0`));
}
function tftpData(block: number, data: Uint8Array): Uint8Array {
  return concat(new Uint8Array([0, 3, block >> 8, block & 0xff]), data);
}
function tftpAck(block: number): Uint8Array {
  return new Uint8Array([0, 4, block >> 8, block & 0xff]);
}

function tftpScenarios(): Scenario[] {
  const out: Scenario[] = [];
  const tftp = { helpers: ['tftp'], needsProtocol: 'tftp' };
  const read = (name: string, description: string, c: string, s: string, meta: Partial<Scenario>): Scenario => {
    const b = new P({ name, description, ...meta });
    const q: IpSpec = { src: c, dst: s };
    const r: IpSpec = { src: s, dst: c };
    b.p(udp(q, { sport: 40300, dport: 69, payload: tftpReq(1, 'boot.img') }));
    b.s(udp(r, { sport: 50300, dport: 40300, payload: tftpData(1, filler(512, 3)) }));
    b.p(udp(q, { sport: 40300, dport: 50300, payload: tftpAck(1) }));
    b.s(udp(r, { sport: 50300, dport: 40300, payload: tftpData(2, filler(100, 4)) }));
    b.p(udp(q, { sport: 40300, dport: 50300, payload: tftpAck(2) }));
    return b.done();
  };
  out.push(read('tftp_read', 'TFTP read: RRQ to port 69, the server answers from a new port (RELATED), DATA/ACK', C4, S4, tftp));
  out.push(read('tftp_read_ipv6', 'TFTP read over IPv6 (RELATED from the new server port)', C6, S6, tftp));
  out.push(read('tftp_no_helper', 'TFTP read without the helper: the answer from a new port is NEW', C4, S4, {}));
  {
    const b = new P({ name: 'tftp_write', description: 'TFTP write: WRQ, ACK 0 from a new server port (RELATED), DATA/ACK', ...tftp });
    const q: IpSpec = { src: C4, dst: S4 };
    const r: IpSpec = { src: S4, dst: C4 };
    b.p(udp(q, { sport: 40310, dport: 69, payload: tftpReq(2, 'up.cfg') }));
    b.s(udp(r, { sport: 50310, dport: 40310, payload: tftpAck(0) }));
    b.p(udp(q, { sport: 40310, dport: 50310, payload: tftpData(1, filler(200, 5)) }));
    b.s(udp(r, { sport: 50310, dport: 40310, payload: tftpAck(1) }));
    out.push(b.done());
  }
  {
    const b = new P({ name: 'tftp_rrq_retransmit', description: 'TFTP RRQ sent twice: the second expectation replaces the first (DESTROY + NEW), then RELATED', ...tftp });
    const q: IpSpec = { src: C4, dst: S4 };
    const r: IpSpec = { src: S4, dst: C4 };
    b.p(udp(q, { sport: 40320, dport: 69, payload: tftpReq(1, 'x') }));
    b.p(udp(q, { sport: 40320, dport: 69, payload: tftpReq(1, 'x') }), 20);
    b.s(udp(r, { sport: 50320, dport: 40320, payload: tftpData(1, filler(30, 6)) }));
    b.p(udp(q, { sport: 40320, dport: 50320, payload: tftpAck(1) }));
    out.push(b.done());
  }
  {
    const b = new P({ name: 'tftp_error_opcode', description: 'A TFTP ERROR (opcode 5) to port 69 creates no expectation; the answer from a new port is NEW', ...tftp });
    const q: IpSpec = { src: C4, dst: S4 };
    const r: IpSpec = { src: S4, dst: C4 };
    b.p(udp(q, { sport: 40330, dport: 69, payload: concat(new Uint8Array([0, 5, 0, 1]), bytes('nope\0')) }));
    b.s(udp(r, { sport: 50330, dport: 40330, payload: tftpAck(0) }));
    out.push(b.done());
  }
  return out;
}

// ------------------------------------------------------------------------------------------------
// fragments

/** The L4 bytes of a packet built without options / extension headers. */
function l4Of(pkt: Uint8Array): Uint8Array {
  return pkt.slice((pkt[0]! >> 4) === 4 ? (pkt[0]! & 15) * 4 : 40);
}

function fragmentScenarios(): Scenario[] {
  const out: Scenario[] = [];
  const defrag = { needsDefrag: true };
  const q4: IpSpec = { src: C4, dst: S4 };
  const r4: IpSpec = { src: S4, dst: C4 };
  const q6: IpSpec = { src: C6, dst: S6 };
  const r6: IpSpec = { src: S6, dst: C6 };
  for (const v6 of [false, true]) {
    const v = v6 ? '6' : '4';
    const q = v6 ? q6 : q4;
    const r = v6 ? r6 : r4;
    const frag = (l4: Uint8Array, proto: number, id: number): Uint8Array[] =>
      v6 ? fragmentV6(q, proto, l4, 400, id) : fragmentV4({ ...q, id }, proto, l4, 400);
    const dgram = (sport: number): Uint8Array => udpDatagram(q, { sport, dport: 5000, payload: filler(1000, sport) });
    {
      const f = frag(dgram(38100), PROTO.UDP, 0x6101);
      out.push(
        new P({ name: `frag${v}_udp_reversed`, description: `IPv${v} UDP datagram in three fragments, last first (held until complete)`, ...defrag })
          .p([f[2]!, f[1]!, f[0]!], 1)
          .s(udp(r, { sport: 5000, dport: 38100, payload: filler(20) }))
          .done(),
      );
    }
    {
      const f = frag(dgram(38110), PROTO.UDP, 0x6102);
      // a fragment overlapping the first one's data at another offset
      const l4 = dgram(38110);
      const overlap = v6
        ? fragmentV6(q, PROTO.UDP, l4.slice(200, 600), 400, 0x6102).map((x) => patchV6FragOffset(x, 200 / 8, true))[0]!
        : ipPacket({ ...q, id: 0x6102, fragOffset: 200 / 8, mf: true }, PROTO.UDP, l4.slice(200, 600));
      out.push(
        new P({ name: `frag${v}_udp_overlap`, description: `IPv${v} UDP fragments with an overlapping fragment: the whole datagram is discarded`, ...defrag })
          .p([f[0]!, overlap, f[1]!, f[2]!], 1)
          .p(udp(q, { sport: 38110, dport: 5000, payload: filler(8) }))
          .done(),
      );
    }
    {
      const f = frag(dgram(38120), PROTO.UDP, 0x6103);
      out.push(
        new P({ name: `frag${v}_udp_duplicate`, description: `IPv${v} UDP fragments with the middle one sent twice (the duplicate alone is dropped)`, ...defrag })
          .p([f[0]!, f[1]!, f[1]!, f[2]!], 1)
          .s(udp(r, { sport: 5000, dport: 38120, payload: filler(20) }))
          .done(),
      );
    }
    {
      const f = frag(dgram(38130), PROTO.UDP, 0x6104);
      out.push(
        new P({ name: `frag${v}_udp_incomplete`, description: `IPv${v} UDP first and last fragment, the middle one never comes (nothing tracked)`, ...defrag })
          .p([f[0]!, f[2]!], 1)
          .p(udp(q, { sport: 38131, dport: 5000, payload: filler(8) }))
          .done(),
      );
    }
    {
      const echo = l4Of(v6 ? icmp6(q, { type: 128, code: 0, id: 0x77, seq: 1, payload: filler(900, 1) }) : icmp(q, { type: 8, code: 0, id: 0x77, seq: 1, payload: filler(900, 1) }));
      const reply = l4Of(v6 ? icmp6(r, { type: 129, code: 0, id: 0x77, seq: 1, payload: filler(900, 1) }) : icmp(r, { type: 0, code: 0, id: 0x77, seq: 1, payload: filler(900, 1) }));
      const proto = v6 ? PROTO.ICMPV6 : PROTO.ICMP;
      const fr = v6 ? fragmentV6(r, proto, reply, 400, 0x6206) : fragmentV4({ ...r, id: 0x6206 }, proto, reply, 400);
      out.push(
        new P({ name: `frag${v}_icmp_echo`, description: `IPv${v} fragmented echo request and fragmented echo reply (in order)`, ...defrag })
          .p(frag(echo, proto, 0x6105), 1)
          .s(fr, 1)
          .done(),
      );
    }
    {
      const c = tcpConv(v6 ? C6 : C4, 40400, v6 ? S6 : S4, 80);
      const b = new P({ name: `frag${v}_tcp_data`, description: `IPv${v} TCP handshake, then a data segment in fragments (reversed) and the ACK`, ...defrag });
      b.p(c.syn('c'));
      b.s(c.synack('s'));
      b.p(c.ack('c'));
      const seg = l4Of(c.data('c', filler(1000, 9)));
      const f = frag(seg, PROTO.TCP, 0x6107);
      b.p([f[2]!, f[0]!, f[1]!], 1);
      b.s(c.ack('s'));
      out.push(b.done());
    }
  }
  {
    // IPv6 atomic fragment: a fragment header with offset 0 and M=0
    const l4 = udpDatagram(q6, { sport: 38140, dport: 5000, payload: filler(40) });
    out.push(
      new P({ name: 'frag6_atomic', description: 'IPv6 atomic fragment (offset 0, M=0): tracked at once, like an unfragmented packet', ...defrag })
        .p(ipPacket({ ...q6, ext: [{ type: PROTO.FRAGMENT, fragOffset: 0, more: false, ident: 0x6108 }] }, PROTO.UDP, l4))
        .s(udp(r6, { sport: 5000, dport: 38140, payload: filler(8) }))
        .done(),
    );
  }
  {
    // reply direction fragmented too, IPv4 UDP: both directions reassembled
    const l4 = udpDatagram(q4, { sport: 38150, dport: 5000, payload: filler(1000, 2) });
    const back = udpDatagram(r4, { sport: 5000, dport: 38150, payload: filler(1000, 3) });
    out.push(
      new P({ name: 'frag4_udp_both_directions', description: 'IPv4 UDP: a fragmented request (in order) and a fragmented reply (reversed)', ...defrag })
        .p(fragmentV4({ ...q4, id: 0x6109 }, PROTO.UDP, l4, 400), 1)
        .s(fragmentV4({ ...r4, id: 0x6109 }, PROTO.UDP, back, 400).reverse(), 1)
        .done(),
    );
  }
  return out;
}

/** Rewrites the fragment offset of a single-fragment-header IPv6 packet. */
function patchV6FragOffset(pkt: Uint8Array, off8: number, more: boolean): Uint8Array {
  const b = pkt.slice();
  // fixed header (40) then the fragment header: offset/flags at bytes 2..3
  const v = (off8 << 3) | (more ? 1 : 0);
  b[42] = v >> 8;
  b[43] = v & 0xff;
  return b;
}

// ------------------------------------------------------------------------------------------------
// SCTP

function sctpScenarios(): Scenario[] {
  const out: Scenario[] = [];
  const meta = { needsProtocol: 'sctp' };
  const q: IpSpec = { src: C4, dst: S4 };
  const r: IpSpec = { src: S4, dst: C4 };
  const CT = 0x1a2b3c4d;
  const ST = 0x5e6f7081;
  const cs = (vtag: number, chunks: Array<{ type: number; flags?: number; value: Uint8Array }>): Uint8Array => sctp(q, { sport: 5001, dport: 36412, vtag, chunks });
  const sc = (vtag: number, chunks: Array<{ type: number; flags?: number; value: Uint8Array }>): Uint8Array => sctp(r, { sport: 36412, dport: 5001, vtag, chunks });
  const init = cs(0, [{ type: 1, value: sctpInitValue(CT, 100) }]);
  const initAck = sc(CT, [{ type: 2, value: concat(sctpInitValue(ST, 500), new Uint8Array([0, 7, 0, 12]), filler(8)) }]);
  const cookieEcho = cs(ST, [{ type: 10, value: filler(8) }]);
  const cookieAck = sc(CT, [{ type: 11, value: new Uint8Array(0) }]);
  const data = (tsn: number): Uint8Array => concat(new Uint8Array([tsn >>> 24, (tsn >>> 16) & 255, (tsn >>> 8) & 255, tsn & 255, 0, 0, 0, 0, 0, 0, 0, 0]), filler(32, tsn));
  const sack = (tsn: number): Uint8Array => new Uint8Array([tsn >>> 24, (tsn >>> 16) & 255, (tsn >>> 8) & 255, tsn & 255, 0, 1, 0, 0, 0, 0, 0, 0]);
  const hbInfo = concat(new Uint8Array([0, 1, 0, 12]), filler(8, 4));
  const setup = (b: P): P => b.p(init).s(initAck).p(cookieEcho).s(cookieAck);
  out.push(
    setup(new P({ name: 'sctp_data_both_ways', description: 'SCTP association, DATA and SACK in both directions', ...meta }))
      .p(cs(ST, [{ type: 0, flags: 3, value: data(100) }]))
      .s(sc(CT, [{ type: 3, value: sack(100) }]))
      .s(sc(CT, [{ type: 0, flags: 3, value: data(500) }]))
      .p(cs(ST, [{ type: 3, value: sack(500) }]))
      .done(),
  );
  out.push(
    setup(new P({ name: 'sctp_heartbeat', description: 'SCTP association, HEARTBEAT and HEARTBEAT-ACK both ways', ...meta }))
      .p(cs(ST, [{ type: 4, value: hbInfo }]))
      .s(sc(CT, [{ type: 5, value: hbInfo }]))
      .s(sc(CT, [{ type: 4, value: hbInfo }]))
      .p(cs(ST, [{ type: 5, value: hbInfo }]))
      .done(),
  );
  out.push(
    new P({ name: 'sctp_heartbeat_first', description: 'SCTP HEARTBEAT as the first packet (a new entry without INIT) and its HEARTBEAT-ACK', ...meta })
      .p(cs(0x01020304, [{ type: 4, value: hbInfo }]))
      .s(sc(0x05060708, [{ type: 5, value: hbInfo }]))
      .p(cs(0x01020304, [{ type: 4, value: hbInfo }]))
      .done(),
  );
  out.push(
    setup(new P({ name: 'sctp_shutdown', description: 'SCTP association, SHUTDOWN, SHUTDOWN-ACK, SHUTDOWN-COMPLETE', ...meta }))
      .p(cs(ST, [{ type: 0, flags: 3, value: data(100) }]))
      .s(sc(CT, [{ type: 3, value: sack(100) }]))
      .p(cs(ST, [{ type: 7, value: new Uint8Array([0, 0, 1, 0xf3]) }]))
      .s(sc(CT, [{ type: 8, value: new Uint8Array(0) }]))
      .p(cs(ST, [{ type: 14, value: new Uint8Array(0) }]))
      .done(),
  );
  out.push(
    setup(new P({ name: 'sctp_abort', description: 'SCTP association aborted by the server (ABORT with its own peer tag)', ...meta }))
      .p(cs(ST, [{ type: 0, flags: 3, value: data(100) }]))
      .s(sc(CT, [{ type: 6, value: new Uint8Array(0) }]))
      .p(cs(ST, [{ type: 0, flags: 3, value: data(101) }]))
      .done(),
  );
  out.push(
    setup(new P({ name: 'sctp_bad_vtag', description: 'SCTP DATA with a wrong verification tag in each direction (INVALID), then a good one', ...meta }))
      .p(cs(0xdeadbeef, [{ type: 0, flags: 3, value: data(100) }]))
      .s(sc(0x0badf00d, [{ type: 3, value: sack(100) }]))
      .p(cs(ST, [{ type: 0, flags: 3, value: data(100) }]))
      .done(),
  );
  {
    const bad = cs(ST, [{ type: 0, flags: 3, value: data(100) }]).slice();
    bad[20 + 8] = bad[20 + 8]! ^ 0xff;
    const badInit = init.slice();
    badInit[20 + 9] = badInit[20 + 9]! ^ 0x55;
    out.push(
      new P({ name: 'sctp_bad_crc', description: 'SCTP INIT with a bad CRC32c (INVALID, no entry), then the association with one bad-CRC DATA', ...meta })
        .p(badInit)
        .p(init)
        .s(initAck)
        .p(cookieEcho)
        .s(cookieAck)
        .p(bad)
        .p(cs(ST, [{ type: 0, flags: 3, value: data(100) }]))
        .done(),
    );
  }
  out.push(
    new P({ name: 'sctp_init_retransmit', description: 'SCTP INIT retransmitted before the INIT-ACK, then the handshake completes', ...meta })
      .p(init)
      .p(init, 30)
      .s(initAck)
      .p(cookieEcho)
      .s(cookieAck)
      .done(),
  );
  {
    const q6: IpSpec = { src: C6, dst: S6 };
    const r6: IpSpec = { src: S6, dst: C6 };
    out.push(
      new P({ name: 'sctp_ipv6_handshake', description: 'SCTP four-way handshake and DATA/SACK over IPv6', ...meta })
        .p(sctp(q6, { sport: 5002, dport: 36412, vtag: 0, chunks: [{ type: 1, value: sctpInitValue(CT, 100) }] }))
        .s(sctp(r6, { sport: 36412, dport: 5002, vtag: CT, chunks: [{ type: 2, value: concat(sctpInitValue(ST, 500), new Uint8Array([0, 7, 0, 12]), filler(8)) }] }))
        .p(sctp(q6, { sport: 5002, dport: 36412, vtag: ST, chunks: [{ type: 10, value: filler(8) }] }))
        .s(sctp(r6, { sport: 36412, dport: 5002, vtag: CT, chunks: [{ type: 11, value: new Uint8Array(0) }] }))
        .p(sctp(q6, { sport: 5002, dport: 36412, vtag: ST, chunks: [{ type: 0, flags: 3, value: data(100) }] }))
        .s(sctp(r6, { sport: 36412, dport: 5002, vtag: CT, chunks: [{ type: 3, value: sack(100) }] }))
        .done(),
    );
  }
  return out;
}

// ------------------------------------------------------------------------------------------------
// GRE

/** Enhanced GRE (version 1, RFC 2637): K bit, optional S (sequence) and A (ack). */
function greV1(ip: IpSpec, callId: number, payload: Uint8Array, o: { seq?: number; ack?: number; protocol?: number } = {}): Uint8Array {
  const flags = 0x2000 | (o.seq !== undefined ? 0x1000 : 0);
  const ver = 1 | (o.ack !== undefined ? 0x80 : 0);
  const h: number[] = [flags >> 8, ver, (o.protocol ?? 0x880b) >> 8, (o.protocol ?? 0x880b) & 0xff, payload.length >> 8, payload.length & 0xff, callId >> 8, callId & 0xff];
  const w32 = (x: number): number[] => [x >>> 24, (x >>> 16) & 255, (x >>> 8) & 255, x & 255];
  if (o.seq !== undefined) h.push(...w32(o.seq));
  if (o.ack !== undefined) h.push(...w32(o.ack));
  return rawProto(ip, PROTO.GRE, concat(new Uint8Array(h), payload));
}

function greScenarios(): Scenario[] {
  const out: Scenario[] = [];
  const meta = { needsProtocol: 'gre' };
  const q: IpSpec = { src: C4, dst: S4 };
  const r: IpSpec = { src: S4, dst: C4 };
  // PPP frame with address/control (ff 03) and the protocol field (0x0021 = IPv4), or without (ACFC/PFC)
  const pppFull = concat(new Uint8Array([0xff, 0x03, 0x00, 0x21]), filler(40, 1));
  const pppCompressed = concat(new Uint8Array([0x21]), filler(40, 2));
  out.push(
    new P({ name: 'gre_v1_pptp', description: 'PPTP-style GRE version 1 (protocol 0x880B, call ids) both ways, PPP with address/control and protocol field', ...meta })
      .p(greV1(q, 0x4001, pppFull, { seq: 1 }))
      .s(greV1(r, 0x8001, pppFull, { seq: 1, ack: 1 }))
      .p(greV1(q, 0x4001, pppFull, { seq: 2, ack: 1 }))
      .s(greV1(r, 0x8001, new Uint8Array(0), { ack: 2 }))
      .done(),
  );
  out.push(
    new P({ name: 'gre_v1_pptp_compressed_ppp', description: 'GRE version 1 carrying PPP without address/control and with a 1-byte protocol field (ACFC, PFC)', ...meta })
      .p(greV1(q, 0x4002, pppCompressed, { seq: 1 }))
      .s(greV1(r, 0x8002, pppCompressed, { seq: 1, ack: 1 }))
      .done(),
  );
  out.push(
    new P({ name: 'gre_v1_not_ppp', description: 'GRE version 1 with protocol type 0x0800 instead of PPP (0x880B): tracked without call ids', ...meta })
      .p(greV1(q, 0x4003, filler(40, 3), { seq: 1, protocol: 0x0800 }))
      .s(greV1(r, 0x8003, filler(40, 4), { seq: 1, protocol: 0x0800 }))
      .done(),
  );
  {
    const inner = udp({ src: '10.1.0.1', dst: '10.2.0.1' }, { sport: 1, dport: 2, payload: filler(8) });
    const withKey = (ip: IpSpec, key: number): Uint8Array => {
      const h = new Uint8Array([0x20, 0, 0x08, 0, key >>> 24, (key >>> 16) & 255, (key >>> 8) & 255, key & 255]);
      return rawProto(ip, PROTO.GRE, concat(h, inner));
    };
    out.push(
      new P({ name: 'gre_v0_key', description: 'GRE version 0 with a key (K bit) both ways: keys are not part of the v0 tuple', ...meta })
        .p(withKey(q, 0x1234))
        .s(withKey(r, 0x5678))
        .p(withKey(q, 0x9999))
        .done(),
    );
  }
  {
    const q6: IpSpec = { src: C6, dst: S6 };
    const r6: IpSpec = { src: S6, dst: C6 };
    out.push(
      new P({ name: 'gre_v1_pptp_ipv6', description: 'GRE version 1 (PPTP-style) over IPv6 both ways', ...meta })
        .p(greV1(q6, 0x4004, pppFull, { seq: 1 }))
        .s(greV1(r6, 0x8004, pppFull, { seq: 1, ack: 1 }))
        .done(),
    );
  }
  return out;
}

// ------------------------------------------------------------------------------------------------
// PPTP (nf_conntrack_pptp.c): control messages on tcp/1723 make the helper expect the call's GRE
// (version 1, keyed by call ids) both ways and fill the GRE key map. The PNS (client) opens the
// control connection; call ids: PNS 0x1111/0x4444, PAC 0x2222/0x3333.

const PPTP_PORT = 1723;

/** One PPTP control message: length, type 1 (control), magic cookie, message type, reserved, body. */
function pptpMsg(type: number, body: number[], o: { cookie?: number; packetType?: number } = {}): Uint8Array {
  const len = 12 + body.length;
  const cookie = o.cookie ?? 0x1a2b3c4d;
  const pt = o.packetType ?? 1;
  return new Uint8Array([len >> 8, len & 255, pt >> 8, pt & 255, cookie >>> 24, (cookie >>> 16) & 255, (cookie >>> 8) & 255, cookie & 255,
    type >> 8, type & 255, 0, 0, ...body]);
}

/** `n` bytes of a message body: the given leading bytes, then zeros. */
function pptpBody(n: number, head: number[]): number[] {
  const b = new Array<number>(n).fill(0);
  head.forEach((x, i) => (b[i] = x));
  return b;
}

const hi = (x: number): number => x >> 8;
const lo = (x: number): number => x & 255;
/** Start-Control-Connection-Request (144-byte body): version 1.0, async+sync framing, analog+digital bearer. */
const sccrq = (): Uint8Array => pptpMsg(1, pptpBody(144, [1, 0, 0, 0, 0, 0, 0, 3, 0, 0, 0, 3, 0, 0, 0, 1]));
/** Start-Control-Connection-Reply with a result code (1 = OK). */
const sccrp = (result = 1): Uint8Array => pptpMsg(2, pptpBody(144, [1, 0, result, 0, 0, 0, 0, 3, 0, 0, 0, 3, 0, 0, 0, 1]));
/** Outgoing-Call-Request (156-byte body) with the PNS's call id. */
const ocrq = (callId: number, len = 156): Uint8Array => pptpMsg(7, pptpBody(len, [hi(callId), lo(callId), 0, 1, 0, 0, 0x0b, 0xb8, 0x05, 0xf5, 0xe1, 0]));
/** Outgoing-Call-Reply (20-byte body): the PAC's call id, the PNS's (peer) call id, result (1 = connected). */
const ocrp = (callId: number, peer: number, result = 1): Uint8Array =>
  pptpMsg(8, pptpBody(20, [hi(callId), lo(callId), hi(peer), lo(peer), result, 0, 0, 0, 0x05, 0xf5, 0xe1, 0, 0, 64]));
/** Incoming-Call-Request (208-byte body) with the PAC's call id. */
const icrq = (callId: number): Uint8Array => pptpMsg(9, pptpBody(208, [hi(callId), lo(callId), 0, 7, 0, 0, 0, 1]));
/** Incoming-Call-Reply (12-byte body): the PNS's call id, the PAC's (peer) call id, result (1 = accept). */
const icrp = (callId: number, peer: number, result = 1): Uint8Array => pptpMsg(10, pptpBody(12, [hi(callId), lo(callId), hi(peer), lo(peer), result, 0, 0, 64]));
/** Incoming-Call-Connected (16-byte body) with the PNS's (peer) call id. */
const iccn = (peer: number): Uint8Array => pptpMsg(11, pptpBody(16, [hi(peer), lo(peer), 0, 0, 0x05, 0xf5, 0xe1, 0, 0, 64]));
/** Call-Clear-Request (4-byte body) with the PNS's call id. */
const ccrq = (callId: number): Uint8Array => pptpMsg(12, pptpBody(4, [hi(callId), lo(callId)]));
/** Call-Disconnect-Notify (136-byte body) with the PAC's call id. */
const cdn = (callId: number): Uint8Array => pptpMsg(13, pptpBody(136, [hi(callId), lo(callId), 3]));
/** Set-Link-Info (12-byte body) with the peer's call id. */
const sli = (peer: number): Uint8Array => pptpMsg(15, pptpBody(12, [hi(peer), lo(peer), 0, 0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]));
/** Echo-Request / Echo-Reply. */
const echoRq = (id: number): Uint8Array => pptpMsg(5, [0, 0, 0, id]);
const echoRp = (id: number): Uint8Array => pptpMsg(6, [0, 0, 0, id, 1, 0, 0, 0]);
/** Stop-Control-Connection-Request / Reply. */
const stopRq = (): Uint8Array => pptpMsg(3, [1, 0, 0, 0]);
const stopRp = (): Uint8Array => pptpMsg(4, [1, 0, 0, 0]);
/** WAN-Error-Notify (28-byte body). */
const wen = (peer: number): Uint8Array => pptpMsg(14, pptpBody(28, [hi(peer), lo(peer)]));

/** A PPP frame in enhanced GRE: address/control, protocol 0x0021 (IPv4), filler. */
const PPP_FRAME = concat(new Uint8Array([0xff, 0x03, 0x00, 0x21]), filler(32, 5));

function pptpScenarios(): Scenario[] {
  const out: Scenario[] = [];
  const pptp = { helpers: ['pptp'], needsProtocol: 'pptp' };
  const q: IpSpec = { src: C4, dst: S4 };
  const r: IpSpec = { src: S4, dst: C4 };
  /** A control message from one side, acknowledged by the other. */
  const msg = (b: P, c: TcpConversation, side: 'c' | 's', m: Uint8Array): void => {
    if (side === 'c') {
      b.p(c.data('c', m));
      b.s(c.ack('s'));
    } else {
      b.s(c.data('s', m));
      b.p(c.ack('c'));
    }
  };
  const handshake = (b: P, c: TcpConversation): void => {
    b.p(c.syn('c'));
    b.s(c.synack('s'));
    b.p(c.ack('c'));
  };
  /** The handshake and a started control session (SCCRQ, SCCRP). */
  const session = (b: P, c: TcpConversation): void => {
    handshake(b, c);
    msg(b, c, 'c', sccrq());
    msg(b, c, 's', sccrp());
  };
  /** An outgoing call set up: OCRQ from the PNS with its call id, OCRP from the PAC with its own. */
  const call = (b: P, c: TcpConversation, pns: number, pac: number): void => {
    msg(b, c, 'c', ocrq(pns));
    msg(b, c, 's', ocrp(pac, pns));
  };
  {
    const b = new P({
      name: 'pptp_outgoing_call',
      description: 'PPTP outgoing call: SCCRQ/SCCRP, OCRQ/OCRP expect GRE both ways (RELATED, key map fills the source key), echo, set-link-info, CCRQ/CDN kill the GRE entry, a later GRE packet has source key 0, stop',
      ...pptp,
    });
    const c = tcpConv(C4, 40700, S4, PPTP_PORT);
    session(b, c);
    call(b, c, 0x1111, 0x2222);
    b.p(greV1(q, 0x2222, PPP_FRAME, { seq: 1 }));
    b.s(greV1(r, 0x1111, PPP_FRAME, { seq: 1, ack: 1 }));
    b.p(greV1(q, 0x2222, PPP_FRAME, { seq: 2, ack: 1 }));
    msg(b, c, 'c', sli(0x2222));
    msg(b, c, 's', echoRq(1));
    msg(b, c, 'c', echoRp(1));
    b.s(greV1(r, 0x1111, PPP_FRAME, { seq: 2, ack: 2 }));
    msg(b, c, 'c', ccrq(0x1111));
    msg(b, c, 's', cdn(0x2222));
    b.p(greV1(q, 0x2222, PPP_FRAME, { seq: 3 }));
    msg(b, c, 'c', stopRq());
    msg(b, c, 's', stopRp());
    out.push(b.done());
  }
  {
    const b = new P({
      name: 'pptp_incoming_call',
      description: 'PPTP incoming call: ICRQ from the PAC, ICRP from the PNS, ICCN: GRE expected both ways, the PAC sends first (RELATED), WAN-Error-Notify, CDN kills the GRE entry',
      ...pptp,
    });
    const c = tcpConv(C4, 40710, S4, PPTP_PORT);
    session(b, c);
    msg(b, c, 's', icrq(0x3333));
    msg(b, c, 'c', icrp(0x4444, 0x3333));
    msg(b, c, 's', iccn(0x4444));
    b.s(greV1(r, 0x4444, PPP_FRAME, { seq: 1 }));
    b.p(greV1(q, 0x3333, PPP_FRAME, { seq: 1, ack: 1 }));
    msg(b, c, 's', wen(0x4444));
    b.s(greV1(r, 0x4444, PPP_FRAME, { seq: 2, ack: 1 }));
    msg(b, c, 's', cdn(0x3333));
    out.push(b.done());
  }
  {
    const b = new P({
      name: 'pptp_gre_before_call',
      description: 'GRE version 1 before any call setup (NEW, source key 0), then the call is set up: the same GRE now gets the source key from the key map and is RELATED; only the new call is killed by CDN',
      ...pptp,
    });
    const c = tcpConv(C4, 40720, S4, PPTP_PORT);
    b.p(greV1(q, 0x2222, PPP_FRAME, { seq: 1 }));
    b.s(greV1(r, 0x1111, PPP_FRAME, { seq: 1 }));
    handshake(b, c);
    msg(b, c, 'c', sccrq());
    b.p(greV1(q, 0x2222, PPP_FRAME, { seq: 2 }));
    msg(b, c, 's', sccrp());
    call(b, c, 0x1111, 0x2222);
    b.s(greV1(r, 0x1111, PPP_FRAME, { seq: 2 }));
    b.p(greV1(q, 0x2222, PPP_FRAME, { seq: 3, ack: 2 }));
    b.p(greV1(q, 0x2999, PPP_FRAME, { seq: 1 }));
    msg(b, c, 's', cdn(0x2222));
    out.push(b.done());
  }
  {
    const b = new P({
      name: 'pptp_malformed',
      description: 'PPTP messages the helper ignores: a payload shorter than the PPTP header, a bad magic cookie, a management packet, a truncated OCRQ, an unknown message type, a reply before the request, an OCRP naming another call, a refused OCRP; then a good call',
      ...pptp,
    });
    const c = tcpConv(C4, 40730, S4, PPTP_PORT);
    handshake(b, c);
    msg(b, c, 's', sccrp());
    msg(b, c, 'c', new Uint8Array([0, 12, 0, 1, 0x1a]));
    msg(b, c, 'c', pptpMsg(1, pptpBody(144, [1, 0]), { cookie: 0x1a2b3c4e }));
    msg(b, c, 'c', pptpMsg(1, pptpBody(144, [1, 0]), { packetType: 2 }));
    msg(b, c, 'c', new Uint8Array([0, 156, 0, 1, 0x1a, 0x2b, 0x3c, 0x4d, 0, 1]));
    msg(b, c, 'c', sccrq());
    msg(b, c, 's', sccrp());
    msg(b, c, 'c', ocrq(0x1111, 100));
    msg(b, c, 's', ocrp(0x2222, 0x1111));
    msg(b, c, 'c', pptpMsg(16, pptpBody(20, [0x11, 0x11])));
    msg(b, c, 'c', pptpMsg(0, pptpBody(20, [0x11, 0x11])));
    msg(b, c, 'c', ocrq(0x1111));
    msg(b, c, 's', ocrp(0x2222, 0x1234));
    msg(b, c, 's', ocrp(0x2222, 0x1111, 3));
    msg(b, c, 's', ocrp(0x2222, 0x1111));
    call(b, c, 0x1115, 0x2225);
    b.p(greV1(q, 0x2225, PPP_FRAME, { seq: 1 }));
    b.p(greV1(q, 0x2222, PPP_FRAME, { seq: 1 }));
    out.push(b.done());
  }
  {
    const b = new P({
      name: 'pptp_second_call',
      description: 'A retransmitted OCRP renews the expectations; a second call on the same control connection without clearing the first: the key map refuses it, its expectations are withdrawn and its GRE has source key 0',
      ...pptp,
    });
    const c = tcpConv(C4, 40740, S4, PPTP_PORT);
    session(b, c);
    call(b, c, 0x1111, 0x2222);
    msg(b, c, 's', ocrp(0x2222, 0x1111));
    b.p(greV1(q, 0x2222, PPP_FRAME, { seq: 1 }));
    call(b, c, 0x1112, 0x2223);
    b.p(greV1(q, 0x2223, PPP_FRAME, { seq: 1 }));
    b.s(greV1(r, 0x1112, PPP_FRAME, { seq: 1 }));
    b.s(greV1(r, 0x1111, PPP_FRAME, { seq: 1 }));
    msg(b, c, 's', cdn(0x2223));
    out.push(b.done());
  }
  {
    const b = new P({
      name: 'pptp_control_reset',
      description: 'The control connection goes (RST, then a new SYN on the same ports kills the CLOSE entry): its call\'s GRE entry is killed with it; a second time with the call set up but no GRE yet: its expectations are withdrawn and the key map emptied',
      ...pptp,
    });
    const c = tcpConv(C4, 40760, S4, PPTP_PORT);
    session(b, c);
    call(b, c, 0x1111, 0x2222);
    b.p(greV1(q, 0x2222, PPP_FRAME, { seq: 1 }));
    b.s(greV1(r, 0x1111, PPP_FRAME, { seq: 1, ack: 1 }));
    b.p(c.rst('c'));
    const c2 = tcpConv(C4, 40760, S4, PPTP_PORT, 3000000, 6000000);
    handshake(b, c2);
    msg(b, c2, 'c', sccrq());
    msg(b, c2, 's', sccrp());
    msg(b, c2, 'c', ocrq(0x1113));
    msg(b, c2, 's', ocrp(0x2224, 0x1113));
    b.p(c2.rst('c'));
    const c3 = tcpConv(C4, 40760, S4, PPTP_PORT, 4000000, 7000000);
    handshake(b, c3);
    b.p(greV1(q, 0x2224, PPP_FRAME, { seq: 1 }));
    out.push(b.done());
  }
  {
    const q6: IpSpec = { src: C6, dst: S6 };
    const r6: IpSpec = { src: S6, dst: C6 };
    const b = new P({ name: 'pptp_ipv6', description: 'PPTP over IPv6: the helper is registered for IPv4 only, so the call expects nothing and its GRE gets source key 0', ...pptp });
    const c = tcpConv(C6, 40770, S6, PPTP_PORT);
    session(b, c);
    call(b, c, 0x1111, 0x2222);
    b.p(greV1(q6, 0x2222, PPP_FRAME, { seq: 1 }));
    b.s(greV1(r6, 0x1111, PPP_FRAME, { seq: 1, ack: 1 }));
    out.push(b.done());
  }
  {
    const b = new P({ name: 'pptp_no_helper', description: 'The outgoing call without the PPTP helper: GRE gets source key 0, one unreplied entry per direction', needsProtocol: 'gre' });
    const c = tcpConv(C4, 40750, S4, PPTP_PORT);
    session(b, c);
    call(b, c, 0x1111, 0x2222);
    b.p(greV1(q, 0x2222, PPP_FRAME, { seq: 1 }));
    b.s(greV1(r, 0x1111, PPP_FRAME, { seq: 1, ack: 1 }));
    out.push(b.done());
  }
  return out;
}

// ------------------------------------------------------------------------------------------------
// A real session: vsftpd and tnftp in two namespaces, captured with tcpdump on the client's veth
// by test/conformance/ftp-session.test.ts (CTSCOPE_FTP_CAPTURE_OUT). Stored as raw IP.

function capturedVsftpdSession(): Scenario {
  const path = fileURLToPath(new URL('../../../tools/scenarios/captures/vsftpd-session.pcap', import.meta.url));
  const buf = readFileSync(path);
  const le = buf.readUInt32LE(0) === 0xa1b2c3d4 || buf.readUInt32LE(0) === 0xa1b23c4d;
  const nano = buf.readUInt32LE(0) === 0xa1b23c4d || buf.readUInt32BE(0) === 0xa1b23c4d;
  const u32 = (o: number): number => (le ? buf.readUInt32LE(o) : buf.readUInt32BE(o));
  if (u32(20) !== 1) throw new Error(`${path}: expected an Ethernet capture`);
  const packets: ScenarioPacket[] = [];
  let t0: number | null = null;
  for (let off = 24; off + 16 <= buf.length; ) {
    const sec = u32(off);
    const frac = u32(off + 4);
    const incl = u32(off + 8);
    const frame = buf.subarray(off + 16, off + 16 + incl);
    off += 16 + incl;
    if (frame.readUInt16BE(12) !== 0x0800) continue;
    const ip = frame.subarray(14);
    const us = sec * 1e6 + (nano ? Math.floor(frac / 1000) : frac);
    t0 ??= us;
    packets.push({ tMs: (us - t0) / 1000, data: new Uint8Array(ip.subarray(0, ip.readUInt16BE(2))), fromClient: ip[15] === 1 });
  }
  return {
    name: 'ftp_vsftpd_session',
    description: 'A real vsftpd session captured with tcpdump (tnftp client): PASV, PORT and EPSV transfers, all RELATED (checksums unfinished by veth offload: nf_conntrack_checksum=0)',
    sysctls: { 'net.netfilter.nf_conntrack_checksum': 0 },
    helpers: ['ftp'],
    needsProtocol: 'ftp',
    packets,
  };
}

/** Where ctscope disagrees with the recorded kernel (none left). */
const KNOWN: Record<string, string> = {};

/** IRC DCC (nf_conntrack_irc.c): the client announces address:port in a PRIVMSG; anyone may connect. */
function ircScenarios(): Scenario[] {
  const out: Scenario[] = [];
  const irc = { helpers: ['irc'], needsProtocol: 'irc' };
  const dccIp = (a: string): number => a.split('.').reduce((n, x) => n * 256 + Number(x), 0);
  const session = (name: string, description: string, announced: string, meta: Partial<Scenario>, port = 45000): Scenario => {
    const b = new P({ name, description, ...meta });
    const c = tcpConv(C4, 40400, S4, 6667);
    control(b, c, [
      ['s', ':irc.example NOTICE * :*** Looking up your hostname\r\n'],
      ['c', 'NICK alice\r\nUSER alice 0 * :Alice\r\n'],
      ['s', ':irc.example 001 alice :Welcome\r\n'],
      ['c', `PRIVMSG bob :\x01DCC SEND notes.txt ${dccIp(announced)} ${port} 1200\x01\r\n`],
    ]);
    b.p(c.ack('c'));
    // Bob connects from a host the helper never saw: the expectation's source is any.
    dataConn(b, tcpConv(O4, 41000, C4, port, 7000000, 8000000));
    return b.done();
  };
  out.push(session('irc_dcc_send', 'IRC DCC SEND: the announced port is expected from anyone (RELATED)', C4, irc));
  out.push(session('irc_dcc_forged', 'IRC DCC SEND announcing another host: not followed (the connection is NEW)', '10.0.9.8', irc));
  out.push(session('irc_no_helper', 'IRC DCC without the helper: the DCC connection is NEW', C4, {}));
  return out;
}

/**
 * The broadcast helpers (nf_conntrack_broadcast.c: netbios-ns, snmp) expect answers only for
 * requests a local socket sent; forwarded packets get the helper and nothing else.
 */
function broadcastScenarios(): Scenario[] {
  const one = (helper: string, port: number, sport: number, query: Uint8Array, answer: Uint8Array): Scenario => {
    const b = new P({
      name: `${helper.replace('-', '_')}_forwarded`,
      description: `${helper} helper on a forwarded query to udp/${port}: the entry carries the helper, the server's answer is ESTABLISHED, another host's answer is NEW (no expectation: not a local socket's broadcast)`,
      helpers: [helper],
      needsProtocol: helper,
    });
    b.p(udp({ src: C4, dst: S4 }, { sport, dport: port, payload: query }));
    b.s(udp({ src: S4, dst: C4 }, { sport: port, dport: sport, payload: answer }));
    b.s(udp({ src: O4, dst: C4 }, { sport: port, dport: sport, payload: answer }));
    return b.done();
  };
  // A NetBIOS name query for "WORKGROUP" and its positive answer; an SNMP get-request and response (v2c, "public").
  const nbQuery = concat(new Uint8Array([0x12, 0x34, 0x01, 0x10, 0, 1, 0, 0, 0, 0, 0, 0, 0x20]), bytes('FHEPFCELEHFCEPFFFACACACACACACAAA'), new Uint8Array([0, 0, 0x20, 0, 1]));
  const nbAnswer = concat(new Uint8Array([0x12, 0x34, 0x85, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0x20]), bytes('FHEPFCELEHFCEPFFFACACACACACACAAA'),
    new Uint8Array([0, 0, 0x20, 0, 1, 0, 0, 0x0e, 0x10, 0, 6, 0, 0, 192, 168, 1, 35]));
  const snmpGet = new Uint8Array([0x30, 0x26, 0x02, 0x01, 0x01, 0x04, 0x06, 0x70, 0x75, 0x62, 0x6c, 0x69, 0x63, 0xa0, 0x19, 0x02, 0x01, 0x01,
    0x02, 0x01, 0x00, 0x02, 0x01, 0x00, 0x30, 0x0e, 0x30, 0x0c, 0x06, 0x08, 0x2b, 0x06, 0x01, 0x02, 0x01, 0x01, 0x03, 0x00, 0x05, 0x00]);
  const snmpResponse = new Uint8Array([0x30, 0x29, 0x02, 0x01, 0x01, 0x04, 0x06, 0x70, 0x75, 0x62, 0x6c, 0x69, 0x63, 0xa2, 0x1c, 0x02, 0x01, 0x01,
    0x02, 0x01, 0x00, 0x02, 0x01, 0x00, 0x30, 0x11, 0x30, 0x0f, 0x06, 0x08, 0x2b, 0x06, 0x01, 0x02, 0x01, 0x01, 0x03, 0x00, 0x43, 0x03, 0x01, 0xe2, 0x40]);
  return [one('netbios-ns', 137, 40137, nbQuery, nbAnswer), one('snmp', 161, 40161, snmpGet, snmpResponse)];
}

export function protocolScenarios(): Scenario[] {
  const all = [...ftpScenarios(), capturedVsftpdSession(), ...tftpScenarios(), ...ircScenarios(), ...fragmentScenarios(), ...sctpScenarios(), ...greScenarios(), ...pptpScenarios(),
    ...broadcastScenarios()];
  return all.map((s) => (KNOWN[s.name] !== undefined ? { ...s, knownDifference: KNOWN[s.name] } : s));
}
