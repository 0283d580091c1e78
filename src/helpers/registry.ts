/**
 * The helpers ctscope has, and how `--helper` specs become rules: `ftp` (its
 * well-known port), `ftp:2121`, `ftp-loose` (the ftp module's loose=1),
 * `tftp`, `tftp:1069`, `irc`, `sane`, `amanda`, `pptp`, `netbios-ns`, `snmp`.
 * nf_conntrack_helper=1 adds every helper on its well-known ports, as kernels
 * before 4.7 did by default.
 */
import type { ConntrackHelper, HelperRule } from './helper.js';
import { makeFtpHelper } from './ftp.js';
import { tftpHelper } from './tftp.js';
import { ircHelper } from './irc.js';
import { saneHelper } from './sane.js';
import { amandaHelper } from './amanda.js';
import { pptpHelper } from './pptp.js';
import { netbiosNsHelper, snmpHelper } from './broadcast.js';
import { SysctlError } from '../core/sysctl.js';

const ftp = makeFtpHelper(false);
const ftpLoose = { ...makeFtpHelper(true), name: 'ftp' };

export const HELPERS: Readonly<Record<string, ConntrackHelper>> = { ftp, 'ftp-loose': ftpLoose, tftp: tftpHelper,
  irc: ircHelper, sane: saneHelper, amanda: amandaHelper, pptp: pptpHelper, 'netbios-ns': netbiosNsHelper, snmp: snmpHelper };

/** Rules from `--helper` specs (errors name the bad spec). */
export function helperRules(specs: readonly string[], automatic: boolean): HelperRule[] {
  const rules: HelperRule[] = [];
  for (const spec of specs) {
    const [name, portText, extra] = spec.split(':');
    const helper = HELPERS[name ?? ''];
    if (helper === undefined || extra !== undefined) {
      throw new SysctlError(`unknown helper ${spec} (known: ${Object.keys(HELPERS).join(', ')}; NAME or NAME:PORT)`);
    }
    const ports = portText === undefined ? helper.ports : [Number(portText)];
    for (const port of ports) {
      if (!Number.isInteger(port) || port < 1 || port > 65535) throw new SysctlError(`bad port in helper ${spec}`);
      rules.push({ helper, protonum: helper.protonum, port });
    }
  }
  if (automatic) {
    const all = [ftp, tftpHelper, ircHelper, saneHelper, amandaHelper, pptpHelper, netbiosNsHelper, snmpHelper];
    for (const h of all) for (const port of h.ports) rules.push({ helper: h, protonum: h.protonum, port });
  }
  return rules;
}
