/**
 * Random but plausible ICMP and ICMPv6 traffic for differential fuzzing against the live kernel:
 * echo requests and replies (matching, unmatched, wrong identifier, duplicated), informational
 * types the tracker does or does not know, and ICMP errors quoting a flow (UDP, TCP or echo):
 * from a router or from the peer, quoting the original or the reply direction, quoting flows that
 * do not exist, with the outer destination not matching the quote, truncated quotes, bad
 * checksums and errors quoting errors. Deterministic from (seed, index).
 */
import { TCP_FLAGS as F, filler, icmp, icmp6, icmpError, tcp, udp, type IpSpec } from '../lib/packet-builder.js';
import { Trace, caseRng, randSysctls, perturb, randHosts, u32, type FuzzCase, type Hosts } from './case-common.js';

type Kind = 'udp' | 'tcp' | 'echo';

interface Flow {
  kind: Kind;
  cport: number;
  sport: number;
  id: number;
  seq: number;
  cIsn: number;
  sIsn: number;
}

function echo(h: Hosts, ip: IpSpec, request: boolean, id: number, seq: number, extra: { badChecksum?: boolean; len?: number } = {}): Uint8Array {
  const spec = { type: h.v6 ? (request ? 128 : 129) : request ? 8 : 0, id, seq, payload: filler(extra.len ?? 32, seq & 0xff), badChecksum: extra.badChecksum ?? false };
  return h.v6 ? icmp6(ip, spec) : icmp(ip, spec);
}

/** The flow's packet in the original (c>s) or reply (s>c) direction. */
function flowPacket(h: Hosts, f: Flow, reply: boolean): Uint8Array {
  const ip: IpSpec = reply ? { src: h.s, dst: h.c } : { src: h.c, dst: h.s };
  const [a, b] = reply ? [f.sport, f.cport] : [f.cport, f.sport];
  switch (f.kind) {
    case 'udp':
      return udp(ip, { sport: a, dport: b, payload: filler(20, a & 0xff) });
    case 'tcp':
      return reply
        ? tcp(ip, { sport: a, dport: b, seq: f.sIsn, ack: u32(f.cIsn + 1), flags: F.SYN | F.ACK, options: { mss: 1460 } })
        : tcp(ip, { sport: a, dport: b, seq: f.cIsn, flags: F.SYN, options: { mss: 1460 } });
    case 'echo':
      return echo(h, ip, !reply, f.id, f.seq);
  }
}

const V4_ERRORS: ReadonlyArray<readonly [number, number[]]> = [
  [3, [0, 1, 2, 3, 4, 9, 10, 13]],
  [11, [0, 1]],
  [12, [0]],
  [4, [0]],
  [5, [0, 1]],
];
const V6_ERRORS: ReadonlyArray<readonly [number, number[]]> = [
  [1, [0, 1, 3, 4, 6]],
  [2, [0]],
  [3, [0, 1]],
  [4, [0, 1, 2]],
];

const SYSCTLS = [
  ['nf_conntrack_checksum', 0.06, [0]],
  ['nf_conntrack_icmp_timeout', 0.08, [1, 10, 60]],
  ['nf_conntrack_icmpv6_timeout', 0.08, [1, 10, 60]],
] as const;

export function generateIcmpCase(seed: number, index: number): FuzzCase {
  const r = caseRng(seed, index);
  const h = randHosts(r);
  const sysctls = randSysctls(r, SYSCTLS);
  const tr = new Trace(r);
  const notes: string[] = [h.v6 ? 'v6' : 'v4'];
  const newFlow = (): Flow => ({
    kind: r.weighted<Kind>([
      ['udp', 3],
      ['tcp', 2],
      ['echo', 3],
    ]),
    cport: r.int(1024, 65535),
    sport: r.pick([53, 80, 443, r.int(1, 65535)]),
    id: r.int(0, 0xffff),
    seq: r.int(0, 0xffff),
    cIsn: r.u32(),
    sIsn: r.u32(),
  });
  const flows: Flow[] = [];
  const steps = r.int(1, 10);
  for (let i = 0; i < steps; i++) {
    const act = r.weighted<'flow' | 'reply' | 'error' | 'echoStray' | 'info' | 'badsum'>([
      ['flow', flows.length ? 3 : 10],
      ['reply', flows.length ? 3 : 0],
      ['error', flows.length ? 6 : 1],
      ['echoStray', 1],
      ['info', 1],
      ['badsum', 0.5],
    ]);
    notes.push(act);
    switch (act) {
      case 'flow': {
        const f = newFlow();
        flows.push(f);
        tr.push(flowPacket(h, f, false), `c>s ${f.kind} ${f.cport}>${f.sport} id=${f.id}`);
        break;
      }
      case 'reply': {
        const f = r.pick(flows);
        tr.push(flowPacket(h, f, true), `s>c ${f.kind} reply`);
        if (f.kind === 'echo' && r.chance(0.3)) tr.push(flowPacket(h, f, true), 's>c echo reply again');
        break;
      }
      case 'echoStray': {
        // a reply nobody asked for, or a request/reply pair with mismatching identifiers
        const id = r.int(0, 0xffff);
        if (r.chance(0.5)) tr.push(echo(h, { src: h.s, dst: h.c }, false, id, 1), `s>c echo reply id=${id} (no request)`);
        else {
          tr.push(echo(h, { src: h.c, dst: h.s }, true, id, 1), `c>s echo request id=${id}`);
          tr.push(echo(h, { src: h.s, dst: h.c }, false, (id + 1) & 0xffff, 1), `s>c echo reply id=${(id + 1) & 0xffff}`);
        }
        break;
      }
      case 'info': {
        // informational types: timestamp/info/address mask (v4), node information and unknown ones
        const type = h.v6 ? r.pick([139, 140, 200, 100, 128]) : r.pick([13, 14, 15, 16, 17, 18, 9, 10, 40, 255]);
        const code = r.chance(0.8) ? 0 : r.int(1, 255);
        const spec = { type, code, id: r.int(0, 0xffff), seq: 1, payload: filler(r.int(0, 24)) };
        tr.push(h.v6 ? icmp6({ src: h.c, dst: h.s }, spec) : icmp({ src: h.c, dst: h.s }, spec), `c>s icmp type=${type} code=${code}`);
        break;
      }
      case 'badsum': {
        const f = flows.find((x) => x.kind === 'echo');
        const id = f ? f.id : r.int(0, 0xffff);
        tr.push(echo(h, { src: h.s, dst: h.c }, false, id, f ? f.seq : 0, { badChecksum: true }), `s>c echo reply id=${id} bad checksum`);
        break;
      }
      case 'error': {
        const f = flows.length && r.chance(0.85) ? r.pick(flows) : newFlow();
        const [type, codes] = r.pick(h.v6 ? V6_ERRORS : V4_ERRORS);
        const code = r.pick(codes);
        const how = r.weighted<'router' | 'peer' | 'replyDir' | 'mismatch' | 'truncated' | 'badsum' | 'nested' | 'otherPort'>([
          ['router', 5],
          ['peer', 3],
          ['replyDir', 2],
          ['mismatch', 1],
          ['truncated', 1.5],
          ['badsum', 0.7],
          ['nested', 0.7],
          ['otherPort', 1],
        ]);
        notes.push(how);
        const quotedReply = how === 'replyDir';
        let quoted = flowPacket(h, how === 'otherPort' ? { ...f, cport: (f.cport + 1) & 0xffff, id: (f.id + 1) & 0xffff } : f, quotedReply);
        // who receives the error: the quoted packet's source (mismatch: someone else)
        const to = how === 'mismatch' ? (quotedReply ? h.c : h.s) : quotedReply ? h.s : h.c;
        const from = how === 'peer' ? (quotedReply ? h.c : h.s) : h.o;
        if (how === 'nested') {
          quoted = icmpError({ src: h.s, dst: h.c }, h.v6 ? 1 : 3, h.v6 ? 4 : 3, quoted);
        }
        const rest = type === (h.v6 ? 2 : 3) && (h.v6 || code === 4) ? new Uint8Array([0, 0, 0x05, 0xdc]) : new Uint8Array(4);
        const ipHdr = h.v6 ? 40 : 20;
        const quote = how === 'truncated' ? r.pick([ipHdr - 4, ipHdr, ipHdr + 2, ipHdr + 4, ipHdr + 7]) : undefined;
        const pkt = icmpError({ src: from, dst: to }, type, code, quoted, { rest, badChecksum: how === 'badsum', ...(quote !== undefined ? { quote } : {}) });
        tr.push(pkt, `${from === h.o ? 'o' : from === h.s ? 's' : 'c'}>${to === h.c ? 'c' : 's'} icmp error ${type}/${code} quoting ${f.kind}${quotedReply ? ' reply' : ''} ${how}${quote !== undefined ? ' quote=' + quote : ''}`);
        break;
      }
    }
  }
  const pk = perturb(r, tr.out, notes, { lose: 0.1, swap: 0.2, dup: 0.1 });
  return { name: `fuzz_icmp_${seed}_${index}`, seed, index, sysctls, summary: notes.join(' '), packets: pk };
}
