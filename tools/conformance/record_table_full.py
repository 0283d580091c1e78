#!/usr/bin/env python3
"""Record scenarios with a small global nf_conntrack_max: drive a test namespace to "table full".

Usage:  record_table_full.py --max N --scenarios DIR --out DIR name [name ...]

net.netfilter.nf_conntrack_max is global (writable only from the initial namespace, read-only in
a child), but the count it is compared with is per namespace, so a fresh recorder namespace can
be filled with a few packets. This wraps record.py (same namespaces, tun device, nft ruleset,
listeners and golden JSON) and adds only:

* the global limit, set right before each scenario is recorded and restored right after it
  (in a `finally`, and by record.py's signal handler, which restores Env.restore_sysctls);
* per packet `kmsgTableFull`: the kernel lines matching "table full.*dropping packet" and
  those starting "net_ratelimit: " (N callbacks suppressed), verbatim (record.py keeps only
  lines naming the tun device; these name none);
* `conntrackMax`, `kernelBuckets` in the JSON;
* a 5.2 s pause before each scenario, so each one starts a fresh net_ratelimit window
  (net.core.message_cost = 5 s, burst 10) and the kernel logs every drop of a scenario with
  at most 10 drops.

Refuses (exit 77, "skipping: ...") when another record.py runs or another recorder's namespace
exists (the small limit would fill their tables too), or when any namespace it can see (the
initial one and those under /run/netns) already holds max/2 entries or more: while the limit is
low, such a namespace would drop its own new connections. The window is about a second per
scenario.
"""
import json
import os
import re
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import record  # noqa: E402  (tools/conformance/record.py)

MAX_KEY = 'net.netfilter.nf_conntrack_max'
RATELIMIT_PAUSE = 5.2
# "nf_conntrack: table full, dropping packet" (some kernels: "... table full in netns N, ...")
TABLE_FULL = re.compile(r'table full.*dropping packet')


class KmsgHistory(record.Kmsg):
    """record.Kmsg that remembers every drain: record() drains once in start_listeners and then
    exactly once per packet, so drains[1 + i] holds packet i's kernel lines."""
    drains = []

    def drain(self):
        lines = super().drain()
        KmsgHistory.drains.append(lines)
        return lines


record.Kmsg = KmsgHistory


def refuse(msg):
    print(f'skipping: {msg}', file=sys.stderr)
    sys.exit(77)


def other_recorders():
    mine = {os.getpid(), os.getppid()}
    found = []
    for pid in os.listdir('/proc'):
        if not pid.isdigit() or int(pid) in mine:
            continue
        try:
            with open(f'/proc/{pid}/cmdline', 'rb') as f:
                argv = f.read().split(b'\0')
        except OSError:
            continue
        # python3 .../record.py (the fuzzer, conformance:record); not shells that mention it
        if len(argv) > 1 and os.path.basename(argv[0]).startswith(b'python') and \
                any(os.path.basename(a) == b'record.py' for a in argv[1:3]):
            found.append(int(pid))
    return found


def crowded_namespaces(limit, init_fd):
    """Visible namespaces holding `limit` entries or more: (name, count)."""
    out = []

    def count():
        try:
            return int(record.read_sysctl('net.netfilter.nf_conntrack_count'))
        except OSError:
            return 0  # conntrack never used there

    n = count()
    if n >= limit:
        out.append(('init', n))
    for name in sorted(os.listdir('/run/netns')) if os.path.isdir('/run/netns') else []:
        try:
            fd = os.open(f'/run/netns/{name}', os.O_RDONLY)
        except OSError:
            continue
        try:
            record.setns(fd)
            n = count()
            if n >= limit:
                out.append((name, n))
        except OSError:
            pass
        finally:
            record.setns(init_fd)
            os.close(fd)
    return out


def main(argv):
    cmax = None
    scen_dir = record.DEFAULT_SCEN
    out_dir = None
    names = []
    it = iter(argv)
    for a in it:
        if a == '--max':
            cmax = int(next(it))
        elif a == '--scenarios':
            scen_dir = next(it)
        elif a == '--out':
            out_dir = next(it)
        else:
            names.append(a)
    if cmax is None or cmax <= 0 or out_dir is None or not names:
        print(__doc__, file=sys.stderr)
        return 2
    record.preflight()
    others = other_recorders()
    if others:
        refuse(f'another recorder is running (pid {", ".join(map(str, others))}); '
                    'a small global nf_conntrack_max would fill its tables too')
    if os.path.isdir('/run/netns') and any(n.startswith('ctrec-') for n in os.listdir('/run/netns')):
        refuse('another recorder\'s namespace (ctrec-*) exists')
    with open(os.path.join(scen_dir, 'manifest.json')) as f:
        by_name = {m['name']: m for m in json.load(f)}
    Env = record.Env
    Env.init_ns_fd = os.open('/proc/self/ns/net', os.O_RDONLY)
    crowded = crowded_namespaces(max(1, cmax // 2), Env.init_ns_fd)
    if crowded:
        refuse('namespaces with conntrack entries that a limit of %d would affect: %s'
                    % (cmax, ', '.join(f'{n} ({c})' for n, c in crowded)))
    for sig in (record.signal.SIGINT, record.signal.SIGTERM, record.signal.SIGHUP):
        record.signal.signal(sig, record.on_signal)
    old_max = record.read_sysctl(MAX_KEY)
    Env.restore_sysctls['net.netfilter.nf_log_all_netns'] = record.read_sysctl('net.netfilter.nf_log_all_netns')
    record.write_sysctl('net.netfilter.nf_log_all_netns', 1)
    buckets = int(record.read_sysctl('net.netfilter.nf_conntrack_buckets'))
    bad = 0
    try:
        for name in names:
            time.sleep(RATELIMIT_PAUSE)
            rec = record.Recorder()
            try:
                KmsgHistory.drains = []
                # the thread is in the router namespace now; the limit is written from the initial one
                record.setns(Env.init_ns_fd)
                Env.restore_sysctls[MAX_KEY] = old_max  # also restored by record.on_signal
                t_set = time.monotonic()
                record.write_sysctl(MAX_KEY, cmax)
                try:
                    record.setns(rec.rfd)
                    res = rec.record(name, scen_dir, out_dir, by_name[name].get('sysctls', {}) or {})
                finally:
                    record.setns(Env.init_ns_fd)
                    record.write_sysctl(MAX_KEY, old_max)
                    window = time.monotonic() - t_set
            finally:
                rec.close()
            drains = KmsgHistory.drains
            for i, fr in enumerate(res['packets']):
                lines = drains[1 + i] if 1 + i < len(drains) else []
                fr['kmsgTableFull'] = [l for l in lines if TABLE_FULL.search(l) or l.startswith('net_ratelimit: ')]
            res['conntrackMax'] = cmax
            res['kernelBuckets'] = buckets
            res['limitWindowSeconds'] = round(window, 3)
            res['checks']['kmsgPerPacket'] = len(drains) == 1 + len(res['packets'])
            with open(os.path.join(out_dir, name + '.json'), 'w') as f:
                json.dump(res, f, indent=2)
                f.write('\n')
            ok = all(v is True for v in res['checks'].values())
            bad += 0 if ok else 1
            print(f'{name}: {len(res["packets"])} packets, {len(res["table"])} entries, max={cmax}, '
                  f'drop={res["stats"]["drop"]} early_drop={res["stats"]["early_drop"]}, limit set for {window:.2f}s'
                  f'{"" if ok else " CHECKS FAILED " + json.dumps(res["checks"])}')
    finally:
        record.cleanup()
        record.restore_global()
        if record.read_sysctl(MAX_KEY) != old_max:
            record.write_sysctl(MAX_KEY, old_max)
    return 1 if bad else 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
