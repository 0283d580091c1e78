/**
 * Random but plausible SCTP associations for differential fuzzing against the live kernel:
 * INIT, INIT-ACK, COOKIE-ECHO, COOKIE-ACK, then DATA/SACK, HEARTBEAT(-ACK), SHUTDOWN sequences,
 * ABORT (with and without the T bit), restarts and INIT collisions, ERROR and unknown chunks,
 * bundles, and perturbations: wrong verification tags, bad CRC32c, chunks out of order,
 * associations first seen mid-way. Deterministic from (seed, index).
 */
import { concat, filler, sctp, sctpInitValue, type IpSpec, type SctpChunk } from '../lib/packet-builder.js';
import { Trace, caseRng, randSysctls, perturb, randHosts, type FuzzCase } from './case-common.js';

const CID = { DATA: 0, INIT: 1, INIT_ACK: 2, SACK: 3, HEARTBEAT: 4, HEARTBEAT_ACK: 5, ABORT: 6, SHUTDOWN: 7, SHUTDOWN_ACK: 8, ERROR: 9, COOKIE_ECHO: 10, COOKIE_ACK: 11, SHUTDOWN_COMPLETE: 14 } as const;
const NAMES = Object.fromEntries(Object.entries(CID).map(([k, v]) => [v, k])) as Record<number, string>;

function be32(x: number): Uint8Array {
  return new Uint8Array([x >>> 24, (x >>> 16) & 255, (x >>> 8) & 255, x & 255]);
}

type Side = 'c' | 's';

const SYSCTLS = [
  ['nf_conntrack_checksum', 0.06, [0]],
  ['nf_conntrack_sctp_timeout_established', 0.06, [30, 600]],
] as const;

export function generateSctpCase(seed: number, index: number): FuzzCase {
  const r = caseRng(seed, index);
  const h = randHosts(r);
  const sysctls = randSysctls(r, SYSCTLS);
  const tr = new Trace(r);
  const notes: string[] = [h.v6 ? 'v6' : 'v4'];
  const port: Record<Side, number> = { c: r.int(1024, 65535), s: r.pick([36412, 2905, 3868, 5060, r.int(1, 65535)]) };
  // tag[x]: the tag x chose (the peer must put it in its packets)
  const tag: Record<Side, number> = { c: r.u32() || 1, s: r.u32() || 1 };
  const tsn: Record<Side, number> = { c: r.u32(), s: r.u32() };
  const peer = (x: Side): Side => (x === 'c' ? 's' : 'c');
  /** Sends chunks from `from` with the right tag unless told otherwise; a few get a bad CRC. */
  const send = (from: Side, chunks: SctpChunk[], o: { vtag?: number; why?: string } = {}): void => {
    const ip: IpSpec = { src: h[from], dst: h[peer(from)] };
    let vtag = o.vtag ?? tag[peer(from)];
    let what = o.why ?? '';
    if (o.vtag === undefined && r.chance(0.05)) {
      vtag = r.chance(0.5) ? r.u32() : tag[from];
      what += ' wrong-vtag';
    }
    const pkt = sctp(ip, { sport: port[from], dport: port[peer(from)], vtag, chunks });
    if (r.chance(0.03)) {
      pkt[(h.v6 ? 40 : 20) + 8 + r.int(0, 3)]! ^= 0x5a;
      what += ' bad-crc';
    }
    tr.push(pkt, `${from}>${peer(from)} vtag=${vtag.toString(16)} ${chunks.map((c) => NAMES[c.type] ?? `type${c.type}` + (c.flags ? `/${c.flags}` : '')).join('+')}${what}`);
  };
  const init = (x: Side): SctpChunk => ({ type: CID.INIT, value: sctpInitValue(tag[x], tsn[x]) });
  const initAck = (x: Side): SctpChunk => ({ type: CID.INIT_ACK, value: concat(sctpInitValue(tag[x], tsn[x]), new Uint8Array([0, 7, 0, 12]), filler(8, tag[x] & 0xff)) });
  const data = (x: Side): SctpChunk => {
    tsn[x] = (tsn[x] + 1) >>> 0;
    return { type: CID.DATA, flags: 3, value: concat(be32(tsn[x]), new Uint8Array(8), filler(r.int(1, 64), tsn[x] & 0xff)) };
  };
  const sack = (x: Side): SctpChunk => ({ type: CID.SACK, value: concat(be32(tsn[peer(x)]), new Uint8Array([0, 1, 0, 0, 0, 0, 0, 0])) });
  const hb: SctpChunk = { type: CID.HEARTBEAT, value: concat(new Uint8Array([0, 1, 0, 12]), filler(8, 4)) };
  const hbAck: SctpChunk = { type: CID.HEARTBEAT_ACK, value: hb.value };
  const empty = (type: number, flags = 0): SctpChunk => ({ type, flags, value: new Uint8Array(0) });

  const start = r.weighted<'handshake' | 'partial' | 'midstream' | 'heartbeatFirst' | 'collision'>([
    ['handshake', 12],
    ['partial', 2],
    ['midstream', 2],
    ['heartbeatFirst', 1],
    ['collision', 1],
  ]);
  notes.push(start);
  if (start === 'handshake' || start === 'partial') {
    const n = start === 'handshake' ? 4 : r.int(1, 3);
    if (r.chance(0.1)) send('c', [init('c')], { vtag: 0, why: ' (retransmit follows)' });
    send('c', [init('c')], { vtag: 0 });
    if (n > 1) send('s', [initAck('s')]);
    if (n > 2) send('c', r.chance(0.2) ? [{ type: CID.COOKIE_ECHO, value: filler(8) }, data('c')] : [{ type: CID.COOKIE_ECHO, value: filler(8) }]);
    if (n > 3) send('s', [empty(CID.COOKIE_ACK)]);
  } else if (start === 'heartbeatFirst') {
    send('c', [hb]);
    send('s', [hbAck]);
  } else if (start === 'collision') {
    send('c', [init('c')], { vtag: 0 });
    send('s', [init('s')], { vtag: 0 });
    send('s', [initAck('s')]);
    send('c', [initAck('c')]);
  }
  const steps = r.int(1, 14);
  for (let i = 0; i < steps; i++) {
    const x: Side = r.chance(0.55) ? 'c' : 's';
    const act = r.weighted<string>([
      ['data', 12],
      ['sack', 5],
      ['bundle', 2],
      ['heartbeat', 3],
      ['shutdown', 3],
      ['abort', 1.5],
      ['restart', 1],
      ['cookieAgain', 1],
      ['error', 1],
      ['unknown', 1],
      ['badBundle', 0.7],
      ['shutdownComplete', 0.7],
    ]);
    notes.push(`${x}:${act}`);
    switch (act) {
      case 'data':
        send(x, [data(x)]);
        if (r.chance(0.6)) send(peer(x), [sack(peer(x))]);
        break;
      case 'sack':
        send(x, [sack(x)]);
        break;
      case 'bundle':
        send(x, [sack(x), data(x)]);
        break;
      case 'heartbeat':
        send(x, [hb]);
        if (r.chance(0.8)) send(peer(x), [hbAck]);
        break;
      case 'shutdown':
        send(x, [{ type: CID.SHUTDOWN, value: be32(tsn[peer(x)]) }]);
        if (r.chance(0.8)) {
          send(peer(x), [empty(CID.SHUTDOWN_ACK)]);
          if (r.chance(0.8)) send(x, [empty(CID.SHUTDOWN_COMPLETE)]);
        }
        break;
      case 'shutdownComplete': {
        // T bit: the sender reflects its own tag
        const t = r.chance(0.5);
        send(x, [empty(CID.SHUTDOWN_COMPLETE, t ? 1 : 0)], t ? { vtag: tag[x] } : {});
        break;
      }
      case 'abort': {
        const t = r.chance(0.3);
        send(x, [{ type: CID.ABORT, flags: t ? 1 : 0, value: new Uint8Array(0) }], t ? { vtag: tag[x] } : {});
        break;
      }
      case 'restart':
        // the endpoint restarts with a new tag (INIT with vtag 0 on the existing association)
        tag[x] = r.u32() || 1;
        send(x, [init(x)], { vtag: 0 });
        if (r.chance(0.7)) {
          send(peer(x), [initAck(peer(x))]);
          send(x, [{ type: CID.COOKIE_ECHO, value: filler(8) }]);
          send(peer(x), [empty(CID.COOKIE_ACK)]);
        }
        break;
      case 'cookieAgain':
        send('c', [{ type: CID.COOKIE_ECHO, value: filler(8) }]);
        if (r.chance(0.5)) send('s', [empty(CID.COOKIE_ACK)]);
        break;
      case 'error':
        send(x, [{ type: CID.ERROR, value: new Uint8Array([0, 1, 0, 8, 0, 0, 0, 1]) }]);
        break;
      case 'unknown':
        send(x, [{ type: r.pick([15, 63, 0x80, 0xc1, 0xff]), value: filler(r.int(0, 12)) }]);
        break;
      case 'badBundle':
        // INIT must be alone; a SACK chunk too short for its fields
        if (r.chance(0.5)) send(x, [init(x), data(x)], { vtag: 0 });
        else send(x, [data(x), { type: CID.SACK, value: new Uint8Array(0) }]);
        break;
    }
  }
  const pk = perturb(r, tr.out, notes, { lose: 0.15, swap: 0.2, dup: 0.1 });
  return { name: `fuzz_sctp_${seed}_${index}`, seed, index, sysctls, summary: notes.join(' '), packets: pk };
}
