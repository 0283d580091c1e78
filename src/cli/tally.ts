/**
 * The per-packet counts behind replay's last stderr line and its checksum-offload
 * warning; summable, so --threads workers each keep one and the main thread adds them.
 */
import { CTSTATE_NAMES } from '../core/consts.js';
import type { PacketResult } from '../core/packet-result.js';
import { R_BAD_CHECKSUM } from '../core/reasons.js';

/** A tally's numbers (what crosses from a worker). */
export type TallyCounts = Pick<PacketTally, 'counts' | 'l4Packets' | 'badChecksum'>;

export class PacketTally {
  /** Packets per ctstate (index: CTSTATE_*). */
  counts: number[] = CTSTATE_NAMES.map(() => 0);
  /** TCP/UDP packets, and those of them invalid for a bad checksum. */
  l4Packets = 0;
  badChecksum = 0;

  observe(r: PacketResult): void {
    this.counts[r.ctstate]!++;
    if (r.protonum === 6 || r.protonum === 17) {
      this.l4Packets++;
      if (r.reasonCount > 0 && r.reasonCodes[0] === R_BAD_CHECKSUM) this.badChecksum++;
    }
  }

  add(o: Readonly<TallyCounts>): void {
    for (let i = 0; i < this.counts.length; i++) this.counts[i]! += o.counts[i]!;
    this.l4Packets += o.l4Packets;
    this.badChecksum += o.badChecksum;
  }
}
