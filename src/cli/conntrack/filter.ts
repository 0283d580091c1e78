/** Which entries a conntrack(8) request selects (the -L/-E filters of conntrack-tools 1.4.7). */
import type { ConnSnapshot, TupleSnapshot } from '../../format/snapshot.js';
import type { AddrMatch, ConntrackRequest } from './args.js';

function addrMatches(m: AddrMatch | undefined, a: Uint8Array): boolean {
  if (m === undefined) return true;
  if (a.length !== m.addr.length) return false;
  for (let i = 0; i < a.length; i++) if ((a[i]! & m.mask[i]!) !== m.addr[i]) return false;
  return true;
}

function portsOf(p: number): boolean {
  return p === 6 || p === 17 || p === 136 || p === 132 || p === 33;
}

function icmpMatches(req: ConntrackRequest, t: TupleSnapshot): boolean {
  return (req.icmpType === undefined || t.icmpType === req.icmpType) &&
    (req.icmpCode === undefined || t.icmpCode === req.icmpCode) &&
    (req.icmpId === undefined || t.icmpId === req.icmpId);
}

/** True when the entry passes every filter of the request. */
export function entryMatches(req: ConntrackRequest, s: ConnSnapshot): boolean {
  if (req.family !== 0 && (req.family === 4 ? 2 : 10) !== s.l3num) return false;
  if (req.protonum !== undefined && s.protonum !== req.protonum) return false;
  if (!addrMatches(req.src, s.orig.src) || !addrMatches(req.dst, s.orig.dst)) return false;
  if (!addrMatches(req.replySrc, s.reply.src) || !addrMatches(req.replyDst, s.reply.dst)) return false;
  if (portsOf(s.protonum)) {
    if (req.sport !== undefined && s.orig.sport !== req.sport) return false;
    if (req.dport !== undefined && s.orig.dport !== req.dport) return false;
    if (req.replySport !== undefined && s.reply.sport !== req.replySport) return false;
    if (req.replyDport !== undefined && s.reply.dport !== req.replyDport) return false;
  }
  if ((s.protonum === 1 || s.protonum === 58) && !icmpMatches(req, s.orig)) return false;
  if (req.state !== undefined && s.state !== req.state) return false;
  if (req.status !== undefined) {
    if (req.status === 0 ? s.status !== 0 : (s.status & req.status) !== req.status) return false;
  }
  if (req.mark !== undefined && ((s.mark & req.mark.mask) >>> 0) !== req.mark.value) return false;
  if (req.zone !== undefined && s.zone !== req.zone) return false;
  return true;
}

/** -G: the entry whose original (or reply) tuple is exactly the one given. */
export function entryIsTuple(req: ConntrackRequest, s: ConnSnapshot): boolean {
  if (req.protonum !== undefined && s.protonum !== req.protonum) return false;
  const eq = (m: AddrMatch | undefined, a: Uint8Array): boolean => m !== undefined && addrMatches(m, a);
  const orig = req.src !== undefined && req.dst !== undefined;
  const t = orig ? s.orig : s.reply;
  if (orig ? !(eq(req.src, t.src) && eq(req.dst, t.dst)) : !(eq(req.replySrc, t.src) && eq(req.replyDst, t.dst))) return false;
  if (portsOf(s.protonum)) {
    const sp = orig ? req.sport : req.replySport;
    const dp = orig ? req.dport : req.replyDport;
    return t.sport === sp && t.dport === dp;
  }
  if (s.protonum === 1 || s.protonum === 58) return icmpMatches(req, t);
  return true;
}
