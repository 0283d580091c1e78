/**
 * One captured record. A single instance is reused for every frame (no
 * allocation per packet): the reader fills it in place.
 *
 * Memory validity: `buf`/`dv` point either into the chunk that was pushed to
 * the reader (zero-copy) or into the reader's internal carry buffer (for
 * records that straddle chunks). The bytes are valid only until the next call
 * to `CaptureReader.next()` or `CaptureReader.push()`. Copy what you need to
 * keep (e.g. `frame.buf.slice(frame.offset, frame.offset + frame.caplen)`).
 */
export interface CaptureFrame {
  /** 1-based frame number, as Wireshark numbers frames. */
  index: number;
  /** LINKTYPE_* of the frame's interface. */
  linkType: number;
  /** Timestamp seconds (integer, UNIX epoch). */
  tsSec: number;
  /** Nanoseconds part, 0..999999999 (exact conversion from usec / if_tsresol). */
  tsNsec: number;
  /** Buffer holding the bytes (NOT a per-packet subarray: zero-alloc). */
  buf: Uint8Array;
  /** DataView over the same memory as buf (same indices as buf). */
  dv: DataView;
  /** Index in buf/dv of the first captured byte. */
  offset: number;
  /** Captured length (an FCS announced by the file is already removed). */
  caplen: number;
  /** Length on the wire. */
  origLen: number;
  /** pcapng interface id; 0 for pcap. */
  ifIndex: number;
  /** Absolute byte offset of this record in the input (for messages). */
  fileOffset: number;
}

const EMPTY = new Uint8Array(0);
const EMPTY_DV = new DataView(EMPTY.buffer);

/** A fresh frame to be filled by `CaptureReader.next()` (allocate once, reuse). */
export function createFrame(): CaptureFrame {
  return {
    index: 0,
    linkType: 0,
    tsSec: 0,
    tsNsec: 0,
    buf: EMPTY,
    dv: EMPTY_DV,
    offset: 0,
    caplen: 0,
    origLen: 0,
    ifIndex: 0,
    fileOffset: 0,
  };
}

/** Copy of the frame's captured bytes (allocates; for tests and tooling). */
export function frameBytes(f: CaptureFrame): Uint8Array {
  return f.buf.slice(f.offset, f.offset + f.caplen);
}
