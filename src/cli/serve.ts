/**
 * `ctscope serve [FILE]`: serves the browser view (ui/dist, built by
 * `npm run build:web`) on 127.0.0.1 at a free port and prints the address; it
 * opens nothing by itself. With FILE, the page loads that capture at start
 * (GET api/capture); the tracking itself runs in the browser.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { basename, extname, join, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { UsageError, one, parseArgs, type OptionSpec } from './args.js';
import type { Output } from './output.js';

export const SERVE_OPTIONS: Readonly<Record<string, OptionSpec>> = {
  port: { kind: 'value' },
  help: { kind: 'flag', short: 'h' },
};

export const SERVE_HELP = `Usage: ctscope serve [FILE] [--port N]

Serves the browser view of ctscope on http://127.0.0.1 (a free port unless
--port is given) and prints its address; open it in a browser. With FILE (pcap
or pcapng) the page shows that capture at once; without, drop a file on the
page. The capture is tracked inside the browser (a Web Worker); the page makes
no requests beyond this server. Ctrl-C stops the server.

  --port N     listen on port N (default: any free port)
  -h, --help   this text

The page is the static build of ui/ (npm run build:web, output in ui/dist).

Examples:
  ctscope serve examples/tutorial-telnet.pcap
  ctscope serve --port 8080
`;

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
  '.json': 'application/json',
};

/** ui/dist next to this package (dist/src/cli/serve.js → ../../../ui/dist). */
export function webRoot(): string {
  return fileURLToPath(new URL('../../../ui/dist/', import.meta.url));
}

export interface ServeHandle {
  url: string;
  close(): Promise<void>;
}

/** Starts the server; resolves once it listens. */
export function startServer(root: string, capture: { name: string; bytes: Uint8Array } | null, port = 0): Promise<ServeHandle> {
  const rootAbs = resolve(root);
  const handler = (req: IncomingMessage, res: ServerResponse): void => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const common = { 'cache-control': 'no-store', 'x-content-type-options': 'nosniff' };
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, common).end();
      return;
    }
    if (url.pathname === '/api/capture') {
      if (capture === null) {
        res.writeHead(404, { ...common, 'content-type': 'text/plain' }).end('no capture given to ctscope serve\n');
        return;
      }
      res.writeHead(200, { ...common, 'content-type': 'application/octet-stream', 'content-length': capture.bytes.length, 'x-ctscope-name': encodeURIComponent(capture.name) });
      res.end(req.method === 'HEAD' ? undefined : capture.bytes);
      return;
    }
    const rel = url.pathname === '/' ? 'index.html' : decodeURIComponent(url.pathname.slice(1));
    const file = resolve(rootAbs, rel);
    if (!file.startsWith(rootAbs + sep) || !existsSync(file) || !statSync(file).isFile()) {
      res.writeHead(404, { ...common, 'content-type': 'text/plain' }).end('not found\n');
      return;
    }
    const body = readFileSync(file);
    res.writeHead(200, { ...common, 'content-type': TYPES[extname(file)] ?? 'application/octet-stream', 'content-length': body.length });
    res.end(req.method === 'HEAD' ? undefined : body);
  };
  const server = createServer(handler);
  return new Promise((resolvePromise, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      const addr = server.address();
      const p = typeof addr === 'object' && addr !== null ? addr.port : port;
      resolvePromise({
        url: `http://127.0.0.1:${p}/`,
        close: () => new Promise<void>((r) => { server.closeAllConnections(); server.close(() => r()); }),
      });
    });
  });
}

export async function serve(argv: readonly string[], out: Output): Promise<number> {
  const p = parseArgs(argv, SERVE_OPTIONS);
  if (p.options.has('help')) {
    out.stdout(SERVE_HELP);
    return 0;
  }
  if (p.positionals.length > 1) throw new UsageError(`unexpected argument ${p.positionals[1]}`);
  const portArg = one(p, 'port');
  const port = portArg === undefined ? 0 : Number(portArg);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`bad value for --port: ${portArg}`);
  let capture: { name: string; bytes: Uint8Array } | null = null;
  const file = p.positionals[0];
  if (file !== undefined) {
    let bytes: Uint8Array;
    try {
      bytes = readFileSync(file);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      throw new UsageError(`${file}: ${code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory' : 'cannot read it'}`);
    }
    capture = { name: basename(file), bytes };
  }
  const root = webRoot();
  if (!existsSync(join(root, 'index.html'))) {
    throw new UsageError(`the browser view is not built (${root} has no index.html): run npm run build:web`);
  }
  let handle: ServeHandle;
  try {
    handle = await startServer(root, capture, port);
  } catch (e) {
    throw new UsageError(`cannot listen on 127.0.0.1:${port}: ${e instanceof Error ? e.message : String(e)}`);
  }
  out.stdout(`ctscope: serving ${capture ? capture.name + ' ' : ''}on ${handle.url} (Ctrl-C to stop)\n`);
  await new Promise<void>((r) => {
    const stop = (): void => { void handle.close().then(r); };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  return 0;
}
