/**
 * The TCP window tracking corpus: edge cases of tcp_in_window() (sequence and ACK bounds,
 * window scaling, SACK, retransmissions, RSTs, FINs, sequence wrap, mid-stream pickup) and
 * the meaningful subset again under nf_conntrack_tcp_be_liberal=1 and
 * nf_conntrack_tcp_ignore_invalid_rst=1. Recorded from the live kernel like the rest of the
 * catalogue; gaps stay short (the recorder sleeps them in real time).
 */
import { TcpConversation, bytes, filler, type TcpEndpoint } from '../lib/packet-builder.js';
import type { Scenario, ScenarioPacket } from './catalog.js';

const C4 = '192.168.1.5';
const S4 = '192.168.1.35';
const C6 = '2001:db8::5';
const S6 = '2001:db8::35';

const LIBERAL = { 'net.netfilter.nf_conntrack_tcp_be_liberal': 1 };
const IGNORE_RST = { 'net.netfilter.nf_conntrack_tcp_ignore_invalid_rst': 1 };

class W {
  t = 0;
  readonly packets: ScenarioPacket[] = [];
  p(data: Uint8Array | Uint8Array[], gapMs = 5): this {
    for (const d of Array.isArray(data) ? data : [data]) {
      if (this.packets.length) this.t += gapMs;
      this.packets.push({ tMs: this.t, data: d, fromClient: true });
    }
    return this;
  }
  s(data: Uint8Array | Uint8Array[], gapMs = 5): this {
    for (const d of Array.isArray(data) ? data : [data]) {
      if (this.packets.length) this.t += gapMs;
      this.packets.push({ tMs: this.t, data: d, fromClient: false });
    }
    return this;
  }
}

interface ConvOpts {
  v6?: boolean;
  cIsn?: number;
  sIsn?: number;
  cWin?: number;
  sWin?: number;
  cScale?: number | undefined;
  sScale?: number | undefined;
  cSack?: boolean;
  sSack?: boolean;
  sport?: number;
}

function mk(o: ConvOpts = {}): TcpConversation {
  const c: TcpEndpoint = { addr: o.v6 ? C6 : C4, port: o.sport ?? 40100, isn: o.cIsn ?? 1000000, win: o.cWin ?? 64240, mss: 1460 };
  const s: TcpEndpoint = { addr: o.v6 ? S6 : S4, port: 80, isn: o.sIsn ?? 5000000, win: o.sWin ?? 65160, mss: 1460 };
  if (o.cSack ?? true) c.sackPerm = true;
  if (o.sSack ?? true) s.sackPerm = true;
  const cs = 'cScale' in o ? o.cScale : 7;
  const ss = 'sScale' in o ? o.sScale : 7;
  if (cs !== undefined) c.wscale = cs;
  if (ss !== undefined) s.wscale = ss;
  return new TcpConversation(c, s);
}

/** handshake + request/response */
function est(w: W, c: TcpConversation): void {
  w.p(c.syn('c'));
  w.s(c.synack('s'));
  w.p(c.ack('c'));
  w.p(c.data('c', bytes('GET / HTTP/1.0\r\n\r\n')));
  w.s(c.ack('s'));
  w.s(c.data('s', bytes('HTTP/1.0 200 OK\r\n\r\nhello')));
  w.p(c.ack('c'));
}

type Body = (w: W) => void;
interface Def {
  name: string;
  description: string;
  body: Body;
  /** also record under be_liberal=1 (`<name>_liberal`) */
  liberal?: boolean;
  /** also record under ignore_invalid_rst=1 (`<name>_ignore_rst`) */
  ignoreRst?: boolean;
}

const defs: Def[] = [
  // ---- sequence upper bound -------------------------------------------------------------------
  {
    name: 'tcp_wt_seq_window_edge',
    description: 'No window scaling, server window 1000: client data starting exactly at the window edge, one byte over it, and far over it',
    liberal: true,
    body: (w) => {
      const c = mk({ cScale: undefined, sScale: undefined, sWin: 1000 });
      est(w, c);
      const base = c.nxt.c;
      w.p(c.data('c', filler(10), { seq: (base + 1000) >>> 0, noAdvance: true }));
      w.p(c.data('c', filler(10), { seq: (base + 1001) >>> 0, noAdvance: true }));
      w.p(c.data('c', filler(10), { seq: (base + 70000) >>> 0, noAdvance: true }));
      w.p(c.data('c', filler(1000)));
      w.s(c.ack('s'));
    },
  },
  {
    name: 'tcp_wt_data_end_beyond_window',
    description: 'Segment starting in window but ending far beyond it (only the start is bounded), then a segment starting where it ended',
    liberal: true,
    body: (w) => {
      const c = mk({ cScale: undefined, sScale: undefined, sWin: 2000 });
      est(w, c);
      w.p(c.data('c', filler(6000)));
      w.p(c.data('c', filler(100)));
      w.s(c.ack('s'));
    },
  },
  {
    name: 'tcp_wt_fill_window_then_over',
    description: 'Sender fills the whole unscaled window of 4000 in four segments without ACKs, then sends beyond it; the ACK opens it again',
    liberal: true,
    body: (w) => {
      const c = mk({ cScale: undefined, sScale: undefined, sWin: 4000 });
      est(w, c);
      for (let i = 0; i < 4; i++) w.p(c.data('c', filler(1000, i)), 1);
      w.p(c.data('c', filler(1000, 9)), 1);
      w.p(c.data('c', filler(1000, 10)), 1);
      w.s(c.ack('s', { win: 4000 }));
      w.p(c.data('c', filler(500)));
      w.s(c.ack('s', { win: 4000 }));
    },
  },
  {
    name: 'tcp_wt_window_shrink',
    description: 'Receiver shrinks its advertised window from 60000 to 100: data at the old right edge is still in window (maxend never shrinks)',
    liberal: true,
    body: (w) => {
      const c = mk({ cScale: undefined, sScale: undefined, sWin: 60000 });
      est(w, c);
      w.s(c.ack('s', { win: 100 }));
      w.p(c.data('c', filler(50), { seq: (c.nxt.c + 50000) >>> 0, noAdvance: true }));
      w.p(c.data('c', filler(50), { seq: (c.nxt.c + 60100) >>> 0, noAdvance: true }));
      w.p(c.data('c', filler(50)));
      w.s(c.ack('s', { win: 100 }));
    },
  },
  // ---- ACK bounds -----------------------------------------------------------------------------
  {
    name: 'tcp_wt_ack_of_unsent_edge',
    description: 'ACKs of the peer\'s next byte, one byte beyond what it sent, and 1 MB beyond',
    liberal: true,
    body: (w) => {
      const c = mk();
      est(w, c);
      w.p(c.ack('c', { ack: c.nxt.s }));
      w.p(c.ack('c', { ack: (c.nxt.s + 1) >>> 0 }));
      w.p(c.ack('c', { ack: (c.nxt.s + 1000000) >>> 0 }));
      w.p(c.data('c', bytes('fine')));
      w.s(c.ack('s'));
    },
  },
  {
    name: 'tcp_wt_ack_below_lower_bound',
    description: 'Overly delayed ACK: ACK far below what the peer sent minus its max window (ACK is under the lower bound)',
    liberal: true,
    body: (w) => {
      const c = mk({ cScale: undefined, sScale: undefined });
      est(w, c);
      w.s(c.data('s', filler(1400)));
      w.p(c.ack('c'));
      w.p(c.ack('c', { ack: (c.nxt.s - 200000) >>> 0 }));
      w.p(c.ack('c', { ack: (c.nxt.s - 1400) >>> 0 }));
      w.s(c.data('s', filler(10)));
      w.p(c.ack('c'));
    },
  },
  {
    name: 'tcp_wt_server_ack_of_unsent',
    description: 'The server (reply direction) ACKs data the client never sent, then normal traffic',
    liberal: true,
    body: (w) => {
      const c = mk();
      est(w, c);
      w.s(c.data('s', filler(100), { ack: (c.nxt.c + 500000) >>> 0 }));
      w.s(c.data('s', filler(100)));
      w.p(c.ack('c'));
    },
  },
  // ---- lower bound: old / retransmitted data ---------------------------------------------------
  {
    name: 'tcp_wt_old_retransmission',
    description: 'Retransmissions of acknowledged data: exact, overlapping the unacknowledged tail, and far below the window',
    liberal: true,
    body: (w) => {
      const c = mk({ cScale: undefined, sScale: undefined });
      est(w, c);
      const s0 = c.nxt.c;
      w.p(c.data('c', filler(1000)));
      w.p(c.data('c', filler(1000, 1)));
      w.s(c.ack('s', { ack: (s0 + 1000) >>> 0 }));
      w.p(c.data('c', filler(1000), { seq: s0 }), 10);
      w.p(c.data('c', filler(1500), { seq: (s0 + 500) >>> 0 }), 10);
      w.p(c.data('c', filler(100), { seq: (s0 - 100000) >>> 0 }), 10);
      w.s(c.ack('s'));
    },
  },
  {
    name: 'tcp_wt_retrans_4_times',
    description: 'The same unacknowledged segment sent five times (nf_conntrack_tcp_max_retrans=3): timeout capped by RETRANS (300 s)',
    liberal: true,
    body: (w) => {
      const c = mk();
      est(w, c);
      const d = c.data('c', filler(800));
      w.p(d);
      for (let i = 0; i < 4; i++) w.p(d, 10);
    },
  },
  {
    name: 'tcp_wt_retrans_then_acked',
    description: 'Five transmissions of the same segment, then the ACK: back to the ESTABLISHED timeout',
    body: (w) => {
      const c = mk();
      est(w, c);
      const d = c.data('c', filler(800));
      w.p(d);
      for (let i = 0; i < 4; i++) w.p(d, 10);
      w.s(c.ack('s'));
    },
  },
  {
    name: 'tcp_wt_retrans_server_side',
    description: 'The server retransmits its response four times; the client\'s ACKs were lost',
    body: (w) => {
      const c = mk();
      est(w, c);
      const d = c.data('s', filler(1200));
      w.s(d);
      for (let i = 0; i < 4; i++) w.s(d, 10);
    },
  },
  {
    name: 'tcp_wt_unacked_data',
    description: 'Data from the client never acknowledged by the server: timeout capped by UNACK (300 s)',
    liberal: true,
    body: (w) => {
      const c = mk();
      est(w, c);
      w.p(c.data('c', filler(500)));
      w.p(c.data('c', filler(500, 1)));
    },
  },
  {
    name: 'tcp_wt_unacked_then_partial_ack',
    description: 'Unacknowledged data, a partial ACK (still unacked), then the full ACK',
    body: (w) => {
      const c = mk();
      est(w, c);
      const s0 = c.nxt.c;
      w.p(c.data('c', filler(500)));
      w.p(c.data('c', filler(500, 1)));
      w.s(c.ack('s', { ack: (s0 + 500) >>> 0 }));
      w.s(c.ack('s'));
    },
  },
  // ---- window scaling -------------------------------------------------------------------------
  {
    name: 'tcp_wt_scale_both_7_8',
    description: 'Window scale 7 (client) and 8 (server): data 100 KB, 8 MB and 20 MB ahead of the client',
    liberal: true,
    body: (w) => {
      const c = mk({ cScale: 7, sScale: 8 });
      est(w, c);
      w.p(c.data('c', filler(100), { seq: (c.nxt.c + 100000) >>> 0, noAdvance: true }));
      w.p(c.data('c', filler(100), { seq: (c.nxt.c + 8000000) >>> 0, noAdvance: true }));
      w.p(c.data('c', filler(100), { seq: (c.nxt.c + 20000000) >>> 0, noAdvance: true }));
      w.s(c.data('s', filler(100), { seq: (c.nxt.s + 4000000) >>> 0, noAdvance: true }));
      w.s(c.data('s', filler(100), { seq: (c.nxt.s + 9000000) >>> 0, noAdvance: true }));
      w.p(c.data('c', filler(10)));
      w.s(c.ack('s'));
    },
  },
  {
    name: 'tcp_wt_scale_client_only',
    description: 'Only the SYN carries a window scale: scaling is off both ways, windows are raw 16-bit values',
    liberal: true,
    body: (w) => {
      const c = mk({ cScale: 7, sScale: undefined });
      est(w, c);
      w.p(c.data('c', filler(100), { seq: (c.nxt.c + 60000) >>> 0, noAdvance: true }));
      w.p(c.data('c', filler(100), { seq: (c.nxt.c + 70000) >>> 0, noAdvance: true }));
      w.s(c.data('s', filler(100), { seq: (c.nxt.s + 70000) >>> 0, noAdvance: true }));
      w.p(c.data('c', filler(10)));
      w.s(c.ack('s'));
    },
  },
  {
    name: 'tcp_wt_scale_synack_only',
    description: 'Only the SYN/ACK carries a window scale (the SYN has none): scaling off',
    liberal: true,
    body: (w) => {
      const c = mk({ cScale: undefined, sScale: 9 });
      est(w, c);
      w.p(c.data('c', filler(100), { seq: (c.nxt.c + 64000) >>> 0, noAdvance: true }));
      w.p(c.data('c', filler(100), { seq: (c.nxt.c + 200000) >>> 0, noAdvance: true }));
      w.p(c.data('c', filler(10)));
      w.s(c.ack('s'));
    },
  },
  {
    name: 'tcp_wt_scale_14',
    description: 'Window scale 14 both ways (1 GB windows): data 500 MB ahead in window, 1.5 GB ahead not',
    liberal: true,
    body: (w) => {
      const c = mk({ cScale: 14, sScale: 14, cWin: 65535, sWin: 65535 });
      est(w, c);
      w.p(c.data('c', filler(100), { seq: (c.nxt.c + 500000000) >>> 0, noAdvance: true }));
      w.p(c.data('c', filler(100), { seq: (c.nxt.c + 1500000000) >>> 0, noAdvance: true }));
      w.p(c.data('c', filler(10)));
      w.s(c.ack('s'));
    },
  },
  {
    name: 'tcp_wt_scale_over_14',
    description: 'Window scale 15 and 255 offered: the kernel clamps to 14',
    body: (w) => {
      const c = mk({ cScale: 15, sScale: 255, cWin: 65535, sWin: 65535 });
      est(w, c);
      w.p(c.data('c', filler(100), { seq: (c.nxt.c + 900000000) >>> 0, noAdvance: true }));
      w.p(c.data('c', filler(100), { seq: (c.nxt.c + 1100000000) >>> 0, noAdvance: true }));
      w.p(c.data('c', filler(10)));
      w.s(c.ack('s'));
    },
  },
  {
    name: 'tcp_wt_scale_0_and_14',
    description: 'Client window scale 0, server 14: asymmetric windows',
    body: (w) => {
      const c = mk({ cScale: 0, sScale: 14, cWin: 65535, sWin: 65535 });
      est(w, c);
      w.p(c.data('c', filler(100), { seq: (c.nxt.c + 300000000) >>> 0, noAdvance: true }));
      w.s(c.data('s', filler(100), { seq: (c.nxt.s + 60000) >>> 0, noAdvance: true }));
      w.s(c.data('s', filler(100), { seq: (c.nxt.s + 300000) >>> 0, noAdvance: true }));
      w.p(c.data('c', filler(10)));
      w.s(c.ack('s'));
    },
  },
  {
    name: 'tcp_wt_scale_syn_window_unscaled',
    description: 'Window scale 7, tiny windows in SYN and SYN/ACK (never scaled), data right after the handshake before any scaled window',
    body: (w) => {
      const c = mk({ cScale: 7, sScale: 7, cWin: 1000, sWin: 1000 });
      w.p(c.syn('c'));
      w.s(c.synack('s'));
      w.p(c.data('c', filler(100), { seq: (c.nxt.c + 1500) >>> 0, noAdvance: true }));
      w.p(c.ack('c', { win: 1000 }));
      w.s(c.ack('s', { win: 1000 }));
      w.p(c.data('c', filler(100), { seq: (c.nxt.c + 100000) >>> 0, noAdvance: true }));
      w.p(c.data('c', filler(100), { seq: (c.nxt.c + 200000) >>> 0, noAdvance: true }));
    },
  },
  // ---- zero window, probes, keepalives --------------------------------------------------------
  {
    name: 'tcp_wt_zero_window_probes',
    description: 'Receiver advertises a zero window; 1-byte window probes (the same byte repeatedly), then the window opens',
    liberal: true,
    body: (w) => {
      const c = mk({ cScale: undefined, sScale: undefined });
      est(w, c);
      w.p(c.data('c', filler(1000)));
      w.s(c.ack('s', { win: 0 }));
      const probe = c.data('c', bytes('x'), { noAdvance: true });
      w.p(probe, 10).p(probe, 10).p(probe, 10);
      w.s(c.ack('s', { win: 0 }));
      w.s(c.ack('s', { win: 8000 }), 10);
      w.p(c.data('c', filler(2000)));
      w.s(c.ack('s'));
    },
  },
  {
    name: 'tcp_wt_zero_window_data_beyond',
    description: 'Zero window: a full segment at the edge (start in bound), then a segment 2000 bytes beyond the edge',
    liberal: true,
    body: (w) => {
      const c = mk({ cScale: undefined, sScale: undefined });
      est(w, c);
      w.s(c.ack('s', { win: 0 }));
      w.p(c.data('c', filler(1000), { noAdvance: true }));
      w.p(c.data('c', filler(100), { seq: (c.nxt.c + 2000) >>> 0, noAdvance: true }));
      w.s(c.ack('s', { win: 0 }));
    },
  },
  {
    name: 'tcp_wt_keepalives_both_sides',
    description: 'Keep-alives (seq one below snd.nxt, with and without the garbage byte) from both sides, answered by ACKs',
    body: (w) => {
      const c = mk();
      est(w, c);
      for (let i = 0; i < 2; i++) {
        w.p(c.ack('c', { seq: (c.nxt.c - 1) >>> 0 }), 20);
        w.s(c.ack('s'));
        w.s(c.ack('s', { seq: (c.nxt.s - 1) >>> 0 }), 20);
        w.p(c.ack('c'));
      }
      w.p(c.data('c', bytes('\0'), { seq: (c.nxt.c - 1) >>> 0 }), 20);
      w.s(c.ack('s'));
    },
  },
  // ---- SACK -----------------------------------------------------------------------------------
  {
    name: 'tcp_wt_sack_within_sent',
    description: 'Lost segment: duplicate ACKs with SACK blocks covering data that was sent, then the retransmission',
    body: (w) => {
      const c = mk();
      est(w, c);
      const s0 = c.nxt.c;
      w.p(c.data('c', filler(1000)));
      w.p(c.data('c', filler(1000, 1)));
      w.p(c.data('c', filler(1000, 2)));
      const ack = c.ack('s', { ack: s0, options: { sack: [[(s0 + 1000) >>> 0, (s0 + 2000) >>> 0]] } });
      w.s(ack);
      w.s(c.ack('s', { ack: s0, options: { sack: [[(s0 + 1000) >>> 0, (s0 + 3000) >>> 0]] } }));
      w.s(c.ack('s', { ack: s0, options: { sack: [[(s0 + 1000) >>> 0, (s0 + 3000) >>> 0]] } }));
      w.p(c.data('c', filler(1000), { seq: s0 }));
      w.s(c.ack('s'));
    },
  },
  {
    name: 'tcp_wt_sack_beyond_sent',
    description: 'SACK block whose right edge is beyond anything the client sent (both sides SACK-permitted)',
    liberal: true,
    body: (w) => {
      const c = mk();
      est(w, c);
      const s0 = c.nxt.c;
      w.p(c.data('c', filler(1000)));
      w.s(c.ack('s', { ack: s0, options: { sack: [[(s0 + 500) >>> 0, (s0 + 1000) >>> 0]] } }));
      w.s(c.ack('s', { ack: s0, options: { sack: [[(s0 + 500) >>> 0, (s0 + 50000) >>> 0]] } }));
      w.s(c.ack('s', { ack: s0, options: { sack: [[(s0 + 500) >>> 0, (s0 + 5000000) >>> 0]] } }));
      w.s(c.ack('s'));
    },
  },
  {
    name: 'tcp_wt_sack_without_perm',
    description: 'No SACK-permitted in the handshake: SACK blocks beyond sent data are not parsed',
    liberal: true,
    body: (w) => {
      const c = mk({ cSack: false, sSack: false });
      est(w, c);
      const s0 = c.nxt.c;
      w.p(c.data('c', filler(1000)));
      w.s(c.ack('s', { ack: s0, options: { sack: [[(s0 + 500) >>> 0, (s0 + 5000000) >>> 0]] } }));
      w.s(c.ack('s'));
    },
  },
  {
    name: 'tcp_wt_sack_perm_client_only',
    description: 'Only the client offers SACK-permitted: SACK blocks beyond sent data from each side',
    body: (w) => {
      const c = mk({ cSack: true, sSack: false });
      est(w, c);
      const s0 = c.nxt.c;
      const r0 = c.nxt.s;
      w.p(c.data('c', filler(1000)));
      w.s(c.ack('s', { ack: s0, options: { sack: [[(s0 + 500) >>> 0, (s0 + 5000000) >>> 0]] } }));
      w.s(c.data('s', filler(1000)));
      w.p(c.ack('c', { ack: r0, options: { sack: [[(r0 + 500) >>> 0, (r0 + 5000000) >>> 0]] } }));
      w.s(c.ack('s'));
      w.p(c.ack('c'));
    },
  },
  {
    name: 'tcp_wt_sack_multiple_blocks',
    description: 'Three SACK blocks, the last one beyond sent data; then four blocks within',
    body: (w) => {
      const c = mk();
      est(w, c);
      const s0 = c.nxt.c;
      for (let i = 0; i < 6; i++) w.p(c.data('c', filler(500, i)), 1);
      const sb = (a: number, b: number): [number, number] => [(s0 + a) >>> 0, (s0 + b) >>> 0];
      w.s(c.ack('s', { ack: s0, options: { sack: [sb(500, 1000), sb(1500, 2000), sb(2500, 900000)] } }));
      w.s(c.ack('s', { ack: s0, options: { sack: [sb(500, 1000), sb(1500, 2000), sb(2500, 2700), sb(2800, 3000)] } }));
      w.s(c.ack('s'));
    },
  },
  {
    name: 'tcp_wt_dup_acks',
    description: 'Three duplicate ACKs (with timestamps) for a lost segment, fast retransmit, cumulative ACK',
    body: (w) => {
      const c = mk();
      est(w, c);
      const s0 = c.nxt.c;
      w.p(c.data('c', filler(1000)));
      w.p(c.data('c', filler(1000, 1)));
      w.p(c.data('c', filler(1000, 2)));
      w.p(c.data('c', filler(1000, 3)));
      for (let i = 0; i < 3; i++) w.s(c.ack('s', { ack: s0, options: { ts: [500 + i, 100] } }), 1);
      w.p(c.data('c', filler(1000), { seq: s0 }));
      w.s(c.ack('s'));
    },
  },
  // ---- RST ------------------------------------------------------------------------------------
  {
    name: 'tcp_wt_rst_in_window_inexact',
    description: 'RST and RST|ACK with in-window but inexact sequence numbers from both sides, then the exact RST',
    liberal: true,
    ignoreRst: true,
    body: (w) => {
      const c = mk();
      est(w, c);
      w.p(c.rst('c', { seq: (c.nxt.c + 100) >>> 0, noAdvance: true }));
      w.s(c.rstack('s', { seq: (c.nxt.s + 1000) >>> 0, noAdvance: true }));
      w.p(c.data('c', bytes('more')));
      w.s(c.ack('s'));
      w.s(c.rstack('s'));
    },
  },
  {
    name: 'tcp_wt_rst_out_of_window',
    description: 'RST|ACK far above and far below the window from the server, then traffic continues',
    liberal: true,
    ignoreRst: true,
    body: (w) => {
      const c = mk();
      est(w, c);
      w.s(c.rstack('s', { seq: (c.nxt.s + 90000000) >>> 0, noAdvance: true }));
      w.s(c.rstack('s', { seq: (c.nxt.s - 90000000) >>> 0, noAdvance: true }));
      w.s(c.rst('s', { seq: (c.nxt.s - 3) >>> 0, noAdvance: true }));
      w.p(c.data('c', bytes('ping')));
      w.s(c.ack('s'));
    },
  },
  {
    name: 'tcp_wt_rst_after_challenge_ack',
    description: 'SYN on an established connection, the server\'s challenge ACK, the client\'s RST with the challenge ACK\'s number, the new SYN',
    liberal: true,
    ignoreRst: true,
    body: (w) => {
      const c = mk();
      est(w, c);
      const d = mk({ cIsn: 3000000000, sIsn: 123456 });
      w.p(d.syn('c'), 20);
      w.s(c.ack('s'));
      w.p(c.rst('c', { seq: c.nxt.c, noAdvance: true }));
      w.p(d.syn('c', { seq: d.ep.c.isn }), 20);
      w.s(d.synack('s'));
      w.p(d.ack('c'));
      w.p(d.data('c', bytes('again')));
      w.s(d.ack('s'));
    },
  },
  {
    name: 'tcp_wt_rst_after_challenge_ack_wrong_seq',
    description: 'SYN in ESTABLISHED, challenge ACK, then a RST whose seq does not match the challenge ACK, then a new SYN',
    liberal: true,
    ignoreRst: true,
    body: (w) => {
      const c = mk();
      est(w, c);
      const d = mk({ cIsn: 3000000000, sIsn: 123456 });
      w.p(d.syn('c'), 20);
      w.s(c.ack('s'));
      w.p(c.rst('c', { seq: (c.nxt.c + 77777) >>> 0, noAdvance: true }));
      w.p(d.syn('c', { seq: d.ep.c.isn }), 20);
      w.s(d.synack('s'));
      w.p(d.ack('c'));
    },
  },
  {
    name: 'tcp_wt_syn_in_est_v6',
    description: 'IPv6: SYN in ESTABLISHED, challenge ACK, RST, new SYN and handshake',
    ignoreRst: true,
    body: (w) => {
      const c = mk({ v6: true });
      est(w, c);
      const d = mk({ v6: true, cIsn: 4000000000, sIsn: 99 });
      w.p(d.syn('c'), 20);
      w.s(c.ack('s'));
      w.p(c.rst('c', { seq: c.nxt.c, noAdvance: true }));
      w.p(d.syn('c', { seq: d.ep.c.isn }), 20);
      w.s(d.synack('s'));
      w.p(d.ack('c'));
    },
  },
  {
    name: 'tcp_wt_rst_unacked_data',
    description: 'RST with the exact sequence number while the server has unacknowledged data outstanding',
    liberal: true,
    ignoreRst: true,
    body: (w) => {
      const c = mk();
      est(w, c);
      w.s(c.data('s', filler(3000)));
      w.p(c.rst('c'));
    },
  },
  {
    name: 'tcp_wt_rst_syn_sent_bad_ack',
    description: 'SYN answered by RST|ACK whose ACK does not cover the SYN, then the right RST|ACK',
    ignoreRst: true,
    body: (w) => {
      const c = mk();
      w.p(c.syn('c'));
      w.s(c.rstack('s', { seq: 0, ack: (c.nxt.c + 5000) >>> 0, noAdvance: true }));
      w.s(c.rstack('s', { seq: 0, noAdvance: true }));
    },
  },
  {
    name: 'tcp_wt_synack_bad_ack',
    description: 'SYN/ACK whose ACK is not ISN+1, then the right SYN/ACK, then data',
    liberal: true,
    body: (w) => {
      const c = mk();
      w.p(c.syn('c'));
      w.s(c.synack('s', { ack: (c.nxt.c + 100) >>> 0, noAdvance: true }));
      w.s(c.synack('s'));
      w.p(c.ack('c'));
      w.p(c.data('c', bytes('x')));
      w.s(c.ack('s'));
    },
  },
  {
    name: 'tcp_wt_rst_in_syn_recv_bad_seq',
    description: 'SYN, SYN/ACK, then client RSTs with a far-off and the right sequence number',
    ignoreRst: true,
    body: (w) => {
      const c = mk();
      w.p(c.syn('c'));
      w.s(c.synack('s'));
      w.p(c.rst('c', { seq: (c.nxt.c + 80000000) >>> 0, noAdvance: true }));
      w.p(c.rst('c', { noAdvance: true }));
    },
  },
  // ---- FIN ------------------------------------------------------------------------------------
  {
    name: 'tcp_wt_fin_retransmits',
    description: 'Client FIN sent four times before the server answers; server FIN sent twice; final ACK retransmitted',
    liberal: true,
    body: (w) => {
      const c = mk();
      est(w, c);
      const fin = c.fin('c');
      w.p(fin).p(fin, 10).p(fin, 10).p(fin, 10);
      w.s(c.ack('s'));
      const sfin = c.fin('s');
      w.s(sfin).s(sfin, 10);
      const last = c.ack('c');
      w.p(last).p(last, 10);
    },
  },
  {
    name: 'tcp_wt_fin_retransmit_after_ack',
    description: 'Client FIN acknowledged, then retransmitted (old), then the server closes',
    body: (w) => {
      const c = mk();
      est(w, c);
      const fin = c.fin('c');
      w.p(fin);
      w.s(c.ack('s'));
      w.p(fin, 10);
      w.s(c.fin('s'));
      w.p(c.ack('c'));
      w.p(fin, 10);
    },
  },
  {
    name: 'tcp_wt_data_after_fin',
    description: 'Client sends data after its own FIN (seq after the FIN), then data overlapping the FIN',
    liberal: true,
    body: (w) => {
      const c = mk();
      est(w, c);
      const f = c.nxt.c;
      w.p(c.fin('c'));
      w.p(c.data('c', bytes('after fin')));
      w.p(c.data('c', bytes('overlap'), { seq: f, noAdvance: true }));
      w.s(c.ack('s'));
      w.s(c.data('s', bytes('server still talks')));
      w.p(c.ack('c'));
    },
  },
  {
    name: 'tcp_wt_data_after_both_fins',
    description: 'Both FINs exchanged, then the server sends data after its FIN and the client an ACK for it (TIME_WAIT)',
    body: (w) => {
      const c = mk();
      est(w, c);
      w.p(c.fin('c'));
      w.s(c.fin('s'));
      w.p(c.ack('c'));
      w.s(c.data('s', bytes('late')));
      w.p(c.ack('c'));
    },
  },
  // ---- mid-stream pickup ----------------------------------------------------------------------
  {
    name: 'tcp_wt_midstream_both_ways',
    description: 'Pickup mid-stream (scaled windows unknown): data both ways, big segments, then far out-of-window data',
    liberal: true,
    body: (w) => {
      const c = mk({ cIsn: 3000000, sIsn: 7000000, cWin: 500, sWin: 500 });
      w.p(c.data('c', filler(200)));
      w.s(c.data('s', filler(1400)));
      w.p(c.data('c', filler(1400)));
      w.s(c.data('s', filler(1400)));
      w.p(c.ack('c'));
      w.s(c.ack('s'));
      w.p(c.data('c', filler(100), { seq: (c.nxt.c + 30000000) >>> 0, noAdvance: true }));
      w.s(c.data('s', filler(100), { seq: (c.nxt.s + 30000000) >>> 0, noAdvance: true }));
      w.p(c.data('c', filler(10)));
      w.s(c.ack('s'));
    },
  },
  {
    name: 'tcp_wt_midstream_fin',
    description: 'Pickup from a FIN (mid-stream), then the close',
    body: (w) => {
      const c = mk({ cIsn: 3000000, sIsn: 7000000 });
      w.p(c.fin('c'));
      w.s(c.ack('s'));
      w.s(c.fin('s'));
      w.p(c.ack('c'));
    },
  },
  {
    name: 'tcp_wt_midstream_rst',
    description: 'Pickup mid-stream, then RSTs with an off and an exact sequence number',
    ignoreRst: true,
    body: (w) => {
      const c = mk({ cIsn: 3000000, sIsn: 7000000 });
      w.p(c.data('c', filler(100)));
      w.s(c.ack('s'));
      w.s(c.rst('s', { seq: (c.nxt.s + 5000000) >>> 0, noAdvance: true }));
      w.s(c.rst('s'));
    },
  },
  // ---- sequence number wrap -------------------------------------------------------------------
  {
    name: 'tcp_wt_seq_wrap_crossing',
    description: 'Client ISN 2^32-1500: the data crosses the sequence wrap; ACKs and a retransmission across it',
    liberal: true,
    body: (w) => {
      const c = mk({ cIsn: 0xfffffa23, sIsn: 0xffffff00 });
      est(w, c);
      const s0 = c.nxt.c;
      w.p(c.data('c', filler(1400)));
      w.p(c.data('c', filler(1400, 1)));
      w.s(c.data('s', filler(1000)));
      w.p(c.ack('c'));
      w.s(c.ack('s', { ack: (s0 + 1400) >>> 0 }));
      w.p(c.data('c', filler(1400, 1), { seq: (s0 + 1400) >>> 0 }));
      w.s(c.ack('s'));
    },
  },
  {
    name: 'tcp_wt_seq_isn_max',
    description: 'ISNs 0xffffffff on both sides: the SYNs consume the last sequence number, data starts at 0',
    body: (w) => {
      const c = mk({ cIsn: 0xffffffff, sIsn: 0xffffffff });
      est(w, c);
      w.p(c.fin('c'));
      w.s(c.fin('s'));
      w.p(c.ack('c'));
    },
  },
  {
    name: 'tcp_wt_seq_wrap_out_of_window',
    description: 'ISNs near 2^32: out-of-window data and ACKs whose raw values wrapped (above and below)',
    liberal: true,
    ignoreRst: true,
    body: (w) => {
      const c = mk({ cIsn: 0xfffff000, sIsn: 0xffffe000, cScale: undefined, sScale: undefined });
      est(w, c);
      w.p(c.data('c', filler(100), { seq: (c.nxt.c + 70000) >>> 0, noAdvance: true }));
      w.p(c.data('c', filler(100), { seq: (c.nxt.c - 200000) >>> 0, noAdvance: true }));
      w.p(c.ack('c', { ack: (c.nxt.s + 10000) >>> 0 }));
      w.p(c.rst('c', { seq: (c.nxt.c + 200) >>> 0, noAdvance: true }));
      w.p(c.data('c', filler(100)));
      w.s(c.ack('s'));
    },
  },
  {
    name: 'tcp_wt_seq_half_space',
    description: 'Data 2^31 ahead and 2^31-1 ahead (the edge of before()/after()), then in-window data',
    body: (w) => {
      const c = mk();
      est(w, c);
      w.p(c.data('c', filler(10), { seq: (c.nxt.c + 0x80000000) >>> 0, noAdvance: true }));
      w.p(c.data('c', filler(10), { seq: (c.nxt.c + 0x7fffffff) >>> 0, noAdvance: true }));
      w.p(c.ack('c', { ack: (c.nxt.s + 0x80000000) >>> 0 }));
      w.p(c.data('c', filler(10)));
      w.s(c.ack('s'));
    },
  },
  // ---- simultaneous open, IPv6 ---------------------------------------------------------------
  {
    name: 'tcp_wt_simultaneous_open_scaled',
    description: 'Simultaneous open with window scales 6 and 9, then data near the scaled window edges',
    body: (w) => {
      const c = mk({ cScale: 6, sScale: 9 });
      w.p(c.syn('c'));
      w.s(c.syn('s'));
      w.p(c.synack('c', { seq: c.ep.c.isn }));
      w.s(c.synack('s', { seq: c.ep.s.isn }));
      w.p(c.ack('c'));
      w.s(c.ack('s'));
      w.p(c.data('c', filler(100), { seq: (c.nxt.c + 1000000) >>> 0, noAdvance: true }));
      w.p(c.data('c', filler(100), { seq: (c.nxt.c + 40000000) >>> 0, noAdvance: true }));
      w.p(c.data('c', filler(10)));
      w.s(c.ack('s'));
    },
  },
  {
    name: 'tcp_wt_ipv6_window_sack',
    description: 'IPv6: scaled windows, data beyond the window, a SACK beyond sent data, old RST',
    liberal: true,
    ignoreRst: true,
    body: (w) => {
      const c = mk({ v6: true, cIsn: 0xffffff00 });
      est(w, c);
      const s0 = c.nxt.c;
      w.p(c.data('c', filler(1000)));
      w.p(c.data('c', filler(100), { seq: (c.nxt.c + 40000000) >>> 0, noAdvance: true }));
      w.s(c.ack('s', { ack: s0, options: { sack: [[(s0 + 100) >>> 0, (s0 + 3000000) >>> 0]] } }));
      w.s(c.ack('s'));
      w.p(c.rst('c', { seq: (c.nxt.c - 500) >>> 0, noAdvance: true }));
      w.p(c.data('c', filler(10)));
      w.s(c.ack('s'));
    },
  },
];

export function windowCorpus(): Scenario[] {
  const out: Scenario[] = [];
  for (const d of defs) {
    const variants: Array<[string, string, Record<string, number> | undefined]> = [[d.name, d.description, undefined]];
    if (d.liberal) variants.push([`${d.name}_liberal`, `${d.description} (nf_conntrack_tcp_be_liberal=1)`, LIBERAL]);
    if (d.ignoreRst) variants.push([`${d.name}_ignore_rst`, `${d.description} (nf_conntrack_tcp_ignore_invalid_rst=1)`, IGNORE_RST]);
    for (const [name, description, sysctls] of variants) {
      const w = new W();
      d.body(w);
      const s: Scenario = { name, description, needsWindowTracking: true, packets: w.packets };
      if (sysctls) s.sysctls = { ...sysctls };
      out.push(s);
    }
  }
  return out;
}
