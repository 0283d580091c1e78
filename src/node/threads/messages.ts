/**
 * What the main thread and the --threads workers say to each other. Positions
 * (`pos`) are frame positions within the batch; records carry sort keys so the
 * main thread can interleave the workers' output as one tracker would print it.
 */
import type { ConnSnapshot } from '../../format/snapshot.js';
import type { ExpectSnapshot } from '../../format/expect.js';
import type { EventType, ConntrackOptions } from '../../conntrack.js';
import type { PacketInfo } from '../../cli/packet-line.js';
import type { TallyCounts } from '../../cli/tally.js';

export interface WorkerSetup {
  ctOpts: ConntrackOptions;
  /** What to record: events (and expectation events), per-packet records (--packets / --summary), expectations at the end. */
  events: boolean;
  packets: boolean;
  perPacket: boolean;
  expectations: boolean;
  /** Int32Array(1) over a SharedArrayBuffer: bumped (and notified) after every reply. */
  signal: SharedArrayBuffer;
}

/**
 * A batch: every frame's time (each worker's clock follows the whole capture) and
 * the bytes of the frames this worker owns. The arrays go back and forth (BatchOut
 * returns them) so their pages stay touched: first touches are what costs here.
 */
export interface BatchIn {
  type: 'batch';
  /** Frames in the batch, and how many of them this worker owns (the arrays are longer). */
  frames: number;
  owned: number;
  tsSec: Float64Array;
  tsNsec: Float64Array;
  /** Own frames: position in the batch, frame number, link type, lengths, start in `bytes`. */
  own: Int32Array;
  index: Float64Array;
  linkType: Int32Array;
  caplen: Int32Array;
  origLen: Int32Array;
  start: Int32Array;
  bytes: Uint8Array;
}

export interface EndIn {
  type: 'end';
  /** --at: the clock moves there before the table is read (seconds), or null. */
  atSec: number | null;
  /** The table is wanted (printed, filtered, summed up, or Ctrl-C's summary). */
  entries: boolean;
}

/**
 * Phases of one frame, in the order a single tracker prints them: expectations
 * expiring, entries expiring (each with the expectations it takes along), then
 * what the frame itself caused (all on the frame's own worker).
 */
export const PHASE_EXPECT_EXPIRY = 0;
export const PHASE_EXPIRY = 1;
export const PHASE_OWN = 2;

interface Keyed {
  pos: number;
  phase: number;
  /** PHASE_EXPECT_EXPIRY: deadline, -creation; PHASE_EXPIRY: deadline, creation number (local until the main thread maps it). */
  k1: number;
  k2: number;
}

export interface EventRec extends Keyed {
  kind: 'event';
  type: EventType;
  time: number;
  /** `id` holds the worker's creation number of the entry until the main thread renumbers it. */
  entry: ConnSnapshot;
  protoinfo: boolean;
}

export interface ExpectRec extends Keyed {
  kind: 'expect';
  type: 'NEW' | 'DESTROY';
  time: number;
  x: ExpectSnapshot;
}

export interface PacketRec extends Keyed {
  kind: 'packet';
  ts: number;
  /** PacketResult.ctstate. */
  ctstate: number;
  /** Log messages, for --summary's invalid packets only. */
  reasons: string[];
  /** For --packets. */
  info: PacketInfo | null;
  fragment: number;
  datagramFrames: number[] | null;
}

export type Rec = EventRec | ExpectRec | PacketRec;

export interface BatchOut {
  type: 'batch';
  /** The batch's arrays, handed back for the next one. */
  batch: BatchIn;
  records: Rec[];
  /** Position of the frame behind each entry this worker allocated in the batch, in allocation order. */
  allocs: Int32Array;
  /** Most entries / expectations this worker held at once during the batch. */
  peak: number;
  expectPeak: number;
  /** (position, datagrams awaiting fragments) each time this worker's count changed (--packets only). */
  pending: number[];
}

export interface EndOut {
  type: 'end';
  records: Rec[];
  /** Oldest first; `id` holds the creation number, as in EventRec. */
  entries: ConnSnapshot[];
  /** Newest first, each with its creation key. */
  expectations: { x: ExpectSnapshot; created: number }[];
  stats: Record<string, number>;
  count: number;
  tally: TallyCounts;
  summary: SummaryShare;
}

/** A worker's share of Ctrl-C's summary, beyond its tally: what the order of first sight needs. */
export interface SummaryShare {
  /** Frame number of the first packet of each ctstate (Infinity: none). */
  firstSeen: number[];
  /** Invalid packets by reason key: how many, and the frame number of the first. */
  invalid: Record<string, [number, number]>;
}

export interface ErrorOut {
  type: 'error';
  message: string;
}

export type WorkerOut = BatchOut | EndOut | ErrorOut;
