/**
 * `conntrack -L -o xml` (libnetfilter_conntrack __snprintf_conntrack_xml, as
 * conntrack-tools 1.4.7 prints it; checked against the real binary, see
 * test/fixtures/conntrack/kernel.json). The listing is
 *   <?xml version="1.0" encoding="utf-8"?>\n<conntrack>\n  <flow>…</flow> per entry  </conntrack>
 * Each flow: <meta direction="original"> and "reply" (layer3 addresses, layer4
 * ports for port protocols only, counters when accounting is on), then
 * <meta direction="independent"> with state (tcp/sctp), timeout, mark, zone
 * (non-default), use, id, then <assured/> / <unreplied/>.
 */
import type { ConnSnapshot, TupleSnapshot } from './snapshot.js';
import { formatAddr } from './addr.js';
import { hasPorts, l3Name, seconds } from './common.js';
import { ctL4Name } from './conntrack.js';
import { IPS_ASSURED, IPS_SEEN_REPLY } from './status.js';

export const XML_HEADER = '<?xml version="1.0" encoding="utf-8"?>\n<conntrack>';
export const XML_FOOTER = '</conntrack>';

function metaDir(s: ConnSnapshot, t: TupleSnapshot, dir: 'original' | 'reply'): string {
  const l3 = l3Name(s.l3num);
  const l4 = ctL4Name(s.protonum);
  let out = `<meta direction="${dir}"><layer3 protonum="${s.l3num}" protoname="${l3}">` +
    `<src>${formatAddr(t.src, 'compressed')}</src><dst>${formatAddr(t.dst, 'compressed')}</dst></layer3>` +
    `<layer4 protonum="${s.protonum}" protoname="${l4}">`;
  if (hasPorts(s.protonum, true)) out += `<sport>${t.sport}</sport><dport>${t.dport}</dport>`;
  out += '</layer4>';
  if (t.packets !== undefined && t.bytes !== undefined) {
    out += `<counters><packets>${t.packets}</packets><bytes>${t.bytes}</bytes></counters>`;
  }
  return out + '</meta>';
}

export interface XmlOptions {
  /** Event type: `<flow type="new">` etc. (conntrack -E -o xml). */
  event?: 'NEW' | 'UPDATE' | 'DESTROY';
  /** Overrides the snapshot's use (listings print use-1, as conntrack -L does). */
  use?: number;
}

/** One `<flow>…</flow>` line. */
export function formatXmlFlow(s: ConnSnapshot, opts: XmlOptions = {}): string {
  const type = opts.event === undefined ? '' : ` type="${opts.event.toLowerCase()}"`;
  let out = `<flow${type}>` + metaDir(s, s.orig, 'original') + metaDir(s, s.reply, 'reply');
  out += '<meta direction="independent">';
  if ((s.protonum === 6 || s.protonum === 132) && s.state !== null) out += `<state>${s.state}</state>`;
  out += `<timeout>${seconds(s.timeoutMs)}</timeout>`;
  out += `<mark>${s.mark >>> 0}</mark>`;
  if (s.zone !== 0) out += `<zone>${s.zone}</zone>`;
  out += `<use>${opts.use ?? Math.max(0, s.use - 1)}</use>`;
  out += `<id>${s.id >>> 0}</id>`;
  if (s.status & IPS_ASSURED) out += '<assured/>';
  if (!(s.status & IPS_SEEN_REPLY)) out += '<unreplied/>';
  return out + '</meta></flow>';
}
