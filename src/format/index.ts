/** Text and JSON renderings of conntrack entries (browser-safe: no node:* imports). */
export type { ConnSnapshot, TupleSnapshot } from './snapshot.js';
export { formatAddr, ntop6, full6, type AddrStyle } from './addr.js';
export * from './status.js';
export {
  formatProc,
  formatLegacy,
  formatProcStat,
  procL4Name,
  PROC_STAT_HEADER,
  type ProcOptions,
  type LegacyOptions,
  type ProcStatCpu,
} from './proc.js';
export {
  formatConntrack,
  formatStats,
  formatExpectStats,
  ctL4Name,
  CT_STATS_KEYS,
  CT_EXP_STATS_KEYS,
  type ConntrackOptions,
  type CtEvent,
} from './conntrack.js';
export { toJson, type JsonConn, type JsonTuple } from './json.js';
export { formatXmlFlow, XML_HEADER, XML_FOOTER, type XmlOptions } from './xml.js';
export { formatSave } from './save.js';
export { compileFilter, formatPrettyTable, formatSummary, reasonKey, FilterError, type EntryPredicate, type ReplaySummary } from './pretty.js';
