/** ctscope: the Linux 6.18 connection tracker in TypeScript. Public API (re-exports only). */
export { Conntrack, type ConntrackOptions, type ConntrackEvent, type EventType } from './conntrack.js';
export { ConntrackEngine, EVENT_NEW, EVENT_UPDATE, EVENT_DESTROY, type EventListener } from './core/conntrack.js';
export { PacketResult, type Outcome, type WindowDetail } from './core/packet-result.js';
export { KEEP_EVICTIONS, type TableFullReport, type Eviction, type EvictedBy } from './core/table-full.js';
export * from './core/consts.js';
export { SYSCTL_DEFAULTS, PROFILES, makeSysctls, sysctlKey, SysctlError, type Sysctls } from './core/sysctl.js';
export { TCP_CONNTRACK_NAMES } from './proto/tcp-states.js';
export { SCTP_CONNTRACK_NAMES } from './proto/sctp-states.js';
export { HELPERS } from './helpers/registry.js';
export type { ConntrackHelper, HelperContext, ExpectPolicy } from './helpers/helper.js';
export { CaptureReader, readCapture, sniffFormat, type CaptureFormat } from './io/capture-reader.js';
export { createFrame, type CaptureFrame } from './io/frame.js';
export { CaptureError } from './io/errors.js';
export * from './format/index.js';
export { formatExpectProc, formatExpectConntrack, type ExpectSnapshot } from './format/expect.js';
