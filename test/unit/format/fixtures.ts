/**
 * Entries reproduced from live sessions on this machine (kernel 6.18.44,
 * conntrack-tools 1.4.7), each in a scratch netns:
 *  run1: acct off; `conntrack -I` of A..E.
 *  run2: acct on; `conntrack -I` of F..K, `conntrack -U` (mark 5, -t 50, -u ASSURED) on F,
 *        then `conntrack -D` / `-F`, with `conntrack -E` and `conntrack -E -o id,extended` running.
 *  run3: acct on; real loopback traffic (UDP v4 one-way, UDP v6 exchange, TCP open/close)
 *        with an nft `ct state` rule, `conntrack -E -o id`, then `conntrack -F`.
 *  run4: nf_conntrack_timestamp=1; `conntrack -I` of gre/sctp/udplite.
 * Timeouts here are the whole seconds that were printed.
 */
import { conn, ASSURED, CONFIRMED, SEEN_REPLY } from './helpers.js';

const ESTAB = CONFIRMED | SEEN_REPLY | ASSURED;

export const A = conn({ proto: 6, timeout: 116, state: 'SYN_SENT', id: 1983399996,
  orig: { src: '192.168.1.6', dst: '192.168.1.35', sport: 1031, dport: 23 } });
export const B = conn({ proto: 50, timeout: 599, id: 1820054419, orig: { src: '1.1.1.1', dst: '2.2.2.2' } });
export const C = conn({ proto: 1, timeout: 29, status: CONFIRMED | SEEN_REPLY, id: 2304766968,
  orig: { src: '10.0.0.1', dst: '10.0.0.2', type: 8, code: 0, id: 1 } });
export const D = conn({ proto: 6, timeout: 99, state: 'ESTABLISHED', status: ESTAB, id: 3576700912,
  orig: { src: '192.168.1.5', dst: '192.168.1.35', sport: 1031, dport: 23 } });
export const E = conn({ proto: 17, timeout: 29, mark: 7, id: 4147080093,
  orig: { src: '10.0.0.1', dst: '10.0.0.2', sport: 53, dport: 5353 } });

export const F = conn({ proto: 6, timeout: 49, state: 'ESTABLISHED', status: ESTAB, mark: 5, id: 3383773876,
  acct: [0, 0, 0, 0], orig: { src: '10.1.1.1', dst: '10.1.1.2', sport: 1, dport: 2 } });
export const G = conn({ proto: 17, timeout: 29, zone: 3, id: 2175163807, acct: [0, 0, 0, 0],
  orig: { src: 'fe80::1', dst: 'ff02::1:2', sport: 546, dport: 547 } });
export const H = conn({ proto: 17, timeout: 29, zone: 3, mark: 4294967295, id: 3440999657, acct: [0, 0, 0, 0],
  orig: { src: '1.2.3.4', dst: '5.6.7.8', sport: 546, dport: 547 } });
export const I = conn({ proto: 6, timeout: 99, state: 'ESTABLISHED', status: ESTAB, id: 1413185588,
  acct: [0, 0, 0, 0], orig: { src: '2001:db8::1', dst: '2001:db8:0:0:1:0:0:1', sport: 1, dport: 2 } });
export const J = conn({ proto: 17, timeout: 29, id: 1506979954, acct: [0, 0, 0, 0],
  orig: { src: '1:0:0:1:0:0:0:1', dst: '0:0:1:0:0:1:0:0', sport: 1, dport: 2 } });
export const K = conn({ proto: 58, timeout: 29, id: 2726733928, acct: [0, 0, 0, 0],
  orig: { src: '::1', dst: '::ffff:1.2.3.4', type: 128, code: 0, id: 5 } });

export const L = conn({ proto: 17, timeout: 29, status: CONFIRMED | SEEN_REPLY, id: 981620432,
  acct: [1, 58, 1, 68], orig: { src: '::1', dst: '::1', sport: 7777, dport: 7778 } });
export const M = conn({ proto: 17, timeout: 29, id: 3088484233, acct: [1, 40, 0, 0],
  orig: { src: '127.0.0.1', dst: '127.0.0.1', sport: 43604, dport: 5454 } });
export const N = conn({ proto: 6, timeout: 119, state: 'TIME_WAIT', status: ESTAB, id: 3589264319,
  acct: [5, 271, 3, 164], orig: { src: '127.0.0.1', dst: '127.0.0.1', sport: 37738, dport: 5555 } });

const T0 = 1795462939_000000000n;
export const GRE = conn({ proto: 47, timeout: 29, startNs: T0, extra: { greTimeout: 0, greStreamTimeout: 0 },
  orig: { src: '1.2.3.4', dst: '5.6.7.8', greKeySrc: 1, greKeyDst: 2 } });
export const SCTP = conn({ proto: 132, timeout: 29, state: 'ESTABLISHED', startNs: T0,
  orig: { src: '1.2.3.4', dst: '5.6.7.8', sport: 1, dport: 2 } });
export const UDPLITE = conn({ proto: 136, timeout: 29, startNs: T0,
  orig: { src: '1.2.3.4', dst: '5.6.7.8', sport: 1, dport: 2 } });
export const SYN_SENT2 = conn({ proto: 6, timeout: 29, state: 'SYN_SENT2',
  orig: { src: '1.2.3.4', dst: '5.6.7.8', sport: 3, dport: 2 } });
