/**
 * Link-layer decoding: from a captured frame to its IPv4/IPv6 header.
 * Browser-safe; allocation-free on the success path.
 */
import { CaptureError } from '../io/errors.js';
import type { CaptureFrame } from '../io/frame.js';
import {
  isSupportedLinkType,
  linkTypeName,
  unsupportedLinkTypeMessage,
} from '../io/linktypes.js';

export { isSupportedLinkType, linkTypeName };

export interface LinkResult {
  /** Index in frame.buf/dv of the first L3 byte. */
  l3Off: number;
  /** Captured bytes from l3Off to the end of the captured data. */
  l3Len: number;
  /** 4 or 6 when an IP packet was found, else 0. */
  family: 0 | 4 | 6;
  /** Ethertype of the L3 payload (0x0800 / 0x86dd; for raw/NULL/LOOP derived from the family). */
  ethertype: number;
  /** Why the frame is not an IP packet (null when it is). */
  skip: string | null;
}

export const SKIP_TRUNCATED_LINK = 'truncated link header';

export const ETHERTYPE_IPV4 = 0x0800;
export const ETHERTYPE_IPV6 = 0x86dd;
export const ETHERTYPE_VLAN = 0x8100;
export const ETHERTYPE_QINQ = 0x88a8;
export const ETHERTYPE_QINQ_OLD = 0x9100;

export function createLinkResult(): LinkResult {
  return { l3Off: 0, l3Len: 0, family: 0, ethertype: 0, skip: null };
}

const etherMsgs = new Map<number, string>();
function notIpEthertype(et: number): string {
  let m = etherMsgs.get(et);
  if (m === undefined) {
    m = `not IP (ethertype 0x${et.toString(16).padStart(4, '0')})`;
    if (etherMsgs.size < 4096) etherMsgs.set(et, m);
  }
  return m;
}

const ltMsgs = new Map<number, string>();
function unsupported(lt: number): string {
  let m = ltMsgs.get(lt);
  if (m === undefined) {
    m = unsupportedLinkTypeMessage(lt);
    if (ltMsgs.size < 4096) ltMsgs.set(lt, m);
  }
  return m;
}

/** Throws `CaptureError('unsupported link type 147 (LINKTYPE_USER0)')` for link types decodeLink cannot handle. */
export function assertSupportedLinkType(lt: number, offset = 0): void {
  if (!isSupportedLinkType(lt)) throw new CaptureError(unsupportedLinkTypeMessage(lt), offset);
}

function skip(out: LinkResult, why: string): false {
  out.l3Off = 0;
  out.l3Len = 0;
  out.family = 0;
  out.ethertype = 0;
  out.skip = why;
  return false;
}

/** After the link header: p = first byte after it, et = payload ethertype (VLAN tags still to strip). */
function fromEthertype(out: LinkResult, dv: DataView, p: number, end: number, et: number): boolean {
  while (et === ETHERTYPE_VLAN || et === ETHERTYPE_QINQ || et === ETHERTYPE_QINQ_OLD) {
    if (end - p < 4) return skip(out, SKIP_TRUNCATED_LINK);
    et = dv.getUint16(p + 2, false);
    p += 4;
  }
  if (et === ETHERTYPE_IPV4) out.family = 4;
  else if (et === ETHERTYPE_IPV6) out.family = 6;
  else {
    skip(out, notIpEthertype(et));
    out.ethertype = et;
    return false;
  }
  out.l3Off = p;
  out.l3Len = end - p;
  out.ethertype = et;
  out.skip = null;
  return true;
}

function ipAt(out: LinkResult, p: number, end: number, family: 4 | 6): true {
  out.l3Off = p;
  out.l3Len = end - p;
  out.family = family;
  out.ethertype = family === 4 ? ETHERTYPE_IPV4 : ETHERTYPE_IPV6;
  out.skip = null;
  return true;
}

function fromAddressFamily(out: LinkResult, p: number, end: number, af: number): boolean {
  if (af === 2) return ipAt(out, p, end, 4);
  // AF_INET6: 24 (NetBSD/OpenBSD/BSD/OS), 28 (FreeBSD), 30 (macOS/Darwin)
  if (af === 24 || af === 28 || af === 30) return ipAt(out, p, end, 6);
  return skip(out, `not IP (address family ${af})`);
}

/**
 * Finds the IP header of the frame. Returns true with out.l3Off/l3Len/family
 * set for IPv4/IPv6 packets; false with out.skip explaining why otherwise.
 */
export function decodeLink(frame: CaptureFrame, out: LinkResult): boolean {
  const dv = frame.dv;
  const p = frame.offset;
  const end = frame.offset + frame.caplen;
  const n = frame.caplen;
  switch (frame.linkType) {
    case 1: // ETHERNET: dst(6) src(6) type(2)
      if (n < 14) return skip(out, SKIP_TRUNCATED_LINK);
      return fromEthertype(out, dv, p + 14, end, dv.getUint16(p + 12, false));

    case 113: // LINUX_SLL: pkttype(2) hatype(2) halen(2) addr(8) protocol(2)
      if (n < 16) return skip(out, SKIP_TRUNCATED_LINK);
      return fromEthertype(out, dv, p + 16, end, dv.getUint16(p + 14, false));

    case 276: // LINUX_SLL2: protocol(2) reserved(2) ifindex(4) hatype(2) pkttype(1) halen(1) addr(8)
      if (n < 20) return skip(out, SKIP_TRUNCATED_LINK);
      return fromEthertype(out, dv, p + 20, end, dv.getUint16(p, false));

    case 101: // RAW
    case 12: // DLT_RAW (some BSDs)
    case 14: {
      // DLT_RAW (BSD/OS)
      if (n < 1) return skip(out, SKIP_TRUNCATED_LINK);
      const ver = frame.buf[p]! >> 4;
      if (ver === 4) return ipAt(out, p, end, 4);
      if (ver === 6) return ipAt(out, p, end, 6);
      return skip(out, `not IP (version ${ver})`);
    }

    case 228: // IPV4
      if (n < 1) return skip(out, SKIP_TRUNCATED_LINK);
      return ipAt(out, p, end, 4);

    case 229: // IPV6
      if (n < 1) return skip(out, SKIP_TRUNCATED_LINK);
      return ipAt(out, p, end, 6);

    case 0: {
      // NULL: 4-byte address family in the capturing host's byte order.
      if (n < 4) return skip(out, SKIP_TRUNCATED_LINK);
      let af = dv.getUint32(p, true);
      if (af > 0xffff) af = dv.getUint32(p, false);
      return fromAddressFamily(out, p + 4, end, af);
    }

    case 108: // LOOP: 4-byte address family in network byte order.
      if (n < 4) return skip(out, SKIP_TRUNCATED_LINK);
      return fromAddressFamily(out, p + 4, end, dv.getUint32(p, false));

    default:
      return skip(out, unsupported(frame.linkType));
  }
}
