/** CRC32c (Castagnoli), the SCTP checksum (RFC 4960 appendix B), table-driven over the buffer. */
const TABLE: Uint32Array = (() => {
  const t = new Uint32Array(256);
  for (let i = 0; i < 256; i++) {
    let c = i;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
    t[i] = c >>> 0;
  }
  return t;
})();

/** CRC32c of buf[off, off+len), with the 4 bytes at `zeroAt` read as zero (the checksum field). */
export function crc32c(buf: Uint8Array, off: number, len: number, zeroAt = -1): number {
  let c = 0xffffffff;
  const end = off + len;
  for (let i = off; i < end; i++) {
    const b = zeroAt >= 0 && i >= zeroAt && i < zeroAt + 4 ? 0 : buf[i]!;
    c = TABLE[(c ^ b) & 0xff]! ^ (c >>> 8);
  }
  return ~c >>> 0;
}
