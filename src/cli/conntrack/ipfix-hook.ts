/**
 * `ctscope replay --ipfix HOST:PORT`: flow records as IPFIX (RFC 7011) over UDP
 * to a collector (nfcapd, pmacct, GoFlow2, ...). The encoding is src/flow/ipfix.ts.
 *
 * Integration in replay.ts (the lines are in the README, "IPFIX export"):
 *
 *   const ipfixArg = one(p, 'ipfix');
 *   const ipfix = ipfixArg === undefined ? undefined : await attachIpfix(ct, ipfixArg, { live: file === '-' });
 *   const offInterrupt = onInterruptPrint(() => { ...; ipfix?.finishSync(); });   // Ctrl-C: open flows as forced end
 *   ... replay ...
 *   flows?.finish();
 *   await ipfix?.finish();          // records for the entries still there, then waits for the socket
 *
 * The socket is connected (and so bound) before the first packet is read, so each
 * message leaves at once even though the replay loop is synchronous: the send is
 * tried immediately by libuv; only when the socket buffer is full does it wait for
 * the event loop (finish() waits for those).
 */
import { createSocket, type Socket } from 'node:dgram';
import { isIP } from 'node:net';
import type { Conntrack } from '../../conntrack.js';
import { attachFlows } from '../../flow/flows.js';
import { IpfixExporter, type IpfixOptions } from '../../flow/ipfix.js';
import { UsageError } from '../args.js';

export interface IpfixTarget {
  host: string;
  port: number;
}

/** HOST:PORT, [IPv6]:PORT, or a bare IPv6 address with its port after the last colon only when bracketed. */
export function parseIpfixTarget(s: string): IpfixTarget {
  let host: string;
  let portText: string;
  const m = /^\[([^\]]+)\]:(\d+)$/.exec(s);
  if (m) {
    host = m[1]!;
    portText = m[2]!;
  } else {
    const i = s.lastIndexOf(':');
    if (i <= 0 || s.indexOf(':') !== i) throw new UsageError(`bad --ipfix ${s} (want HOST:PORT, or [IPv6]:PORT)`);
    host = s.slice(0, i);
    portText = s.slice(i + 1);
  }
  const port = Number(portText);
  if (!/^\d+$/.test(portText) || port < 1 || port > 65535) throw new UsageError(`bad port in --ipfix ${s}`);
  return { host, port };
}

export interface IpfixAttachOptions extends IpfixOptions {
  /** Live stream: send each record at once. */
  live?: boolean;
}

export interface AttachedIpfix {
  readonly exporter: IpfixExporter;
  /** Sends the records of the entries still in the table (forced end), waits for the socket, closes it. */
  finish(): Promise<void>;
  /**
   * The same records, sent at once, for a process about to exit (Ctrl-C): each
   * datagram is handed to the kernel before this returns unless the socket buffer is full.
   */
  finishSync(): void;
}

/**
 * Sends a flow record over IPFIX for every connection that ends (and, at finish(),
 * for those still in the table). `target` is HOST:PORT (UsageError when it is not,
 * or when HOST does not resolve). The export time is the capture clock.
 */
export async function attachIpfix(ct: Conntrack, target: string | IpfixTarget, options: IpfixAttachOptions = {}): Promise<AttachedIpfix> {
  const { host, port } = typeof target === 'string' ? parseIpfixTarget(target) : target;
  const family = isIP(host) === 6 ? 'udp6' : 'udp4';
  const socket: Socket = createSocket(family);
  let failure: Error | undefined;
  let inFlight = 0;
  let drained: (() => void) | undefined;
  socket.on('error', (e) => {
    failure ??= e;
  });
  try {
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      // On a failed name lookup, Node calls the connect callback with the error instead of emitting it.
      const done = (err?: Error): void => {
        socket.off('error', reject);
        if (err) reject(err);
        else resolve();
      };
      socket.connect(port, host, done as () => void);
    });
  } catch (e) {
    socket.close();
    const code = (e as { code?: string }).code;
    throw new UsageError(`cannot send IPFIX to ${host}:${port}: ${code ?? String(e)}`);
  }
  const exporter = new IpfixExporter((msg) => {
    inFlight++;
    socket.send(msg, (err) => {
      // ECONNREFUSED: nobody listens (yet); UDP export goes on, as exporters do.
      if (err && (err as { code?: string }).code !== 'ECONNREFUSED') failure ??= err;
      if (--inFlight === 0 && drained) drained();
    });
  }, { ...options, immediate: options.immediate ?? options.live ?? false });
  const flows = attachFlows(ct, (r) => exporter.add(r, ct.time));
  // An exporter never keeps the process alive by itself (error paths return without finish()).
  socket.unref();
  let finished = false;
  const finishSync = (): void => {
    if (finished) return;
    finished = true;
    flows.finish();
    exporter.flush(ct.time);
  };
  return {
    exporter,
    finishSync,
    async finish(): Promise<void> {
      finishSync();
      socket.ref();
      if (inFlight > 0) await new Promise<void>((resolve) => (drained = resolve));
      await new Promise<void>((resolve) => socket.close(() => resolve()));
      if (failure && (failure as { code?: string }).code !== 'ECONNREFUSED') {
        throw new UsageError(`IPFIX export to ${host}:${port}: ${(failure as { code?: string }).code ?? failure.message}`);
      }
    },
  };
}
