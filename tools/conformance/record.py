#!/usr/bin/env python3
"""Record what the running Linux kernel's nf_conntrack decides for each conformance scenario.

Usage:  record.py [--out DIR] [--scenarios DIR] [--check-stable] [--reuse-netns [--fast]] [--names-from FILE] [name ...]

--reuse-netns: one namespace pair for all scenarios, the table flushed between them (a ctnetlink
flush, what `conntrack -F` sends, without forking it; the flush's events are consumed before the
next scenario; conntrack -S counters are per-scenario deltas).
Much faster for thousands of small scenarios (the differential fuzzer uses it).
--fast (with --reuse-netns): no `conntrack -L` (conntrackL is empty), no nft counter self-check,
counters read from /proc/net/stat/nf_conntrack, 0.5 ms (not 50 ms) waits for late events: for
fuzzing, where only the compared fields matter.
--names-from FILE: scenario names, one per line (in addition to those on the command line).

Needs root, iproute2 (ip netns), nftables (nft), conntrack-tools (conntrack) and /dev/net/tun:
    apt-get install -y nftables conntrack iproute2
Exits 77 ("skipping") when any of these is missing.

Per scenario it creates two private network namespaces (router + sink), writes every packet of
test/conformance/scenarios/<name>.pcap into a tun device of the router namespace, and records
per packet: the ct state/direction seen by an nft prerouting rule at priority 0 (logged to the
kernel ring buffer, read from /dev/kmsg), conntrack's own log messages
(nf_conntrack_log_invalid=255), and the `conntrack -E` event lines; at the end the
/proc/net/nf_conntrack table, `conntrack -L` and the summed `conntrack -S` counters.
The result is test/conformance/golden/<name>.json (shape documented in README.md next to this file).

Only python3 stdlib is used. Nothing global is left behind: namespaces are deleted and the one
global sysctl it touches (net.netfilter.nf_log_all_netns) is restored, also on SIGINT/SIGTERM.
"""
import ctypes
import datetime
import errno
import fcntl
import json
import os
import random
import re
import select
import shutil
import signal
import socket
import struct
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, '..', '..'))
DEFAULT_SCEN = os.path.join(ROOT, 'test', 'conformance', 'scenarios')
DEFAULT_OUT = os.path.join(ROOT, 'test', 'conformance', 'golden')

CLONE_NEWNET = 0x40000000
TUNSETIFF = 0x400454CA
IFF_TUN = 0x0001
IFF_NO_PI = 0x1000

GAP_CAP = 3.0          # seconds: longest real sleep between two packets
EVENT_WAIT = 1.0       # seconds: longest wait for conntrack -E to print counted events
STATS_KEYS = ['found', 'invalid', 'insert', 'insert_failed', 'drop', 'early_drop', 'error',
              'search_restart', 'clash_resolve', 'chaintoolong']
STATES = [('new', 'original'), ('established', 'original'), ('established', 'reply'),
          ('related', 'original'), ('related', 'reply'), ('invalid', None), ('untracked', None)]

libc = ctypes.CDLL(None, use_errno=True)


def skip(msg):
    print(f'skipping: needs root and ip netns, nft, conntrack, /dev/net/tun ({msg})', file=sys.stderr)
    sys.exit(77)


def setns(fd):
    if libc.setns(fd, CLONE_NEWNET) != 0:
        e = ctypes.get_errno()
        raise OSError(e, os.strerror(e))


def run(cmd, check=True, inp=None):
    r = subprocess.run(cmd, input=inp, capture_output=True, text=True)
    if check and r.returncode != 0:
        raise RuntimeError(f'{" ".join(cmd)} failed ({r.returncode}): {r.stderr.strip()}')
    return r


def write_sysctl(name, value):
    path = '/proc/sys/' + name.replace('.', '/')
    with open(path, 'w') as f:
        f.write(str(value))


def read_sysctl(name):
    with open('/proc/sys/' + name.replace('.', '/')) as f:
        return f.read().strip()


# ------------------------------------------------------------------------------------------------
# pcap

def read_pcap(path):
    with open(path, 'rb') as f:
        data = f.read()
    magic = struct.unpack('<I', data[:4])[0]
    if magic == 0xa1b2c3d4:
        endian, nano = '<', False
    elif magic == 0xd4c3b2a1:
        endian, nano = '>', False
    elif magic == 0xa1b23c4d:
        endian, nano = '<', True
    elif magic == 0x4d3cb2a1:
        endian, nano = '>', True
    else:
        raise ValueError(f'{path}: not a classic pcap file')
    linktype = struct.unpack(endian + 'I', data[20:24])[0]
    off = 24
    out = []
    while off + 16 <= len(data):
        sec, frac, incl, _orig = struct.unpack(endian + 'IIII', data[off:off + 16])
        pkt = data[off + 16:off + 16 + incl]
        off += 16 + incl
        ts = sec + frac / (1e9 if nano else 1e6)
        if linktype == 1:
            etype = struct.unpack('>H', pkt[12:14])[0]
            pkt = pkt[14:]
            if etype == 0x8100:
                pkt = pkt[4:]
        elif linktype in (101, 12, 14):
            pass
        elif linktype == 113:  # Linux cooked
            pkt = pkt[16:]
        else:
            raise ValueError(f'{path}: unsupported link type {linktype}')
        out.append((ts, pkt))
    return out


# ------------------------------------------------------------------------------------------------
# /dev/kmsg reader

class Kmsg:
    def __init__(self):
        self.fd = os.open('/dev/kmsg', os.O_RDONLY | os.O_NONBLOCK)
        os.lseek(self.fd, 0, os.SEEK_END)

    def drain(self):
        lines = []
        while True:
            try:
                rec = os.read(self.fd, 16384)
            except BlockingIOError:
                break
            except OSError as e:
                if e.errno == errno.EPIPE:  # overwritten records; keep reading
                    continue
                raise
            if not rec:
                break
            text = rec.decode('utf-8', 'replace')
            head, _, msg = text.partition(';')
            msg = msg.split('\n', 1)[0]
            lines.append(msg)
        return lines

    def close(self):
        os.close(self.fd)


# ------------------------------------------------------------------------------------------------
# ctnetlink event counter (to know how many `conntrack -E` lines each packet caused)

NETLINK_NETFILTER = 12
NLMSG_ERROR = 2
NLMSG_DONE = 3


class NlCounter:
    def __init__(self, groups):
        self.sock = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, NETLINK_NETFILTER)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
        self.sock.bind((0, groups))
        self.sock.setblocking(False)

    def drain(self):
        n = 0
        while True:
            try:
                data = self.sock.recv(1 << 16)
            except BlockingIOError:
                break
            off = 0
            while off + 16 <= len(data):
                length, mtype, _flags, _seq, _pid = struct.unpack('=IHHII', data[off:off + 16])
                if length < 16:
                    break
                if mtype not in (NLMSG_ERROR, NLMSG_DONE):
                    n += 1
                off += (length + 3) & ~3
        return n

    def close(self):
        self.sock.close()


class NlFlush:
    """`conntrack -F` without a process: one IPCTNL_MSG_CT_DELETE without attributes (flush, all
    families) on a ctnetlink socket of the current namespace, then its acknowledgement. Forking
    conntrack for every case was most of the fuzzer's per-case cost."""
    def __init__(self):
        self.sock = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, NETLINK_NETFILTER)
        self.sock.bind((0, 0))
        self.sock.settimeout(5)
        self.seq = 0

    def flush(self):
        self.seq += 1
        # nlmsghdr: type (NFNL_SUBSYS_CTNETLINK << 8) | IPCTNL_MSG_CT_DELETE, NLM_F_REQUEST|NLM_F_ACK;
        # nfgenmsg: AF_UNSPEC, NFNETLINK_V0, res_id 0
        msg = struct.pack('=IHHII', 20, (1 << 8) | 2, 1 | 4, self.seq, 0) + struct.pack('=BBH', 0, 0, 0)
        self.sock.send(msg)
        while True:
            data = self.sock.recv(1 << 16)
            off = 0
            while off + 16 <= len(data):
                length, mtype, _flags, seq, _pid = struct.unpack('=IHHII', data[off:off + 16])
                if length < 16:
                    break
                if mtype == NLMSG_ERROR and seq == self.seq:
                    err = struct.unpack('=i', data[off + 16:off + 20])[0]
                    if err:
                        raise OSError(-err, os.strerror(-err))
                    return
                off += (length + 3) & ~3

    def close(self):
        self.sock.close()


class LineReader:
    def __init__(self, proc):
        self.proc = proc
        self.buf = b''
        self.lines = []
        os.set_blocking(proc.stdout.fileno(), False)

    def poll(self, timeout):
        r, _, _ = select.select([self.proc.stdout], [], [], timeout)
        if r:
            try:
                chunk = os.read(self.proc.stdout.fileno(), 65536)
            except BlockingIOError:
                chunk = b''
            self.buf += chunk
            while b'\n' in self.buf:
                line, self.buf = self.buf.split(b'\n', 1)
                self.lines.append(line.decode('utf-8', 'replace'))
            return bool(chunk)
        return False

    def wait_for(self, count, limit=EVENT_WAIT):
        deadline = time.monotonic() + limit
        while len(self.lines) < count:
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            self.poll(left)
        return True


# ------------------------------------------------------------------------------------------------

class Env:
    """Global state to clean up."""
    namespaces = []
    procs = []
    restore_sysctls = {}
    init_ns_fd = None


def stop_procs(procs):
    """Kill and reap helper processes (conntrack -E listeners), forgetting them globally too."""
    for p in procs:
        try:
            p.kill()
            p.wait(timeout=2)
        except Exception:
            pass
        if p in Env.procs:
            Env.procs.remove(p)


def cleanup():
    stop_procs(list(Env.procs))
    if Env.init_ns_fd is not None:
        try:
            setns(Env.init_ns_fd)
        except OSError:
            pass
    for ns in Env.namespaces:
        subprocess.run(['ip', 'netns', 'del', ns], capture_output=True)
    Env.namespaces = []


def restore_global():
    if Env.init_ns_fd is not None:
        try:
            setns(Env.init_ns_fd)
        except OSError:
            pass
    for k, v in Env.restore_sysctls.items():
        try:
            write_sysctl(k, v)
        except OSError:
            pass
    Env.restore_sysctls = {}


def on_signal(signum, _frame):
    cleanup()
    restore_global()
    sys.exit(128 + signum)


def preflight():
    if os.geteuid() != 0:
        skip('not root')
    for tool in ('ip', 'nft', 'conntrack'):
        if shutil.which(tool) is None:
            skip(f'{tool} not found')
    if not os.path.exists('/dev/net/tun'):
        skip('/dev/net/tun missing')
    name = f'ctrecchk{os.getpid()}'
    r = subprocess.run(['ip', 'netns', 'add', name], capture_output=True, text=True)
    if r.returncode != 0:
        skip(f'ip netns add failed: {r.stderr.strip()}')
    try:
        r = subprocess.run(['ip', 'netns', 'exec', name, 'nft', '-f', '-'], input='table inet t {\n chain c {\n  type filter hook prerouting priority 0;\n  ct state new counter\n }\n}\n',
                           capture_output=True, text=True)
        if r.returncode != 0:
            skip(f'nft does not work in a namespace: {r.stderr.strip()}')
        r = subprocess.run(['ip', 'netns', 'exec', name, 'conntrack', '-L'], capture_output=True, text=True)
        if r.returncode != 0:
            skip(f'conntrack -L does not work: {r.stderr.strip()}')
    finally:
        subprocess.run(['ip', 'netns', 'del', name], capture_output=True)


def nft_ruleset(tag, tun):
    lines = [f'table inet ctrec {{']
    for st, d in STATES:
        lines.append(f'  counter {st}_{d or "any"} {{ }}')
    lines.append('  chain pre { type filter hook prerouting priority 0; policy accept;')
    for st, d in STATES:
        dm = f'ct direction {d} ' if d else ''
        lines.append(f'    iifname "{tun}" ct state {st} {dm}counter name {st}_{d or "any"} '
                     f'log prefix "{tag} {st} {d or "-"} " level debug')
    lines.append('  }')
    lines.append('  chain out { type filter hook output priority -300; policy accept; notrack; }')
    lines.append('}')
    return '\n'.join(lines) + '\n'


def helper_ruleset(helpers):
    """Attach kernel helpers the way a modern ruleset does: a ct helper object and a prerouting
    rule after conntrack (-200) at priority -150 (mangle). Specs: ftp, ftp:2121, tftp, tftp:1069, irc,
    sane, amanda, pptp, netbios-ns, snmp."""
    protos = {'ftp': ('tcp', 21), 'tftp': ('udp', 69), 'irc': ('tcp', 6667), 'sane': ('tcp', 6566),
              'amanda': ('udp', 10080), 'pptp': ('tcp', 1723), 'netbios-ns': ('udp', 137),
              'snmp': ('udp', 161)}
    objs, rules = [], []
    for spec in helpers:
        name, _, port = spec.partition(':')
        if name not in protos:
            raise ValueError(f'unknown helper {spec} (ftp, tftp, NAME:PORT)')
        proto, default_port = protos[name]
        port = int(port) if port else default_port
        obj = f'{name}-{port}'
        if obj not in objs:
            objs.append(obj)
        rules.append(f'    {proto} dport {port} ct helper set "{obj}"')
    lines = ['table inet ctrechelp {']
    for obj in objs:
        name = obj.rpartition('-')[0]
        lines.append(f'  ct helper {obj} {{ type "{name}" protocol {protos[name][0]}; l3proto inet; }}')
    lines.append('  chain pre { type filter hook prerouting priority -150; policy accept;')
    lines.extend(rules)
    lines.append('  }')
    lines.append('}')
    return '\n'.join(lines) + '\n'


def tx_packets(dev='v0'):
    """TX packet count of dev in the current namespace (/proc/self/net/dev follows setns).
    A tun write is processed synchronously up to veth_xmit, so a packet that got a ct state but
    left no trace here was dropped after conntrack (a helper's NF_DROP at confirmation, or routing)."""
    with open('/proc/self/net/dev') as f:
        for line in f:
            name, sep, rest = line.partition(':')
            if sep and name.strip() == dev:
                return int(rest.split()[9])
    return 0


STRIP_ID = re.compile(r' id=(\d+)$')
HELPER_LOG = re.compile(r'^nf_ct_[A-Za-z0-9_-]+: dropping packet: .* IN= OUT= ')
TIMEOUT_FIELD = re.compile(r'^(\S+\s+\d+\s+\S+\s+\d+\s+)(\d+)')


def table_sort_key(line):
    # /proc and conntrack -L list entries in hash order, which is random per namespace:
    # sort them, ignoring the (timing dependent) remaining timeout.
    return re.sub(r'^((?:\S+\s+\d+\s+)?\S+\s+\d+\s+)\d+ ', r'\1', line)


class Recorder:
    """One router/sink namespace pair with its tun device, nft ruleset and event listeners.

    The default mode builds a fresh Recorder per scenario. `--reuse-netns` (used by the
    differential fuzzer) keeps one Recorder for many scenarios and separates them with
    `conntrack -F`: the DESTROY events of the flush are counted and consumed before the next
    scenario's first packet, the nft counters are reset, the conntrack -S counters are reported
    as the difference to the value before the scenario, and sysctls a scenario set are put back
    to their previous value before the next one."""

    def __init__(self):
        token = '%06x' % random.getrandbits(24)
        self.rns = f'ctrec-{os.getpid()}-{token}-r'
        self.sns = f'ctrec-{os.getpid()}-{token}-s'
        self.tun = tun = f'ctt{token}'
        self.tag = f'CTREC{token}'
        self.rfd = self.tunfd = self.kmsg = self.counter = self.exp_counter = self.flusher = None
        self.procs = []
        self.ev_total = 0
        self.exp_total = 0
        self.saved_sysctls = {}
        self.cases = 0
        self.fast = False
        self.helpers = []
        for ns in (self.rns, self.sns):
            run(['ip', 'netns', 'add', ns])
            Env.namespaces.append(ns)
        try:
            self.rfd = os.open(f'/run/netns/{self.rns}', os.O_RDONLY)
            sns = self.sns
            # sink: just an interface that swallows everything
            run(['ip', 'netns', 'exec', sns, 'sh', '-c',
                 'sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1'])
            setns(self.rfd)
            for k, v in [('net.ipv6.conf.default.addr_gen_mode', 1), ('net.ipv6.conf.all.addr_gen_mode', 1),
                         ('net.ipv6.conf.default.accept_dad', 0), ('net.ipv6.conf.all.accept_dad', 0),
                         ('net.ipv6.conf.default.accept_ra', 0), ('net.ipv6.conf.all.accept_ra', 0),
                         ('net.ipv4.conf.all.rp_filter', 0), ('net.ipv4.conf.default.rp_filter', 0),
                         ('net.ipv4.ip_forward', 1), ('net.ipv6.conf.all.forwarding', 1),
                         ('net.ipv6.conf.default.forwarding', 1),
                         ('net.ipv4.conf.all.accept_local', 1), ('net.ipv4.conf.default.accept_local', 1)]:
                write_sysctl(k, v)
            run(['ip', 'link', 'set', 'lo', 'up'])
            run(['ip', 'link', 'add', 'v0', 'mtu', '65535', 'type', 'veth', 'peer', 'name', 'v1', 'netns', sns])
            run(['ip', 'netns', 'exec', sns, 'ip', 'link', 'set', 'v1', 'mtu', '65535', 'up'])
            v1mac = run(['ip', 'netns', 'exec', sns, 'cat', '/sys/class/net/v1/address']).stdout.strip()
            run(['ip', 'addr', 'add', '10.255.255.1/30', 'dev', 'v0'])
            run(['ip', '-6', 'addr', 'add', 'fd00:ffff::1/64', 'dev', 'v0', 'nodad'])
            run(['ip', 'link', 'set', 'v0', 'up'])
            run(['ip', 'neigh', 'replace', '10.255.255.2', 'lladdr', v1mac, 'dev', 'v0', 'nud', 'permanent'])
            run(['ip', '-6', 'neigh', 'replace', 'fd00:ffff::2', 'lladdr', v1mac, 'dev', 'v0', 'nud', 'permanent'])
            run(['ip', 'route', 'add', 'default', 'via', '10.255.255.2', 'dev', 'v0'])
            run(['ip', '-6', 'route', 'add', 'default', 'via', 'fd00:ffff::2', 'dev', 'v0'])
            # tun device (created in this namespace because the thread is in it)
            self.tunfd = os.open('/dev/net/tun', os.O_RDWR)
            ifr = struct.pack('16sH22x', tun.encode(), IFF_TUN | IFF_NO_PI)
            fcntl.ioctl(self.tunfd, TUNSETIFF, ifr)
            run(['ip', 'link', 'set', tun, 'mtu', '65535', 'up'])
            write_sysctl(f'net.ipv4.conf.{tun}.rp_filter', 0)
            run(['nft', '-f', '-'], inp=nft_ruleset(self.tag, tun))
            write_sysctl('net.netfilter.nf_conntrack_log_invalid', 255)
        except BaseException:
            self.close()
            raise

    def start_listeners(self):
        self.counter = NlCounter(0b111)        # NFNLGRP_CONNTRACK_NEW/UPDATE/DESTROY
        self.exp_counter = NlCounter(0b111000)  # NFNLGRP_CONNTRACK_EXP_NEW/UPDATE/DESTROY
        self.flusher = NlFlush()
        ev = subprocess.Popen(['stdbuf', '-oL', 'conntrack', '-E', '-o', 'id'], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        self.procs.append(ev)
        Env.procs.append(ev)
        exp = subprocess.Popen(['stdbuf', '-oL', 'conntrack', '-E', 'expect'], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        self.procs.append(exp)
        Env.procs.append(exp)
        self.evr, self.expr = LineReader(ev), LineReader(exp)
        time.sleep(0.25)  # let both listeners subscribe
        self.evr.poll(0)
        self.expr.poll(0)
        self.kmsg = Kmsg()
        self.kmsg.drain()

    def apply_sysctls(self, sysctls):
        # put back what the previous scenario changed, then set this one's
        for k, v in self.saved_sysctls.items():
            if k not in sysctls:
                write_sysctl(k, v)
        for k, v in sysctls.items():
            if k not in self.saved_sysctls:
                self.saved_sysctls[k] = read_sysctl(k)
            write_sysctl(k, v)
        self.saved_sysctls = {k: v for k, v in self.saved_sysctls.items() if k in sysctls}
        return {k: read_sysctl(k) for k in sysctls}

    def apply_helpers(self, helpers):
        """(Re)load the helper table `inet ctrechelp` when the scenario's helpers differ."""
        helpers = list(helpers or [])
        if helpers == self.helpers:
            return
        run(['nft', 'delete', 'table', 'inet', 'ctrechelp'], check=False)
        if helpers:
            run(['nft', '-f', '-'], inp=helper_ruleset(helpers))
        self.helpers = helpers

    def reset_between_cases(self):
        """conntrack -F, and consume everything it caused before the next scenario starts."""
        if self.flusher is not None:
            self.flusher.flush()
        else:
            run(['conntrack', '-F'], check=False)
        # netlink multicast is delivered synchronously: the flush's DESTROY events are queued now
        n = self.counter.drain()
        self.ev_total += n
        self.exp_total += self.exp_counter.drain()
        self.evr.wait_for(self.ev_total)
        self.expr.wait_for(self.exp_total)
        # anything printed beyond the counted events (should be nothing) is skipped too
        self.evr.poll(0)
        self.expr.poll(0)
        self.ev_total = len(self.evr.lines)
        self.exp_total = len(self.expr.lines)
        if not self.fast:
            run(['nft', 'reset', 'counters', 'table', 'inet', 'ctrec'], check=False)
        self.kmsg.drain()

    def read_stats(self):
        if self.fast:
            # /proc/net/stat/nf_conntrack of this namespace (hex, one row per CPU): no subprocess
            with open('/proc/self/net/stat/nf_conntrack') as f:
                rows = [l.split() for l in f if l.strip()]
            head = rows[0]
            names = {'found': 'found', 'invalid': 'invalid', 'insert': 'insert', 'insert_failed': 'insert_failed',
                     'drop': 'drop', 'early_drop': 'early_drop', 'icmp_error': 'error',
                     'search_restart': 'search_restart', 'clashres': 'clash_resolve'}
            stats = {k: 0 for k in STATS_KEYS}
            for row in rows[1:]:
                for col, val in zip(head, row):
                    if col in names:
                        stats[names[col]] += int(val, 16)
            return stats
        st = run(['conntrack', '-S'], check=False).stdout
        stats = {k: 0 for k in STATS_KEYS}
        for m in re.finditer(r'(\w+)=(\d+)', st):
            if m.group(1) != 'cpu':
                stats[m.group(1)] = stats.get(m.group(1), 0) + int(m.group(2))
        return stats

    def record(self, name, scen_dir, out_dir, sysctls, reuse=False, helpers=None):
        packets = read_pcap(os.path.join(scen_dir, name + '.pcap'))
        tun, tag = self.tun, self.tag
        helpers = list(helpers or [])
        self.apply_helpers(helpers)
        if reuse:
            # another recorder finishing meanwhile may have restored the global logging switch
            # (the switch only exists in the initial namespace)
            setns(Env.init_ns_fd)
            try:
                if read_sysctl('net.netfilter.nf_log_all_netns') != '1':
                    write_sysctl('net.netfilter.nf_log_all_netns', 1)
            finally:
                setns(self.rfd)
            if self.counter is None:
                self.start_listeners()
            applied = self.apply_sysctls(sysctls)
            if self.cases:
                self.reset_between_cases()
            base_stats = self.read_stats()
        else:
            for k, v in sysctls.items():
                write_sysctl(k, v)
            applied = {k: read_sysctl(k) for k in sysctls}
            self.start_listeners()
            base_stats = None
        self.cases += 1
        kmsg, counter, exp_counter, evr, expr = self.kmsg, self.counter, self.exp_counter, self.evr, self.expr
        exp_base = self.exp_total
        frames = []
        t0 = None
        ts0 = packets[0][0] if packets else 0.0
        sched = 0.0  # wall offset at which the current packet is due
        prev_ts = ts0
        for i, (ts, pkt) in enumerate(packets):
            gap = max(0.0, min(ts - prev_ts, GAP_CAP))
            prev_ts = ts
            if t0 is not None:
                sched += gap
                now = time.monotonic() - t0
                if sched > now:
                    time.sleep(sched - now)
                else:
                    sched = now
            tx_before = tx_packets()
            t_write = time.monotonic()
            if t0 is None:
                t0 = t_write
            try:
                os.write(self.tunfd, pkt)
                write_err = None
            except OSError as e:
                write_err = os.strerror(e.errno)
            off = t_write - t0
            tx_after = tx_packets()
            n_ev = counter.drain()
            n_exp = exp_counter.drain()
            self.ev_total += n_ev
            self.exp_total += n_exp
            ev_total = self.ev_total
            ok_ev = evr.wait_for(ev_total)
            ok_exp = expr.wait_for(self.exp_total)
            klines = kmsg.drain()
            state, direction, logs, raws = 'none', None, [], []
            nstate = 0
            for line in klines:
                if HELPER_LOG.match(line):
                    # nf_ct_helper_log() logs with no devices ("IN= OUT="): a helper's NF_DROP.
                    # (Only this recorder attaches helpers, so the line is ours.)
                    logs.append(line.split(' IN= ', 1)[0].split(': ', 1)[1].rstrip())
                    raws.append(line)
                    continue
                if f'IN={tun} ' not in line:
                    continue
                if line.startswith(tag + ' '):
                    parts = line.split(' ')
                    state = parts[1]
                    direction = None if parts[2] == '-' else parts[2]
                    nstate += 1
                    continue
                head = line.split(f' IN={tun} ', 1)[0]
                m = re.match(r'^(nf_ct_[A-Za-z0-9_]+): ?(.*)$', head)
                logs.append((m.group(2) if m else head).rstrip())
                raws.append(line.replace(f'IN={tun} ', 'IN=tun0 '))
            if state in ('invalid', 'untracked', 'none'):
                direction = None
            new_ev = evr.lines[ev_total - n_ev:ev_total] if ok_ev else evr.lines[ev_total - n_ev:]
            events, ids = [], []
            for l in new_ev:
                m = STRIP_ID.search(l)
                if m:
                    ids.append(int(m.group(1)))
                    l = l[:m.start()]
                events.append(l)
            fr = {'frame': i + 1, 'wallOffset': round(off, 4), 'ctstate': state, 'dir': direction,
                  'log': logs, 'logRaw': raws, 'events': events, 'eventIds': ids}
            # expectation events this packet caused (counted on the ctnetlink socket like `events`)
            fr['expectEvents'] = [STRIP_ID.sub('', l) for l in
                                  (expr.lines[self.exp_total - n_exp:self.exp_total] if ok_exp else expr.lines[self.exp_total - n_exp:])]
            # got a ct state at prerouting but never left through v0: dropped after conntrack
            fr['dropped'] = state != 'none' and tx_after == tx_before and write_err is None
            if write_err:
                fr['writeError'] = write_err
            if not ok_ev or not ok_exp or nstate > 1:
                fr['recorderWarning'] = f'events {len(evr.lines)}/{ev_total} expect {len(expr.lines)}/{self.exp_total} staterules {nstate}'
            frames.append(fr)
        # final state, immediately
        t_tab = time.monotonic()
        with open('/proc/self/net/nf_conntrack') as f:
            table = [l.rstrip('\n') for l in f if l.strip()]
        table_off = t_tab - t0 if t0 is not None else 0.0
        try:
            with open('/proc/self/net/nf_conntrack_expect') as f:
                expect_table = [l.rstrip('\n') for l in f if l.strip()]
        except OSError:
            expect_table = []
        cl = [] if self.fast else run(['conntrack', '-L'], check=False).stdout.splitlines()
        cl = [l for l in cl if l.strip()]
        stats = self.read_stats()
        if base_stats is not None:
            stats = {k: v - base_stats.get(k, 0) for k, v in stats.items()}
        nft_counts = {}
        if not self.fast:
            counters = json.loads(run(['nft', '-j', 'list', 'counters']).stdout)
            for obj in counters.get('nftables', []):
                c = obj.get('counter')
                if c and c.get('table') == 'ctrec':
                    nft_counts[c['name']] = c['packets']
        # late events (should be none)
        time.sleep(0.0005 if self.fast else 0.05)
        n_late = counter.drain()
        evr.poll(0.0005 if self.fast else 0.02)
        expr.poll(0.0005 if self.fast else 0.02)
        late = evr.lines[self.ev_total:]
        if reuse:
            # count them so the next scenario does not inherit them
            self.ev_total += n_late
            self.evr.wait_for(self.ev_total, 0.2)
        tally = {}
        for fr in frames:
            if fr['ctstate'] != 'none':
                k = f"{fr['ctstate']}_{fr['dir'] or 'any'}"
                tally[k] = tally.get(k, 0) + 1
        checks = {
            'countersMatch': self.fast or all(nft_counts.get(k, 0) == tally.get(k, 0) for k in set(nft_counts) | set(tally)),
            'eventsAttributed': all('recorderWarning' not in fr for fr in frames) and not late,
            'sysctlsApplied': {k: str(v) for k, v in sysctls.items()} == applied,
        }
        result = {
            'scenario': name,
            'kernel': os.uname().release,
            'recordedAt': datetime.datetime.now(datetime.timezone.utc).strftime('%Y-%m-%dT%H:%M:%SZ'),
            'sysctls': sysctls,
            'packets': frames,
            'table': sorted(table, key=table_sort_key),
            'tableWallOffset': round(table_off, 4),
            'conntrackL': sorted(cl, key=table_sort_key),
            'stats': stats,
            'expectEvents': [STRIP_ID.sub('', l) for l in expr.lines[exp_base:]],
            'helpers': helpers,
            # /proc/net/nf_conntrack_expect right after the last packet, sorted ignoring the timeout
            'expectTable': sorted(expect_table, key=lambda l: re.sub(r'^\d+ ', '', l)),
            'nftCounters': nft_counts,
            'checks': checks,
        }
        if late:
            result['lateEvents'] = late
        os.makedirs(out_dir, exist_ok=True)
        with open(os.path.join(out_dir, name + '.json'), 'w') as f:
            json.dump(result, f, indent=2)
            f.write('\n')
        return result

    def close(self):
        for obj in (self.kmsg, self.counter, self.exp_counter, self.flusher):
            if obj:
                try:
                    obj.close()
                except OSError:
                    pass
        self.kmsg = self.counter = self.exp_counter = self.flusher = None
        stop_procs(self.procs)
        self.procs = []
        if self.tunfd is not None:
            os.close(self.tunfd)
            self.tunfd = None
        setns(Env.init_ns_fd)
        if self.rfd is not None:
            os.close(self.rfd)
            self.rfd = None
        for ns in (self.rns, self.sns):
            subprocess.run(['ip', 'netns', 'del', ns], capture_output=True)
            if ns in Env.namespaces:
                Env.namespaces.remove(ns)


def record_scenario(name, scen_dir, out_dir, sysctls, helpers=None):
    rec = Recorder()
    try:
        return rec.record(name, scen_dir, out_dir, sysctls, helpers=helpers)
    finally:
        rec.close()


def normalise(result):
    """What must be identical between two recordings."""
    strip_to = re.compile(r'^((?:\S+\s+\d+\s+)?\S+\s+\d+\s+)\d+ ')
    ev_to = re.compile(r'^(\s*\[\w+\]\s+\S+\s+\d+\s+)\d+ ')
    exp_to = re.compile(r'^(\s*\[\w+\]\s+)\d+ ')  # expectation events: `[NEW] 300 proto=...`
    return {
        'packets': [{k: ([ev_to.sub(r'\1T ', e) for e in v] if k == 'events' else
                         [exp_to.sub(r'\1T ', e) for e in v] if k == 'expectEvents' else v)
                     for k, v in fr.items() if k not in ('wallOffset', 'eventIds')} for fr in result['packets']],
        'table': [strip_to.sub(r'\1T ', l) for l in result['table']],
        'conntrackL': [strip_to.sub(r'\1T ', l) for l in result['conntrackL']],
        'stats': result['stats'],
        'expectEvents': [exp_to.sub(r'\1T ', e) for e in result['expectEvents']],
        'expectTable': [re.sub(r'^\d+ ', 'T ', l) for l in result.get('expectTable', [])],
    }


def main(argv):
    out_dir = DEFAULT_OUT
    scen_dir = DEFAULT_SCEN
    check_stable = False
    reuse = False
    fast = False
    names = []
    it = iter(argv)
    for a in it:
        if a == '--out':
            out_dir = next(it)
        elif a == '--scenarios':
            scen_dir = next(it)
        elif a == '--check-stable':
            check_stable = True
        elif a == '--reuse-netns':
            reuse = True
        elif a == '--fast':
            fast = True
        elif a == '--names-from':
            with open(next(it)) as f:
                names.extend(l.strip() for l in f if l.strip())
        elif a in ('-h', '--help'):
            print(__doc__)
            return 0
        else:
            names.append(a)
    preflight()
    with open(os.path.join(scen_dir, 'manifest.json')) as f:
        manifest = json.load(f)
    by_name = {m['name']: m for m in manifest}
    if not names:
        names = [m['name'] for m in manifest]
    unknown = [n for n in names if n not in by_name]
    if unknown:
        print(f'unknown scenarios: {", ".join(unknown)}', file=sys.stderr)
        return 2
    Env.init_ns_fd = os.open('/proc/self/ns/net', os.O_RDONLY)
    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGHUP, on_signal)
    Env.restore_sysctls['net.netfilter.nf_log_all_netns'] = read_sysctl('net.netfilter.nf_log_all_netns')
    write_sysctl('net.netfilter.nf_log_all_netns', 1)
    bad = 0
    shared = None
    try:
        if fast and not reuse:
            print('--fast needs --reuse-netns', file=sys.stderr)
            return 2
        if reuse:
            shared = Recorder()
            shared.fast = fast

        def rec(n, out, sysctls):
            helpers = by_name[n].get('helpers', []) or []
            if shared is not None:
                return shared.record(n, scen_dir, out, sysctls, reuse=True, helpers=helpers)
            return record_scenario(n, scen_dir, out, sysctls, helpers=helpers)

        for n in names:
            t = time.monotonic()
            sysctls = by_name[n].get('sysctls', {}) or {}
            res = rec(n, out_dir, sysctls)
            flaps = ''
            if check_stable:
                tmp = os.path.join(out_dir, '.stable-check')
                res2 = rec(n, tmp, sysctls)
                os.unlink(os.path.join(tmp, n + '.json'))
                if normalise(res) != normalise(res2):
                    flaps = ' FLAPS'
                    bad += 1
            ok = all(v is True for v in res['checks'].values())
            if not ok:
                bad += 1
            summary = ' '.join(f"{p['ctstate'][:3]}" for p in res['packets'][:12])
            print(f'{n}: {len(res["packets"])} packets, {len(res["table"])} entries, '
                  f'{time.monotonic() - t:.1f}s{"" if ok else " CHECKS FAILED " + json.dumps(res["checks"])}{flaps}  [{summary}]')
    finally:
        if shared is not None:
            shared.close()
        cleanup()
        restore_global()
    return 1 if bad else 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
