/**
 * --packets output in capture order, with each fragment's line saying which
 * datagram it belongs to and what became of that datagram. Lines wait while a
 * datagram is incomplete (at most the fragment timeout of capture time), then
 * come out together, annotated.
 */
import { FRAGMENT_COMPLETED, FRAGMENT_HELD, type PacketResult } from '../core/packet-result.js';
import type { PacketInfo } from './packet-line.js';
import { CTSTATE_NAMES } from '../core/consts.js';

export class PacketOrder {
  private held: PacketInfo[] = [];
  private readonly fate = new Map<number, { frames: number[]; verdict: string }>();

  constructor(private readonly emit: (p: PacketInfo) => void) {}

  push(info: PacketInfo, r: Pick<PacketResult, 'datagramFrames' | 'fragment' | 'ctstate'>, pending: number): void {
    if (r.datagramFrames !== null) {
      const verdict = r.fragment === FRAGMENT_COMPLETED ? CTSTATE_NAMES[r.ctstate]! : 'discarded';
      for (const f of r.datagramFrames) this.fate.set(f, { frames: r.datagramFrames, verdict });
    }
    if (this.held.length === 0 && r.fragment !== FRAGMENT_HELD) {
      this.emit(info);
      return;
    }
    this.held.push(info);
    if (pending === 0) this.flush();
  }

  /** Lets everything out (end of capture: datagrams still waiting are incomplete). */
  flush(): void {
    for (const p of this.held) {
      if (p.skipped !== undefined && p.datagram === undefined) {
        const f = this.fate.get(p.frame);
        p.datagram = f?.frames ?? [p.frame];
        p.datagramVerdict = f?.verdict ?? 'incomplete';
      }
      this.emit(p);
    }
    this.held = [];
    this.fate.clear();
  }
}
