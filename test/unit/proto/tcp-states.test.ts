/**
 * The TCP state table of nf_conntrack_proto_tcp.c (Linux 6.18), cell by cell.
 *
 * The expected values below are written out independently of src/: they are the
 * kernel's `tcp_conntracks[2][6][TCP_CONNTRACK_MAX]` as it stands in 6.18
 * (copied from the kernel source, cross-checked against KERNEL-NOTES §1.4),
 * with the kernel's state numbering from uapi nf_conntrack_tcp.h:
 *   NONE 0, SYN_SENT 1, SYN_RECV 2, ESTABLISHED 3, FIN_WAIT 4, CLOSE_WAIT 5,
 *   LAST_ACK 6, TIME_WAIT 7, CLOSE 8, SYN_SENT2 9, MAX 10 (= sIV), IGNORE 11 (= sIG).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  TCP_CONNTRACK_NAMES, TCP_VALID_FLAGS, getConntrackIndex, tcpConntracks,
} from '../../../src/proto/tcp-states.js';

// Kernel numbering (uapi/linux/netfilter/nf_conntrack_tcp.h), not imported from src/.
const sNO = 0, sSS = 1, sSR = 2, sES = 3, sFW = 4, sCW = 5, sLA = 6, sTW = 7, sCL = 8, sS2 = 9;
const sIV = 10, sIG = 11;
const STATE_LABEL = ['sNO', 'sSS', 'sSR', 'sES', 'sFW', 'sCW', 'sLA', 'sTW', 'sCL', 'sS2', 'sIV', 'sIG'];

// enum tcp_bit_set
const TCP_SYN_SET = 0, TCP_SYNACK_SET = 1, TCP_FIN_SET = 2, TCP_ACK_SET = 3, TCP_RST_SET = 4, TCP_NONE_SET = 5;
const INDEX_LABEL = ['syn', 'synack', 'fin', 'ack', 'rst', 'none'];

// TCPHDR_* bits of the TCP header's flags byte (RFC 793 / RFC 3168).
const FIN = 0x01, SYN = 0x02, RST = 0x04, PSH = 0x08, ACK = 0x10, URG = 0x20, ECE = 0x40, CWR = 0x80;

/** tcp_conntracks[dir][index][old] of Linux 6.18, columns sNO sSS sSR sES sFW sCW sLA sTW sCL sS2. */
const KERNEL_TABLE: readonly (readonly (readonly number[])[])[] = [
  [
    /* ORIGINAL */
    /*syn*/    [sSS, sSS, sIG, sIG, sIG, sIG, sIG, sSS, sSS, sS2],
    /*synack*/ [sIV, sIV, sSR, sIV, sIV, sIV, sIV, sIV, sIV, sSR],
    /*fin*/    [sIV, sIV, sFW, sFW, sLA, sLA, sLA, sTW, sCL, sIV],
    /*ack*/    [sES, sIV, sES, sES, sCW, sCW, sTW, sTW, sCL, sIV],
    /*rst*/    [sIV, sCL, sCL, sCL, sCL, sCL, sCL, sCL, sCL, sCL],
    /*none*/   [sIV, sIV, sIV, sIV, sIV, sIV, sIV, sIV, sIV, sIV],
  ],
  [
    /* REPLY */
    /*syn*/    [sIV, sS2, sIV, sIV, sIV, sIV, sIV, sSS, sIV, sS2],
    /*synack*/ [sIV, sSR, sIG, sIG, sIG, sIG, sIG, sIG, sIG, sSR],
    /*fin*/    [sIV, sIV, sFW, sFW, sLA, sLA, sLA, sTW, sCL, sIV],
    /*ack*/    [sIV, sIG, sSR, sES, sCW, sCW, sTW, sTW, sCL, sIG],
    /*rst*/    [sIV, sCL, sCL, sCL, sCL, sCL, sCL, sCL, sCL, sCL],
    /*none*/   [sIV, sIV, sIV, sIV, sIV, sIV, sIV, sIV, sIV, sIV],
  ],
];

const DIR_LABEL = ['ORIGINAL', 'REPLY'];

for (let dir = 0; dir < 2; dir++) {
  for (let index = 0; index < 6; index++) {
    test(`tcp_conntracks[${DIR_LABEL[dir]}][${INDEX_LABEL[index]}] matches Linux 6.18 for every old state`, () => {
      const row = KERNEL_TABLE[dir]![index]!;
      assert.equal(row.length, 10);
      for (let old = 0; old < 10; old++) {
        const got = tcpConntracks(dir, index, old);
        assert.equal(
          got, row[old]!,
          `${DIR_LABEL[dir]} ${INDEX_LABEL[index]} in ${STATE_LABEL[old]}: kernel goes to ${STATE_LABEL[row[old]!]}, ` +
          `ctscope to ${STATE_LABEL[got] ?? String(got)}`,
        );
      }
    });
  }
}

test('the 120 cells hold only real states, sIV or sIG', () => {
  let cells = 0;
  for (let dir = 0; dir < 2; dir++) {
    for (let index = 0; index < 6; index++) {
      for (let old = 0; old < 10; old++) {
        const v = tcpConntracks(dir, index, old);
        assert.ok(Number.isInteger(v) && v >= 0 && v <= 11 && v !== sNO, `cell [${dir}][${index}][${old}] = ${v}`);
        cells++;
      }
    }
  }
  assert.equal(cells, 120);
});

test('a few cells that differ from older kernels (6.18 values)', () => {
  // ORIGINAL SYN/ACK in SYN_RECV: "late retransmitted SYN/ACK in simultaneous open" -> sSR
  assert.equal(tcpConntracks(0, TCP_SYNACK_SET, sSR), sSR);
  // REPLY SYN in TIME_WAIT: "reopened connection, but server may have switched role" -> sSS
  assert.equal(tcpConntracks(1, TCP_SYN_SET, sTW), sSS);
  // REPLY SYN in CLOSE stays invalid, while ORIGINAL SYN in CLOSE reopens.
  assert.equal(tcpConntracks(1, TCP_SYN_SET, sCL), sIV);
  assert.equal(tcpConntracks(0, TCP_SYN_SET, sCL), sSS);
  // REPLY ACK in SYN_SENT may be a half-open connection: ignored, not invalid.
  assert.equal(tcpConntracks(1, TCP_ACK_SET, sSS), sIG);
  assert.equal(tcpConntracks(0, TCP_ACK_SET, sSS), sIV);
});

test('state names are tcp_conntrack_names[] of 6.18, in kernel order', () => {
  assert.deepEqual([...TCP_CONNTRACK_NAMES], [
    'NONE', 'SYN_SENT', 'SYN_RECV', 'ESTABLISHED', 'FIN_WAIT', 'CLOSE_WAIT', 'LAST_ACK', 'TIME_WAIT', 'CLOSE', 'SYN_SENT2',
  ]);
});

/** get_conntrack_index() written from the kernel's if-chain on the individual bits. */
function kernelIndex(flags: number): number {
  if (flags & RST) return TCP_RST_SET;
  if (flags & SYN) return flags & ACK ? TCP_SYNACK_SET : TCP_SYN_SET;
  if (flags & FIN) return TCP_FIN_SET;
  if (flags & ACK) return TCP_ACK_SET;
  return TCP_NONE_SET;
}

test('getConntrackIndex: the usual segments', () => {
  assert.equal(getConntrackIndex(SYN), TCP_SYN_SET);
  assert.equal(getConntrackIndex(SYN | ACK), TCP_SYNACK_SET);
  assert.equal(getConntrackIndex(FIN | ACK), TCP_FIN_SET);
  assert.equal(getConntrackIndex(ACK), TCP_ACK_SET);
  assert.equal(getConntrackIndex(ACK | PSH), TCP_ACK_SET);
  assert.equal(getConntrackIndex(RST), TCP_RST_SET);
  assert.equal(getConntrackIndex(RST | ACK), TCP_RST_SET);
  assert.equal(getConntrackIndex(0), TCP_NONE_SET);
  assert.equal(getConntrackIndex(PSH), TCP_NONE_SET);
  assert.equal(getConntrackIndex(URG), TCP_NONE_SET);
  assert.equal(getConntrackIndex(ECE | CWR), TCP_NONE_SET);
});

test('getConntrackIndex: priorities RST > SYN(+ACK) > FIN > ACK > none', () => {
  // RST wins over everything
  assert.equal(getConntrackIndex(RST | SYN), TCP_RST_SET);
  assert.equal(getConntrackIndex(RST | SYN | ACK), TCP_RST_SET);
  assert.equal(getConntrackIndex(RST | FIN), TCP_RST_SET);
  assert.equal(getConntrackIndex(RST | FIN | SYN | ACK | URG | PSH), TCP_RST_SET);
  // SYN over FIN; SYN+ACK is SYNACK even with FIN
  assert.equal(getConntrackIndex(SYN | FIN), TCP_SYN_SET);
  assert.equal(getConntrackIndex(SYN | FIN | ACK), TCP_SYNACK_SET);
  assert.equal(getConntrackIndex(SYN | URG), TCP_SYN_SET);
  // FIN over ACK; FIN alone is still the fin class
  assert.equal(getConntrackIndex(FIN), TCP_FIN_SET);
  assert.equal(getConntrackIndex(FIN | ACK | URG | PSH), TCP_FIN_SET);
  // ACK over nothing
  assert.equal(getConntrackIndex(ACK | URG | ECE | CWR), TCP_ACK_SET);
});

test('getConntrackIndex agrees with the kernel on all 256 flag bytes', () => {
  for (let f = 0; f < 256; f++) {
    assert.equal(getConntrackIndex(f), kernelIndex(f), `flags 0x${f.toString(16)}`);
  }
});

/** tcp_valid_flags[] of 6.18: exactly these nine entries are 1. */
const KERNEL_VALID = new Set([
  SYN, SYN | URG, SYN | ACK, RST, RST | ACK, FIN | ACK, FIN | ACK | URG, ACK, ACK | URG,
]);

test('TCP_VALID_FLAGS: exactly the 9 combinations of the kernel (PSH, ECE, CWR masked off)', () => {
  const valid: number[] = [];
  for (let f = 0; f <= (FIN | SYN | RST | ACK | URG); f++) if (TCP_VALID_FLAGS[f]) valid.push(f);
  assert.deepEqual(valid.sort((a, b) => a - b), [...KERNEL_VALID].sort((a, b) => a - b));
});

test('TCP_VALID_FLAGS: every flag byte, with PSH/ECE/CWR masked as tcp_error() does', () => {
  for (let f = 0; f < 256; f++) {
    const masked = f & ~(ECE | CWR | PSH);
    const expected = KERNEL_VALID.has(masked);
    assert.equal(Boolean(TCP_VALID_FLAGS[masked]), expected, `flags 0x${f.toString(16)} (masked 0x${masked.toString(16)})`);
  }
  // Named invalid ones from the scans the kernel rejects.
  for (const bad of [0, FIN, SYN | FIN, SYN | RST, SYN | FIN | ACK, RST | FIN, FIN | PSH | URG, URG, PSH]) {
    assert.ok(!TCP_VALID_FLAGS[bad & ~(ECE | CWR | PSH)], `0x${bad.toString(16)} must be invalid`);
  }
});

test('TCP_VALID_FLAGS has the kernel size (FIN|SYN|RST|ACK|URG) + 1 = 56, every slot 0 or 1', () => {
  assert.equal(TCP_VALID_FLAGS.length, (FIN | SYN | RST | ACK | URG) + 1);
  for (let f = 0; f <= (FIN | SYN | RST | ACK | URG); f++) {
    const v = TCP_VALID_FLAGS[f];
    assert.ok(v === 0 || v === 1, `slot 0x${f.toString(16)} = ${v}`);
  }
});
