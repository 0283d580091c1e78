/**
 * What the tracker decided for one packet. One instance is reused for every
 * packet (nothing is allocated per packet); read it before the next call.
 */
import { CTSTATE_NAMES, CTSTATE_SKIPPED, DIR_NAMES } from './consts.js';
import { REASON_ARGS, formatReason } from './reasons.js';

/** At most this many messages per packet (TCP logs two at worst). */
export const MAX_REASONS = 4;

export class PacketResult {
  /** CTSTATE_* */
  ctstate = CTSTATE_SKIPPED;
  /** IP_CT_DIR_ORIGINAL / IP_CT_DIR_REPLY, or -1 when the packet has no entry. */
  dir = -1;
  /** Table slot of the entry (valid until the next packet), or -1. */
  conn = -1;
  /** The entry's conntrack id, or 0. */
  connId = 0;
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

  reset(): void {
    this.ctstate = CTSTATE_SKIPPED;
    this.dir = -1;
    this.conn = -1;
    this.connId = 0;
    this.protonum = 0;
    this.state = -1;
    this.skip = null;
    this.reasonCount = 0;
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
    for (let i = 0; i < this.reasonCount; i++) out.push(formatReason(this.reasonCodes[i]!, this.reasonArgs, i * REASON_ARGS));
    return out;
  }
}
