/**
 * Random but plausible TCP conversations for differential fuzzing against the live kernel.
 * Deterministic: the same (seed, index) always gives the same packets.
 *
 * Two endpoints are simulated (snd.nxt, what the peer acknowledged, advertised windows, window
 * scale, SACK, timestamps); a random script of actions is played on them (data, ACKs, partial
 * and duplicate ACKs with SACK blocks, retransmissions, keep-alives, zero windows and probes,
 * window updates, RSTs with good and bad sequence numbers, FINs, data after FIN, SYNs on the
 * established connection with challenge ACK, out-of-window data and ACKs of unsent data), then
 * the "capture" loses and reorders some packets.
 */
import { TCP_FLAGS as F, filler, tcp, type IpSpec, type TcpOptions } from '../lib/packet-builder.js';
import { caseRng, perturb, type CasePacket, type FuzzCase, type Rng } from './case-common.js';

export type { CasePacket, FuzzCase } from './case-common.js';

type Side = 'c' | 's';
const other = (s: Side): Side => (s === 'c' ? 's' : 'c');

interface Ep {
  addr: string;
  port: number;
  isn: number;
  nxt: number;
  /** how far the peer's data has been received (what we would ACK) */
  rcv: number;
  winRaw: number;
  mss: number;
  wscaleOpt: number | undefined;
  sackPerm: boolean;
  ts: number;
  finSent: boolean;
  sent: Array<{ seq: number; len: number; flags: number }>;
  lastAck: number;
}

const u = (x: number): number => x >>> 0;

function flagNames(f: number): string {
  const n: string[] = [];
  if (f & F.SYN) n.push('SYN');
  if (f & F.FIN) n.push('FIN');
  if (f & F.RST) n.push('RST');
  if (f & F.PSH) n.push('PSH');
  if (f & F.ACK) n.push('ACK');
  return n.join('|') || 'none';
}

class Conv {
  readonly ep: Record<Side, Ep>;
  readonly out: CasePacket[] = [];
  t = 0;
  scaleOn = false;
  tsOn = false;
  sackOn: Record<Side, boolean> = { c: false, s: false };
  constructor(
    readonly r: Rng,
    readonly v6: boolean,
    c: Ep,
    s: Ep,
  ) {
    this.ep = { c, s };
  }

  /** the effective window `side` advertises, as the peer would believe it */
  effWin(side: Side): number {
    const e = this.ep[side];
    const sh = this.scaleOn ? Math.min(e.wscaleOpt ?? 0, 14) : 0;
    return e.winRaw * 2 ** sh;
  }

  emit(from: Side, flags: number, o: { seq?: number; ack?: number; len?: number; win?: number; sack?: Array<[number, number]>; syn?: boolean; advance?: boolean } = {}): void {
    const me = this.ep[from];
    const peer = this.ep[other(from)];
    const len = o.len ?? 0;
    const seq = u(o.seq ?? me.nxt);
    const ack = flags & F.ACK ? u(o.ack ?? me.rcv) : 0;
    const opts: TcpOptions = {};
    let hasOpts = false;
    if (flags & F.SYN) {
      opts.mss = me.mss;
      if (me.sackPerm) opts.sackPerm = true;
      if (me.wscaleOpt !== undefined) opts.wscale = me.wscaleOpt;
      hasOpts = true;
    }
    if (this.tsOn || (flags & F.SYN && me.ts)) {
      me.ts = u(me.ts + this.r.int(1, 20));
      opts.ts = [me.ts, flags & F.ACK ? peer.ts : 0];
      hasOpts = true;
    }
    if (o.sack && o.sack.length) {
      opts.sack = o.sack.slice(0, this.tsOn ? 3 : 4);
      hasOpts = true;
    }
    const ip: IpSpec = { src: me.addr, dst: peer.addr };
    const win = o.win ?? me.winRaw;
    const data = tcp(ip, {
      sport: me.port,
      dport: peer.port,
      seq,
      ack,
      flags,
      win,
      ...(hasOpts ? { options: opts } : {}),
      ...(len ? { payload: filler(len, seq & 0xff) } : {}),
    });
    this.t += this.r.chance(0.5) ? 0 : 1;
    this.out.push({
      tMs: this.t,
      data,
      desc: `${from}>${other(from)} ${flagNames(flags)} seq=${seq} ack=${ack} win=${win} len=${len}${o.sack ? ' sack=' + JSON.stringify(o.sack) : ''}`,
    });
    if (o.advance !== false && o.seq === undefined) {
      let adv = len;
      if (flags & F.SYN) adv++;
      if (flags & F.FIN) adv++;
      me.nxt = u(me.nxt + adv);
    }
    if (len || flags & (F.SYN | F.FIN)) me.sent.push({ seq, len, flags });
    if (flags & F.ACK) me.lastAck = ack;
  }

  /** the receiver gets everything sent so far (receivers here never lose data) */
  deliver(to: Side): void {
    this.ep[to].rcv = this.ep[other(to)].nxt;
  }
}

const WINDOWS = [0, 1, 100, 512, 1000, 2048, 8192, 29200, 64240, 65160, 65535] as const;
const MSS = [536, 1220, 1400, 1460, 8960] as const;

function randIsn(r: Rng): number {
  return r.weighted<() => number>([
    [() => r.u32(), 6],
    [() => u(0x100000000 - r.int(1, 200000)), 3], // just below the wrap
    [() => u(0xffffffff), 0.3],
    [() => r.int(0, 5000), 0.7],
  ])();
}

function randScale(r: Rng): number | undefined {
  return r.weighted<number | undefined>([
    [undefined, 3],
    [0, 1],
    [1, 0.5],
    [2, 1],
    [5, 1],
    [7, 4],
    [8, 1],
    [9, 1],
    [10, 0.5],
    [13, 0.3],
    [14, 1],
    [15, 0.3],
  ]);
}

function randSysctls(r: Rng): Record<string, number> {
  const s: Record<string, number> = {};
  if (r.chance(0.12)) s['net.netfilter.nf_conntrack_tcp_be_liberal'] = 1;
  if (r.chance(0.12)) s['net.netfilter.nf_conntrack_tcp_ignore_invalid_rst'] = 1;
  if (r.chance(0.05)) s['net.netfilter.nf_conntrack_tcp_loose'] = 0;
  if (r.chance(0.04)) s['net.netfilter.nf_conntrack_tcp_max_retrans'] = r.pick([0, 1, 5]);
  return s;
}

type Action =
  | 'data'
  | 'ack'
  | 'partialAck'
  | 'sackAck'
  | 'dupAcks'
  | 'retransmit'
  | 'keepalive'
  | 'zeroWindow'
  | 'probe'
  | 'winUpdate'
  | 'rst'
  | 'fin'
  | 'dataBeyond'
  | 'ackUnsent'
  | 'oldAck'
  | 'synInEst'
  | 'randomSeq'
  | 'bigData';

const ACTIONS: ReadonlyArray<readonly [Action, number]> = [
  ['data', 30],
  ['ack', 20],
  ['partialAck', 4],
  ['sackAck', 5],
  ['dupAcks', 3],
  ['retransmit', 7],
  ['keepalive', 3],
  ['zeroWindow', 2],
  ['probe', 2],
  ['winUpdate', 4],
  ['rst', 2.5],
  ['fin', 3.5],
  ['dataBeyond', 3],
  ['ackUnsent', 2.5],
  ['oldAck', 2],
  ['synInEst', 1.5],
  ['randomSeq', 1],
  ['bigData', 2],
];

export function generateCase(seed: number, index: number): FuzzCase {
  const r = caseRng(seed, index);
  const v6 = r.chance(0.3);
  const cport = r.int(1024, 65535);
  const sport = r.pick([22, 80, 443, 8080, r.int(1, 65535)]);
  const mkEp = (addr: string, port: number): Ep => {
    const isn = randIsn(r);
    return {
      addr,
      port,
      isn,
      nxt: isn,
      rcv: 0,
      winRaw: r.pick(WINDOWS.slice(3)),
      mss: r.pick(MSS),
      wscaleOpt: randScale(r),
      sackPerm: r.chance(0.7),
      ts: r.chance(0.5) ? r.u32() : 0,
      finSent: false,
      sent: [],
      lastAck: 0,
    };
  };
  const c = mkEp(v6 ? `2001:db8:${r.int(1, 0xffff).toString(16)}::5` : `192.168.${r.int(0, 255)}.${r.int(1, 254)}`, cport);
  const s = mkEp(v6 ? `2001:db8:ffff::${r.int(1, 0xffff).toString(16)}` : `10.${r.int(0, 255)}.${r.int(0, 255)}.${r.int(1, 254)}`, sport);
  const cv = new Conv(r, v6, c, s);
  /** A new handshake on the same ports, the client starting at `isn`. */
  const reopen = (isn: number): void => {
    c.isn = c.nxt = isn;
    c.sent = [];
    s.isn = s.nxt = randIsn(r);
    s.sent = [];
    cv.emit('c', F.SYN);
    cv.deliver('s');
    cv.emit('s', F.SYN | F.ACK);
    cv.deliver('c');
    cv.emit('c', F.ACK);
  };
  const sysctls = randSysctls(r);
  const start = r.weighted<'handshake' | 'simopen' | 'midstream' | 'synRetrans'>([
    ['handshake', 70],
    ['synRetrans', 8],
    ['simopen', 7],
    ['midstream', 15],
  ]);
  const notes: string[] = [`${v6 ? 'v6' : 'v4'}`, start];
  // ---- opening -----------------------------------------------------------------------------
  if (start === 'midstream') {
    // both sides already talked; the scaling agreement is unknown to the tracker
    cv.scaleOn = c.wscaleOpt !== undefined && s.wscaleOpt !== undefined;
    cv.tsOn = c.ts !== 0 && s.ts !== 0;
    c.nxt = u(c.isn + r.int(1, 1000000));
    s.nxt = u(s.isn + r.int(1, 1000000));
    cv.deliver('c');
    cv.deliver('s');
  } else {
    cv.emit('c', F.SYN);
    if (start === 'synRetrans') {
      const n = r.int(1, 3);
      for (let i = 0; i < n; i++) cv.emit('c', F.SYN, { seq: c.isn });
    }
    if (start === 'simopen') {
      cv.emit('s', F.SYN);
      cv.deliver('c');
      cv.deliver('s');
      cv.emit('c', F.SYN | F.ACK, { seq: c.isn });
      cv.emit('s', F.SYN | F.ACK, { seq: s.isn });
    } else {
      cv.deliver('s');
      if (r.chance(0.04)) {
        // refused
        cv.emit('s', F.RST | F.ACK, { seq: 0 });
      } else {
        cv.emit('s', F.SYN | F.ACK);
        if (r.chance(0.1)) cv.emit('s', F.SYN | F.ACK, { seq: s.isn });
        cv.deliver('c');
      }
    }
    cv.scaleOn = c.wscaleOpt !== undefined && s.wscaleOpt !== undefined;
    cv.tsOn = c.ts !== 0 && s.ts !== 0;
    cv.sackOn = { c: c.sackPerm && s.sackPerm, s: c.sackPerm && s.sackPerm };
    cv.emit('c', F.ACK);
    if (start === 'simopen') cv.emit('s', F.ACK);
  }
  if (cv.scaleOn) {
    // after the handshake, windows are scaled: keep the raw values modest
    c.winRaw = Math.max(1, c.winRaw >> Math.min(c.wscaleOpt ?? 0, 10));
    s.winRaw = Math.max(1, s.winRaw >> Math.min(s.wscaleOpt ?? 0, 10));
  }
  // ---- the conversation ---------------------------------------------------------------------
  const steps = r.int(3, 30);
  for (let i = 0; i < steps; i++) {
    const side: Side = r.chance(0.55) ? 'c' : 's';
    const me = cv.ep[side];
    const peer = cv.ep[other(side)];
    const act = r.weighted(ACTIONS);
    notes.push(`${side}:${act}`);
    switch (act) {
      case 'data': {
        const room = Math.max(0, u(peer.lastAck + cv.effWin(other(side)) - me.nxt));
        let len = r.int(1, Math.min(me.mss, 1460));
        if (room > 0 && room < 0x40000000 && r.chance(0.8)) len = Math.max(1, Math.min(len, room));
        cv.emit(side, F.ACK | (r.chance(0.5) ? F.PSH : 0), { len });
        if (r.chance(0.6)) {
          cv.deliver(other(side));
          if (r.chance(0.7)) cv.emit(other(side), F.ACK);
        }
        break;
      }
      case 'bigData': {
        cv.emit(side, F.ACK | F.PSH, { len: r.int(1461, 9000) });
        cv.deliver(other(side));
        break;
      }
      case 'ack':
        cv.deliver(side);
        cv.emit(side, F.ACK);
        break;
      case 'partialAck': {
        const una = peer.sent.length ? peer.sent[r.int(0, peer.sent.length - 1)]!.seq : peer.nxt;
        cv.emit(side, F.ACK, { ack: una });
        break;
      }
      case 'sackAck': {
        const last = peer.sent[peer.sent.length - 1];
        const base = last ? last.seq : peer.nxt;
        const blocks: Array<[number, number]> = [];
        const n = r.int(1, 3);
        for (let k = 0; k < n; k++) {
          const lo = u(base + r.int(0, 3000));
          const hi = r.chance(0.75) ? u(Math.min(lo + r.int(1, 1500), base + (u(peer.nxt - base) || 1))) : u(lo + r.int(1, 5000000));
          blocks.push([lo, hi]);
        }
        cv.emit(side, F.ACK, { ack: r.chance(0.5) ? base : me.rcv, sack: blocks });
        break;
      }
      case 'dupAcks': {
        const n = r.int(2, 4);
        for (let k = 0; k < n; k++) cv.emit(side, F.ACK, { ack: me.lastAck || me.rcv });
        break;
      }
      case 'retransmit': {
        const segs = me.sent.filter((x) => x.len > 0 || x.flags & F.FIN);
        const seg = segs.length ? r.pick(segs) : undefined;
        if (!seg) break;
        const times = r.chance(0.2) ? r.int(3, 6) : r.int(1, 2);
        for (let k = 0; k < times; k++) cv.emit(side, seg.flags & F.FIN ? F.FIN | F.ACK : F.ACK | F.PSH, { seq: seg.seq, len: seg.len });
        break;
      }
      case 'keepalive': {
        const withByte = r.chance(0.4);
        cv.emit(side, F.ACK, { seq: u(me.nxt - 1), len: withByte ? 1 : 0 });
        if (r.chance(0.7)) cv.emit(other(side), F.ACK);
        break;
      }
      case 'zeroWindow':
        cv.deliver(side);
        me.winRaw = 0;
        cv.emit(side, F.ACK);
        break;
      case 'probe':
        cv.emit(side, F.ACK, { len: 1, advance: false });
        if (r.chance(0.5)) cv.emit(other(side), F.ACK);
        break;
      case 'winUpdate':
        me.winRaw = r.pick(WINDOWS);
        if (cv.scaleOn && r.chance(0.7)) me.winRaw = Math.max(1, me.winRaw >> 4);
        cv.deliver(side);
        cv.emit(side, F.ACK);
        break;
      case 'rst': {
        const how = r.weighted<'exact' | 'inwin' | 'far' | 'old'>([
          ['exact', 4],
          ['inwin', 2],
          ['far', 2],
          ['old', 2],
        ]);
        notes.push(how);
        const seq = how === 'exact' ? me.nxt : how === 'inwin' ? u(me.nxt + r.int(1, 2000)) : how === 'far' ? u(me.nxt + r.int(0x100000, 0x7fffffff)) : u(me.nxt - r.int(1, 100000));
        cv.emit(side, r.chance(0.5) ? F.RST | F.ACK : F.RST, { seq });
        if (how === 'exact' && r.chance(0.4)) {
          reopen(randIsn(r)); // port reuse: new connection on the same tuple
        }
        break;
      }
      case 'fin':
        cv.deliver(side);
        if (me.finSent) {
          // data after FIN
          cv.emit(side, F.ACK | F.PSH, { len: r.int(1, 200) });
        } else {
          me.finSent = true;
          cv.emit(side, F.FIN | F.ACK, { len: r.chance(0.3) ? r.int(1, 300) : 0 });
        }
        if (r.chance(0.7)) {
          cv.deliver(other(side));
          cv.emit(other(side), F.ACK);
        }
        break;
      case 'dataBeyond':
        cv.emit(side, F.ACK | F.PSH, { seq: u(me.nxt + r.pick([cv.effWin(other(side)) + 1, cv.effWin(other(side)) + r.int(1, 100000), r.int(1000, 0x7fffffff)])), len: r.int(1, 500) });
        break;
      case 'ackUnsent':
        cv.emit(side, F.ACK, { ack: u(peer.nxt + r.pick([1, r.int(2, 70000), r.int(70000, 0x7fffffff)])) });
        break;
      case 'oldAck':
        cv.emit(side, F.ACK, { ack: u(peer.nxt - r.pick([1, r.int(2, 70000), r.int(70000, 0x7fffffff)])) });
        break;
      case 'synInEst': {
        const isn = randIsn(r);
        cv.emit('c', F.SYN, { seq: isn });
        if (r.chance(0.7)) {
          // challenge ACK, then the client's RST with its ack number
          cv.emit('s', F.ACK);
          if (r.chance(0.8)) {
            cv.emit('c', F.RST, { seq: s.lastAck });
            if (r.chance(0.7)) reopen(isn);
          }
        }
        break;
      }
      case 'randomSeq':
        cv.emit(side, r.pick([F.ACK, F.ACK | F.PSH, F.RST, F.FIN | F.ACK]), { seq: r.u32(), ack: r.u32(), len: r.chance(0.5) ? r.int(1, 100) : 0 });
        break;
    }
  }
  // ---- what the capture saw: losses and reordering ------------------------------------------
  const pk = perturb(r, cv.out, notes, { lose: 0.35, swap: 0.3 });
  const name = `fuzz_${seed}_${index}`;
  return { name, seed, index, sysctls, summary: notes.join(' '), packets: pk };
}
