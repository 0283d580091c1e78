/**
 * A progress line on stderr for captures that take more than a second: packets,
 * packets/s, and for files the share read and the time left. Only on a terminal;
 * checked every few thousand packets so it costs nothing per packet.
 */
import { writeSync } from 'node:fs';

export class Progress {
  private readonly start = Date.now();
  private lastDraw = 0;
  private drawn = false;

  constructor(private readonly totalBytes: number | null, private readonly enabled: boolean) {}

  /** Called every 4096 packets with the packet count and the bytes read so far. */
  tick(packets: number, bytesRead: number): void {
    if (!this.enabled) return;
    const now = Date.now();
    if (now - this.start < 1000 || now - this.lastDraw < 250) return;
    this.lastDraw = now;
    const secs = (now - this.start) / 1000;
    const rate = packets / secs;
    let line = `ctscope: ${packets.toLocaleString('en-US')} packets, ${formatRate(rate)}/s`;
    if (this.totalBytes !== null && this.totalBytes > 0 && bytesRead > 0) {
      const share = Math.min(1, bytesRead / this.totalBytes);
      const eta = share > 0 ? secs * (1 - share) / share : 0;
      line += `, ${(share * 100).toFixed(0)}%, ${eta.toFixed(0)} s left`;
    }
    writeSync(2, `\r${line}\x1b[K`);
    this.drawn = true;
  }

  /** Clears the line before the final output. */
  done(): void {
    if (this.drawn) writeSync(2, '\r\x1b[K');
  }
}

function formatRate(r: number): string {
  return r >= 1e6 ? `${(r / 1e6).toFixed(2)} M` : r >= 1e3 ? `${(r / 1e3).toFixed(1)} k` : r.toFixed(0);
}
