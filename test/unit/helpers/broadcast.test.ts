/**
 * The broadcast helpers (nf_conntrack_netbios_ns.c, nf_conntrack_snmp.c) as the
 * kernel registers them: name, UDP port, IPv4 only, one expectation of 3 s / 30 s;
 * attached by --helper and by nf_conntrack_helper=1. What they do to replayed
 * packets is checked against the kernel by the netbios_ns_forwarded and
 * snmp_forwarded conformance scenarios.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { HELPERS, helperRules } from '../../../src/helpers/registry.js';

const cases = [
  { name: 'netbios-ns', port: 137, timeoutSec: 3 },
  { name: 'snmp', port: 161, timeoutSec: 30 },
];

for (const c of cases) {
  test(`${c.name}: udp/${c.port}, IPv4 only, one expectation of ${c.timeoutSec} s`, () => {
    const h = HELPERS[c.name]!;
    assert.equal(h.name, c.name);
    assert.equal(h.protonum, 17);
    assert.deepEqual(h.ports, [c.port]);
    assert.deepEqual(h.families, [4]);
    assert.deepEqual(h.policies.map((p) => [p.maxExpected, p.timeoutSec]), [[1, c.timeoutSec]]);
    assert.deepEqual(helperRules([c.name], false).map((r) => [r.helper.name, r.protonum, r.port]), [[c.name, 17, c.port]]);
    assert.ok(helperRules([], true).some((r) => r.helper === h && r.port === c.port), 'attached by nf_conntrack_helper=1');
  });
}
