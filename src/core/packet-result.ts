/**
 * What the tracker decided for one packet. One instance is reused for every
 * packet (nothing is allocated per packet); read it before the next call.
 */
import { CTSTATE_INVALID, CTSTATE_NAMES, CTSTATE_SKIPPED, CTSTATE_UNTRACKED, DIR_NAMES } from './consts.js';
import { REASON_ARGS, R_HELPER, formatReason } from './reasons.js';

/** At most this many messages per packet (TCP logs two at worst). */
export const MAX_REASONS = 4;

/**
 * The numbers behind a tcp_in_window() message: the packet's sequence space and
 * the window data it was checked against (struct ip_ct_tcp_state of sender and
 * receiver, before the packet), the bound it broke and by how much.
 */
export interface WindowDetail {
  seq: number;
  ack: number;
  /** The highest SACK right edge, or ack. */
  sack: number;
  /** The window field as sent (unscaled). */
  win: number;
  /** seq + payload + SYN + FIN. */
  end: number;
  /** Which bound: I (seq over), III (ack over), II (seq under), IV (ack under). */
  check: 'I' | 'II' | 'III' | 'IV';
  /** The bound the kernel printed. */
  bound: number;
  /** How far past the bound the packet went (sequence numbers). */
  by: number;
  sender: { tdEnd: number; tdMaxend: number; tdMaxwin: number; tdScale: number };
  receiver: { tdEnd: number; tdMaxend: number; tdMaxwin: number; tdScale: number };
}

const CHECKS = ['I', 'II', 'III', 'IV'] as const;
/** PacketResult.fragment: what the defragmenter did with the packet. */
export const FRAGMENT_NONE = 0;
/** Queued until its datagram is complete (the kernel steals it: no ct state). */
export const FRAGMENT_HELD = 1;
/** It completed a datagram, which was tracked as one packet. */
export const FRAGMENT_COMPLETED = 2;
/** Dropped by the defragmenter (and with it, for an overlap, its whole datagram). */
export const FRAGMENT_DISCARDED = 3;

/** Number of slots in PacketResult.detail. */
export const DETAIL_WORDS = 16;

/** The kernel's three outcomes for a tracked packet, plus the two without an entry. */
export type Outcome = 'accepted' | 'ignored' | 'invalid' | 'dropped' | 'untracked' | 'skipped';

export class PacketResult {
  /** CTSTATE_* */
  ctstate = CTSTATE_SKIPPED;
  /** IP_CT_DIR_ORIGINAL / IP_CT_DIR_REPLY, or -1 when the packet has no entry. */
  dir = -1;
  /** Table slot of the entry (valid until the next packet), or -1. */
  conn = -1;
  /** Table slot of the entry the packet belongs to, even when it lost it (invalid), or -1. */
  idSlot = -1;
  /** Protocol number of the entry, or of the packet. */
  protonum = 0;
  /** The entry's protocol state after the packet (TCP_CONNTRACK_*), or -1 for stateless protocols / no entry. */
  state = -1;
  /** Why the packet never reached conntrack (not IP, dropped by the IP layer ...), else null. */
  skip: string | null = null;
  /** Number of messages the kernel would log for this packet. */
  reasonCount = 0;
  readonly reasonCodes = new Uint8Array(MAX_REASONS);
  readonly reasonArgs = new Float64Array(MAX_REASONS * REASON_ARGS);
  /** A helper dropped the packet (NF_DROP at confirmation): it kept its ctstate, but never left. */
  dropped = false;
  /** The helper's message for R_HELPER. */
  helperMessage: string | null = null;
  /** FRAGMENT_*: what the defragmenter did with this packet. */
  fragment = FRAGMENT_NONE;
  /** The frames of the datagram this packet completed (or that was discarded with it). */
  datagramFrames: number[] | null = null;
  /** Window-check numbers (see WindowDetail) when hasDetail. */
  hasDetail = false;
  readonly detail = new Float64Array(DETAIL_WORDS);

  /** Conntrack ids by table slot (the engine's table), read only when connId is asked for. */
  constructor(private readonly ids: { idOf(idx: number): number }) {}

  /** The entry's conntrack id, or 0 (valid until the next packet, like the rest). */
  get connId(): number {
    return this.idSlot < 0 ? 0 : this.ids.idOf(this.idSlot);
  }

  reset(): void {
    this.ctstate = CTSTATE_SKIPPED;
    this.dir = -1;
    this.conn = -1;
    this.idSlot = -1;
    this.protonum = 0;
    this.state = -1;
    this.skip = null;
    this.reasonCount = 0;
    this.hasDetail = false;
    this.datagramFrames = null;
    this.fragment = FRAGMENT_NONE;
    this.dropped = false;
    this.helperMessage = null;
  }

  /**
   * accepted: passed without a word; ignored: the kernel logged it but the
   * packet kept its entry and ctstate (NF_ACCEPT); invalid: it lost its entry.
   */
  get outcome(): Outcome {
    if (this.ctstate === CTSTATE_SKIPPED) return 'skipped';
    if (this.ctstate === CTSTATE_INVALID) return 'invalid';
    if (this.ctstate === CTSTATE_UNTRACKED) return 'untracked';
    if (this.dropped) return 'dropped';
    return this.reasonCount > 0 ? 'ignored' : 'accepted';
  }

  /** The window-check numbers behind the message, or null (cold path). */
  windowDetail(): WindowDetail | null {
    if (!this.hasDetail) return null;
    const d = this.detail;
    return {
      seq: d[0]!, ack: d[1]!, sack: d[2]!, win: d[3]!, end: d[4]!, check: CHECKS[d[5]!]!, bound: d[6]!, by: d[7]!,
      sender: { tdEnd: d[8]!, tdMaxend: d[9]!, tdMaxwin: d[10]!, tdScale: d[11]! },
      receiver: { tdEnd: d[12]!, tdMaxend: d[13]!, tdMaxwin: d[14]!, tdScale: d[15]! },
    };
  }

  get ctstateName(): string {
    return CTSTATE_NAMES[this.ctstate]!;
  }

  get dirName(): string | null {
    return this.dir < 0 ? null : DIR_NAMES[this.dir]!;
  }

  /** The kernel's log messages for this packet (formats text: cold path). */
  reasons(): string[] {
    const out: string[] = [];
    for (let i = 0; i < this.reasonCount; i++) {
      const code = this.reasonCodes[i]!;
      out.push(code === R_HELPER ? this.helperMessage ?? '' : formatReason(code, this.reasonArgs, i * REASON_ARGS));
    }
    return out;
  }
}
