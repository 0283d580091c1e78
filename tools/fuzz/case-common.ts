/**
 * What every differential-fuzzing case generator shares: the seeded PRNG, the case shape, a
 * packet trace with capture times and descriptions, random endpoint addresses and the
 * "what the capture saw" perturbations (losses, swaps, duplicates).
 */

/** sfc32, seeded from two 32-bit words */
export class Rng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;
  constructor(seed: number, stream: number) {
    this.a = seed >>> 0;
    this.b = stream >>> 0;
    this.c = 0x9e3779b9;
    this.d = 1;
    for (let i = 0; i < 16; i++) this.u32();
  }
  u32(): number {
    const t = (((this.a + this.b) >>> 0) + this.d) >>> 0;
    this.d = (this.d + 1) >>> 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) >>> 0;
    this.c = ((this.c << 21) | (this.c >>> 11)) >>> 0;
    this.c = (this.c + t) >>> 0;
    return t >>> 0;
  }
  /** [0, 1) */
  f(): number {
    return this.u32() / 4294967296;
  }
  /** integer in [lo, hi] */
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.f() * (hi - lo + 1));
  }
  chance(p: number): boolean {
    return this.f() < p;
  }
  pick<T>(xs: readonly T[]): T {
    return xs[Math.floor(this.f() * xs.length)]!;
  }
  weighted<T>(xs: ReadonlyArray<readonly [T, number]>): T {
    let total = 0;
    for (const [, w] of xs) total += w;
    let r = this.f() * total;
    for (const [v, w] of xs) {
      r -= w;
      if (r < 0) return v;
    }
    return xs[xs.length - 1]![0];
  }
}

export interface CasePacket {
  tMs: number;
  data: Uint8Array;
  /** short human description: "c>s ACK|PSH seq=.. ack=.. len=.." */
  desc: string;
}

export interface FuzzCase {
  name: string;
  seed: number;
  index: number;
  sysctls: Record<string, number>;
  summary: string;
  packets: CasePacket[];
  /** kernel helpers the recorder attaches (nft ct helper), e.g. ["ftp"] */
  helpers?: string[];
  /** packets may legitimately get no ct state (held fragments, IP-layer drops) */
  noneOk?: boolean;
}

/** The PRNG of case `index` of a run (the stream constant is the one the TCP fuzzer always used). */
export function caseRng(seed: number, index: number): Rng {
  return new Rng(seed, index * 2654435761 + 1);
}

/** Packets in capture order with a running capture clock (0 or 1 ms apart: replayed in real time). */
export class Trace {
  readonly out: CasePacket[] = [];
  t = 0;
  constructor(readonly r: Rng) {}
  push(data: Uint8Array, desc: string): void {
    this.t += this.r.chance(0.5) ? 0 : 1;
    this.out.push({ tMs: this.t, data, desc });
  }
}

export interface Hosts {
  v6: boolean;
  c: string;
  s: string;
  /** a third host (a router that sends ICMP errors, another FTP server) */
  o: string;
}

export function randHosts(r: Rng, v6 = r.chance(0.3)): Hosts {
  return v6
    ? { v6, c: `2001:db8:${r.int(1, 0xffff).toString(16)}::5`, s: `2001:db8:ffff::${r.int(1, 0xffff).toString(16)}`, o: `2001:db8:eeee::${r.int(1, 0xffff).toString(16)}` }
    : { v6, c: `192.168.${r.int(0, 255)}.${r.int(1, 254)}`, s: `10.${r.int(0, 255)}.${r.int(0, 255)}.${r.int(1, 254)}`, o: `172.16.${r.int(0, 255)}.${r.int(1, 254)}` };
}

/** What the capture saw: some packets lost (never the first), neighbours swapped, some duplicated. */
export function perturb(r: Rng, packets: CasePacket[], notes: string[], p: { lose: number; swap: number; dup?: number }): CasePacket[] {
  let pk = packets;
  if (pk.length > 3 && r.chance(p.lose)) {
    const n = r.int(1, Math.max(1, Math.floor(pk.length / 8)));
    for (let k = 0; k < n; k++) {
      const idx = r.int(1, pk.length - 1);
      notes.push(`lost#${idx + 1}`);
      pk = pk.filter((_, j) => j !== idx);
    }
  }
  if (pk.length > 3 && r.chance(p.swap)) {
    const n = r.int(1, 3);
    for (let k = 0; k < n; k++) {
      const idx = r.int(0, pk.length - 2);
      const a = pk[idx]!;
      const b = pk[idx + 1]!;
      notes.push(`swap#${idx + 1}`);
      pk[idx] = { ...b, tMs: a.tMs };
      pk[idx + 1] = { ...a, tMs: b.tMs };
    }
  }
  if (p.dup && pk.length > 1 && r.chance(p.dup)) {
    const idx = r.int(0, pk.length - 1);
    notes.push(`dup#${idx + 1}`);
    pk = [...pk.slice(0, idx + 1), { ...pk[idx]!, desc: `${pk[idx]!.desc} (dup)` }, ...pk.slice(idx + 1)];
  }
  return pk;
}

export function u32(x: number): number {
  return x >>> 0;
}

/**
 * Random sysctls: each [name, probability, values] is set with that probability, to one of the
 * values (a single value draws nothing more from the PRNG).
 */
export function randSysctls(r: Rng, table: ReadonlyArray<readonly [string, number, readonly number[]]>): Record<string, number> {
  const s: Record<string, number> = {};
  for (const [name, p, values] of table) {
    if (r.chance(p)) s[`net.netfilter.${name}`] = values.length === 1 ? values[0]! : r.pick(values);
  }
  return s;
}
