/**
 * Random FTP and TFTP sessions for differential fuzzing of the helpers and expectations against
 * the live kernel (the recorder attaches the kernel helper with an nft `ct helper` object):
 * FTP logins, then PORT/PASV/EPRT/EPSV with right and wrong addresses, malformed numbers, lower
 * case, commands split over two segments or retransmitted, followed by the data connection (to
 * the announced port or another one); TFTP read/write requests answered from a new port, by
 * another host, or not at all. Sometimes without the helper. Deterministic from (seed, index).
 */
import { TcpConversation, bytes, filler, udp, type IpSpec } from '../lib/packet-builder.js';
import { Trace, caseRng, perturb, randHosts, type FuzzCase, type Hosts, type Rng } from './case-common.js';

type Side = 'c' | 's';

function conv(r: Rng, cAddr: string, cport: number, sAddr: string, sport: number): TcpConversation {
  return new TcpConversation(
    { addr: cAddr, port: cport, isn: r.u32(), win: 64240, mss: 1460, sackPerm: true, wscale: 7 },
    { addr: sAddr, port: sport, isn: r.u32(), win: 65160, mss: 1460, sackPerm: true, wscale: 7 },
  );
}

/** A TCP connection: handshake, a little data from each side, and most often a close. */
function connection(tr: Trace, r: Rng, d: TcpConversation, label: string): void {
  const who = (x: Side): string => `${label} ${x}>${x === 'c' ? 's' : 'c'}`;
  tr.push(d.syn('c'), `${who('c')} SYN`);
  tr.push(d.synack('s'), `${who('s')} SYN|ACK`);
  tr.push(d.ack('c'), `${who('c')} ACK`);
  const n = r.int(0, 3);
  for (let i = 0; i < n; i++) {
    const x: Side = r.chance(0.5) ? 'c' : 's';
    tr.push(d.data(x, filler(r.int(1, 1400), i)), `${who(x)} data`);
    tr.push(d.ack(x === 'c' ? 's' : 'c'), `${who(x === 'c' ? 's' : 'c')} ACK`);
  }
  if (r.chance(0.7)) {
    tr.push(d.fin('s'), `${who('s')} FIN`);
    tr.push(d.fin('c'), `${who('c')} FIN`);
    tr.push(d.ack('s'), `${who('s')} ACK`);
  }
}

function v4Args(addr: string, port: number): string {
  return `${addr.split('.').join(',')},${port >> 8},${port & 0xff}`;
}

function ftpCase(r: Rng, h: Hosts, tr: Trace, notes: string[]): string[] {
  const sport = r.chance(0.85) ? 21 : 2121;
  const helpers = r.chance(0.08) ? [] : [sport === 21 ? 'ftp' : r.chance(0.8) ? 'ftp:2121' : 'ftp'];
  notes.push(`ftp:${sport}`, helpers.length ? `helper=${helpers[0]}` : 'no-helper');
  const cc = conv(r, h.c, r.int(1024, 65535), h.s, sport);
  const say = (x: Side, text: string, o: { split?: boolean; retransmit?: boolean } = {}): void => {
    const b = bytes(text);
    if (o.split && b.length > 2) {
      const cut = r.int(1, b.length - 1);
      tr.push(cc.data(x, b.slice(0, cut)), `ctl ${x} ${JSON.stringify(text.slice(0, cut))}`);
      tr.push(cc.data(x, b.slice(cut)), `ctl ${x} ${JSON.stringify(text.slice(cut))}`);
    } else {
      const seq = cc.nxt[x];
      tr.push(cc.data(x, b), `ctl ${x} ${JSON.stringify(text)}`);
      if (o.retransmit) tr.push(cc.data(x, b, { seq }), `ctl ${x} ${JSON.stringify(text)} (retransmitted)`);
    }
    if (r.chance(0.5)) tr.push(cc.ack(x === 'c' ? 's' : 'c'), `ctl ${x === 'c' ? 's' : 'c'} ACK`);
  };
  tr.push(cc.syn('c'), 'ctl c SYN');
  tr.push(cc.synack('s'), 'ctl s SYN|ACK');
  tr.push(cc.ack('c'), 'ctl c ACK');
  say('s', '220 ready\r\n');
  if (r.chance(0.7)) {
    say('c', 'USER anonymous\r\n');
    say('s', '331 password please\r\n');
    say('c', 'PASS guest@\r\n');
    say('s', '230 ok\r\n');
  }
  const transfers = r.int(1, 3);
  for (let t = 0; t < transfers; t++) {
    const mode = r.pick(h.v6 ? (['EPRT', 'EPSV'] as const) : (['PORT', 'PASV', 'EPRT', 'EPSV'] as const));
    const wrongAddr = r.chance(0.08);
    const port = r.chance(0.05) ? r.pick([0, 1, 65535]) : r.int(1024, 65535);
    const how = { split: r.chance(0.1), retransmit: r.chance(0.08) };
    const lower = r.chance(0.1);
    const garbage = r.chance(0.06);
    const cmd = (s: string): string => (lower ? s.toLowerCase() : s);
    const active = mode === 'PORT' || mode === 'EPRT';
    const announced = wrongAddr ? h.o : active ? h.c : h.s;
    notes.push(`${mode}${wrongAddr ? ':wrongAddr' : ''}${garbage ? ':garbage' : ''}${how.split ? ':split' : ''}${how.retransmit ? ':retx' : ''}`);
    if (mode === 'PORT') say('c', garbage ? `${cmd('PORT')} 1,2,3,999\r\n` : `${cmd('PORT')} ${v4Args(announced, port)}\r\n`, how);
    else if (mode === 'EPRT') say('c', garbage ? `${cmd('EPRT')} |9|x|1|\r\n` : `${cmd('EPRT')} |${h.v6 ? 2 : 1}|${announced}|${port}|\r\n`, how);
    else say('c', `${cmd(mode)}\r\n`);
    if (active) say('s', '200 ok\r\n');
    else if (mode === 'PASV') say('s', garbage ? '227 Entering Passive Mode (1,2,3)\r\n' : `227 Entering Passive Mode (${v4Args(announced, port)}).\r\n`, how);
    else say('s', garbage ? '229 Entering Extended Passive Mode (|||x|)\r\n' : `229 Entering Extended Passive Mode (|||${port}|)\r\n`, how);
    if (r.chance(0.85)) {
      const dport = r.chance(0.9) ? port : (port + 1) & 0xffff;
      // active: the server connects from port 20 (or any); passive: the client connects
      const dc = active ? conv(r, h.s, r.chance(0.8) ? 20 : r.int(1024, 65535), h.c, dport) : conv(r, h.c, r.int(1024, 65535), h.s, dport);
      connection(tr, r, dc, 'data');
    }
    say('c', `${cmd(r.pick(['RETR', 'STOR', 'LIST']))} f\r\n`);
    say('s', '226 done\r\n');
  }
  if (r.chance(0.5)) {
    say('c', 'QUIT\r\n');
    say('s', '221 bye\r\n');
    tr.push(cc.fin('s'), 'ctl s FIN');
    tr.push(cc.fin('c'), 'ctl c FIN');
    tr.push(cc.ack('s'), 'ctl s ACK');
  }
  return helpers;
}

function tftpCase(r: Rng, h: Hosts, tr: Trace, notes: string[]): string[] {
  const helpers = r.chance(0.1) ? [] : ['tftp'];
  notes.push('tftp', helpers.length ? 'helper' : 'no-helper');
  const cport = r.int(1024, 65535);
  const q: IpSpec = { src: h.c, dst: h.s };
  const rounds = r.int(1, 2);
  for (let k = 0; k < rounds; k++) {
    const op = r.weighted<number>([
      [1, 5],
      [2, 3],
      [5, 0.5],
      [4, 0.5],
    ]);
    const req = new Uint8Array([0, op, ...bytes(`file${k}\0octet\0`)]);
    const n = r.chance(0.1) ? 2 : 1;
    for (let i = 0; i < n; i++) tr.push(udp(q, { sport: cport, dport: 69, payload: req }), `c>s:69 tftp op=${op}`);
    const who = r.weighted<'server' | 'other' | 'none' | 'wrongPort'>([
      ['server', 8],
      ['other', 1],
      ['none', 1],
      ['wrongPort', 1],
    ]);
    notes.push(`op${op}:${who}`);
    if (who === 'none') continue;
    const src = who === 'other' ? h.o : h.s;
    const tid = r.int(1024, 65535);
    const dst = who === 'wrongPort' ? (cport + 1) & 0xffff : cport;
    const blocks = r.int(1, 3);
    for (let b = 1; b <= blocks; b++) {
      const reply = op === 2 ? new Uint8Array([0, 4, 0, b - 1]) : new Uint8Array([0, 3, 0, b, ...filler(r.int(0, 512), b)]);
      tr.push(udp({ src, dst: h.c }, { sport: tid, dport: dst, payload: reply }), `${who === 'other' ? 'o' : 's'}:${tid}>c:${dst} tftp ${op === 2 ? 'ACK' : 'DATA'} ${b}`);
      tr.push(udp({ src: h.c, dst: src }, { sport: dst, dport: tid, payload: new Uint8Array([0, 4, 0, b]) }), `c:${dst}>${who === 'other' ? 'o' : 's'}:${tid} tftp ACK ${b}`);
    }
  }
  return helpers;
}

export function generateHelperCase(seed: number, index: number): FuzzCase {
  const r = caseRng(seed, index);
  const h = randHosts(r);
  const tr = new Trace(r);
  const notes: string[] = [h.v6 ? 'v6' : 'v4'];
  const helpers = r.chance(0.65) ? ftpCase(r, h, tr, notes) : tftpCase(r, h, tr, notes);
  const pk = perturb(r, tr.out, notes, { lose: 0.08, swap: 0.1 });
  return { name: `fuzz_helper_${seed}_${index}`, seed, index, sysctls: {}, summary: notes.join(' '), packets: pk, helpers };
}
