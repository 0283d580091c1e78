/**
 * Random but plausible UDP and UDP-Lite exchanges for differential fuzzing against the live
 * kernel: requests and replies (so entries become replied and sometimes ASSURED), answers from
 * another port or host, several client ports, and perturbations the tracker must reject: bad
 * checksums, zero checksums (allowed for UDP over IPv4 only), length fields that lie, UDP-Lite
 * coverage values out of range and the RFC pseudo-header protocol the 6.18 kernel does not use.
 * Deterministic from (seed, index).
 */
import { PROTO, filler, ipPacket, udpDatagram, udplite, type IpSpec } from '../lib/packet-builder.js';
import { Trace, caseRng, randSysctls, perturb, randHosts, type FuzzCase, type Rng } from './case-common.js';

const PORTS = [53, 123, 161, 500, 514, 1194, 4500, 5060] as const;

/** A UDP datagram with one random defect, or none; the description names it. */
function udpPacket(r: Rng, ip: IpSpec, sport: number, dport: number, len: number, lite: boolean): { data: Uint8Array; what: string } {
  const payload = filler(len, sport & 0xff);
  if (lite) {
    const defect = r.weighted<'none' | 'rfcPseudo' | 'badsum' | 'zerosum' | 'cov' | 'covBad'>([
      ['none', 14],
      ['rfcPseudo', 1],
      ['badsum', 1],
      ['zerosum', 1],
      ['cov', 2],
      ['covBad', 1.5],
    ]);
    const coverage = defect === 'cov' ? r.pick([8, 8 + Math.min(len, 4), 8 + len]) : defect === 'covBad' ? r.pick([1, 7, 9 + len, 4000]) : 0;
    const data = udplite(ip, {
      sport,
      dport,
      payload,
      coverage,
      ...(defect === 'rfcPseudo' ? { pseudoProto: PROTO.UDPLITE } : {}),
      badChecksum: defect === 'badsum',
      zeroChecksum: defect === 'zerosum',
    });
    return { data, what: defect === 'none' ? '' : ` ${defect}${coverage ? '=' + coverage : ''}` };
  }
  const defect = r.weighted<'none' | 'badsum' | 'zerosum' | 'longLen' | 'shortLen' | 'tinyLen' | 'truncHdr'>([
    ['none', 20],
    ['badsum', 1.5],
    ['zerosum', 1.5],
    ['longLen', 0.7],
    ['shortLen', 0.7],
    ['tinyLen', 0.5],
    ['truncHdr', 0.4],
  ]);
  const d = udpDatagram(ip, {
    sport,
    dport,
    payload,
    badChecksum: defect === 'badsum',
    zeroChecksum: defect === 'zerosum',
    ...(defect === 'longLen' ? { length: 8 + len + r.int(1, 100) } : defect === 'shortLen' ? { length: 8 + r.int(0, Math.max(0, len - 1)) } : defect === 'tinyLen' ? { length: r.int(0, 7) } : {}),
    ...(defect === 'truncHdr' ? { truncateTo: r.int(0, 7) } : {}),
  });
  return { data: ipPacket(ip, PROTO.UDP, d), what: defect === 'none' ? '' : ` ${defect}` };
}

const SYSCTLS = [
  ['nf_conntrack_checksum', 0.08, [0]],
  ['nf_conntrack_udp_timeout', 0.1, [1, 10, 45, 200]],
  ['nf_conntrack_udp_timeout_stream', 0.1, [5, 60, 300]],
] as const;

export function generateUdpCase(seed: number, index: number): FuzzCase {
  const r = caseRng(seed, index);
  const h = randHosts(r);
  const lite = r.chance(0.2);
  const sysctls = randSysctls(r, SYSCTLS);
  const tr = new Trace(r);
  const notes: string[] = [h.v6 ? 'v6' : 'v4', lite ? 'udplite' : 'udp'];
  const cports = [r.int(1024, 65535)];
  if (r.chance(0.3)) cports.push(r.int(1024, 65535));
  const sport = r.chance(0.7) ? r.pick(PORTS) : r.int(1, 65535);
  const send = (from: 'c' | 's' | 'o', to: 'c' | 's', a: number, b: number): void => {
    const src = h[from];
    const dst = h[to];
    const len = r.weighted<number>([
      [r.int(0, 64), 6],
      [r.int(65, 1400), 3],
      [0, 1],
    ]);
    const p = udpPacket(r, { src, dst }, a, b, len, lite);
    tr.push(p.data, `${from}>${to} ${a}>${b} len=${len}${p.what}`);
  };
  const steps = r.int(1, 14);
  for (let i = 0; i < steps; i++) {
    const cp = r.pick(cports);
    const act = r.weighted<'request' | 'reply' | 'exchange' | 'otherPort' | 'otherHost' | 'serverFirst' | 'burst'>([
      ['exchange', 8],
      ['request', 4],
      ['reply', 3],
      ['burst', 1.5],
      ['otherPort', 1],
      ['otherHost', 0.7],
      ['serverFirst', 0.5],
    ]);
    notes.push(act);
    switch (act) {
      case 'exchange':
        send('c', 's', cp, sport);
        send('s', 'c', sport, cp);
        break;
      case 'request':
        send('c', 's', cp, sport);
        break;
      case 'reply':
        send('s', 'c', sport, cp);
        break;
      case 'burst': {
        const n = r.int(2, 5);
        for (let k = 0; k < n; k++) {
          if (r.chance(0.6)) send('c', 's', cp, sport);
          else send('s', 'c', sport, cp);
        }
        break;
      }
      case 'otherPort':
        // the server answers from another port (TFTP-like without a helper)
        send('s', 'c', r.int(1024, 65535), cp);
        break;
      case 'otherHost':
        send('o', 'c', sport, cp);
        break;
      case 'serverFirst':
        send('s', 'c', sport, r.int(1024, 65535));
        break;
    }
  }
  const pk = perturb(r, tr.out, notes, { lose: 0.2, swap: 0.25, dup: 0.15 });
  return { name: `fuzz_udp_${seed}_${index}`, seed, index, sysctls, summary: notes.join(' '), packets: pk };
}
