/**
 * Classic libpcap file format (https://datatracker.ietf.org/doc/draft-ietf-opsawg-pcap/).
 * Header parsing helpers; the record loop lives in capture-reader.ts.
 * Browser-safe.
 */
import { CaptureError } from './errors.js';

export const PCAP_FILE_HEADER_LEN = 24;
export const PCAP_RECORD_HEADER_LEN = 16;
/** Kuznetsov's "patched" pcap: records carry 8 more bytes (ifindex, protocol, pkt_type, pad). */
export const PCAP_PATCHED_RECORD_HEADER_LEN = 24;

/** Magic numbers as read big-endian from the first 4 bytes. */
export const PCAP_MAGIC_USEC = 0xa1b2c3d4;
export const PCAP_MAGIC_NSEC = 0xa1b23c4d;
export const PCAP_MAGIC_PATCHED = 0xa1b2cd34;

/**
 * Largest captured length accepted for one record (libpcap's and Wireshark's
 * maximum snapshot length for ordinary link types). Anything bigger is a
 * corrupt length field.
 */
export const MAX_CAPLEN = 262144;

export interface PcapHeader {
  /** Little-endian fields. */
  le: boolean;
  /** Timestamps' fractional part is in nanoseconds (else microseconds). */
  nsec: boolean;
  /** Bytes in each record header (16, or 24 for the patched format). */
  recHdrLen: number;
  versionMajor: number;
  versionMinor: number;
  snaplen: number;
  /** LINKTYPE_* with the FCS/reserved bits masked off. */
  linkType: number;
  /** FCS bytes at the end of each full-length packet (from the FCS bits of the link type field). */
  fcsLen: number;
}

/** Classifies a big-endian magic: null if not a pcap magic. */
export function pcapMagicKind(
  beMagic: number,
): { le: boolean; nsec: boolean; patched: boolean } | null {
  switch (beMagic >>> 0) {
    case 0xa1b2c3d4: return { le: false, nsec: false, patched: false };
    case 0xd4c3b2a1: return { le: true, nsec: false, patched: false };
    case 0xa1b23c4d: return { le: false, nsec: true, patched: false };
    case 0x4d3cb2a1: return { le: true, nsec: true, patched: false };
    case 0xa1b2cd34: return { le: false, nsec: false, patched: true };
    case 0x34cdb2a1: return { le: true, nsec: false, patched: true };
    default: return null;
  }
}

/** Parses the 24-byte file header at dv[off]. Throws CaptureError on an unsupported version. */
export function parsePcapHeader(dv: DataView, off: number, fileOffset: number): PcapHeader {
  const kind = pcapMagicKind(dv.getUint32(off, false));
  if (kind === null) {
    throw new CaptureError(
      `not a pcap or pcapng file (magic 0x${hex32(dv.getUint32(off, false))})`,
      fileOffset,
    );
  }
  const le = kind.le;
  const versionMajor = dv.getUint16(off + 4, le);
  const versionMinor = dv.getUint16(off + 6, le);
  if (versionMajor !== 2) {
    throw new CaptureError(
      `unsupported pcap version ${versionMajor}.${versionMinor}`,
      fileOffset + 4,
    );
  }
  const snaplen = dv.getUint32(off + 16, le);
  const ltField = dv.getUint32(off + 20, le);
  const linkType = ltField & 0xffff;
  // Bit 26 (0x04000000): FCS length present; bits 28..31: FCS length in 16-bit words.
  const fcsLen = (ltField & 0x04000000) !== 0 ? ((ltField >>> 28) & 0xf) * 2 : 0;
  return {
    le,
    nsec: kind.nsec,
    recHdrLen: kind.patched ? PCAP_PATCHED_RECORD_HEADER_LEN : PCAP_RECORD_HEADER_LEN,
    versionMajor,
    versionMinor,
    snaplen,
    linkType,
    fcsLen,
  };
}

export function hex32(v: number): string {
  return (v >>> 0).toString(16).padStart(8, '0');
}
