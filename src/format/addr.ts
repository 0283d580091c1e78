/**
 * Address printing.
 *
 * - 'proc': what the kernel's seq_printf prints in /proc/net/nf_conntrack:
 *   IPv4 `%pI4` (dotted quad), IPv6 `%pI6` = eight groups of four lowercase hex
 *   digits, never compressed (`0000:0000:0000:0000:0000:0000:0000:0001`).
 * - 'compressed': what conntrack-tools prints through libnetfilter_conntrack:
 *   IPv4 inet_ntoa, IPv6 glibc inet_ntop(AF_INET6). That is RFC 5952 text
 *   (lowercase, no leading zeros, the longest run of >= 2 zero groups becomes
 *   `::`, the first one on a tie, a single zero group is never compressed) with
 *   glibc's one deviation: an address whose first 6 groups are zero (`::a.b.c.d`,
 *   except `::` / `::x` with 7 zero groups) or `::ffff:a.b.c.d` ends in dotted
 *   quad. Verified against conntrack -L on this machine (see addr.test.ts).
 */

export type AddrStyle = 'proc' | 'compressed';

function dotted(b: Uint8Array, off: number): string {
  return `${b[off] ?? 0}.${b[off + 1] ?? 0}.${b[off + 2] ?? 0}.${b[off + 3] ?? 0}`;
}

function words6(b: Uint8Array): number[] {
  const w: number[] = [];
  for (let i = 0; i < 8; i++) w.push(((b[2 * i] ?? 0) << 8) | (b[2 * i + 1] ?? 0));
  return w;
}

/** IPv6 text like glibc inet_ntop (see module comment). */
export function ntop6(b: Uint8Array): string {
  const w = words6(b);
  let bestBase = -1;
  let bestLen = 0;
  let curBase = -1;
  let curLen = 0;
  for (let i = 0; i < 8; i++) {
    if (w[i] === 0) {
      if (curBase === -1) {
        curBase = i;
        curLen = 1;
      } else curLen++;
    } else if (curBase !== -1) {
      if (curLen > bestLen) {
        bestBase = curBase;
        bestLen = curLen;
      }
      curBase = -1;
    }
  }
  if (curBase !== -1 && curLen > bestLen) {
    bestBase = curBase;
    bestLen = curLen;
  }
  if (bestLen < 2) bestBase = -1;

  let out = '';
  for (let i = 0; i < 8; i++) {
    if (bestBase !== -1 && i >= bestBase && i < bestBase + bestLen) {
      if (i === bestBase) out += ':';
      continue;
    }
    if (i !== 0) out += ':';
    if (i === 6 && bestBase === 0 && (bestLen === 6 || (bestLen === 5 && w[5] === 0xffff))) {
      out += dotted(b, 12);
      return out;
    }
    out += (w[i] ?? 0).toString(16);
  }
  if (bestBase !== -1 && bestBase + bestLen === 8) out += ':';
  return out;
}

/** `%pI6`: full form, 8 groups of 4 lowercase hex digits. */
export function full6(b: Uint8Array): string {
  return words6(b)
    .map((x) => x.toString(16).padStart(4, '0'))
    .join(':');
}

/** Print a 4- or 16-byte network-order address in the given style. */
export function formatAddr(bytes: Uint8Array, style: AddrStyle): string {
  if (bytes.length === 4) return dotted(bytes, 0);
  if (bytes.length === 16) return style === 'proc' ? full6(bytes) : ntop6(bytes);
  throw new RangeError(`formatAddr: address must be 4 or 16 bytes, got ${bytes.length}`);
}
