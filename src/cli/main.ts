/** The `ctscope` command: dispatches subcommands, turns errors into one line and exit code 2. */
import { replay } from './replay.js';
import { serve } from './serve.js';
import { conntrackCommand } from './conntrack/index.js';
import { UsageError } from './args.js';
import { Output } from './output.js';
import { CaptureError } from '../io/errors.js';

export const MAIN_HELP = `Usage: ctscope COMMAND [options]

ctscope is the Linux 6.18 connection tracker (nf_conntrack, the state machine behind
iptables -m state / nft ct state) in TypeScript. Replay a capture and see, for every
packet, the state Linux would give it and why; the connection table at any moment;
and conntrack -E style events.

Commands:
  replay FILE     replay a pcap/pcapng capture (- for stdin); see ctscope replay --help
  serve [FILE]    the browser view on http://127.0.0.1 (a free port); see ctscope serve --help
  conntrack --from FILE -L ...  conntrack(8)'s command line on a replayed table; see ctscope conntrack --help
  help            this text

Options:
  -h, --help      help
  --version       the version

Examples:
  ctscope replay examples/tutorial-telnet.pcap --packets
  tcpdump -i any -w - | ctscope replay - --events
  ctscope replay capture.pcap --profile tutorial --table=legacy
`;

export async function main(argv: readonly string[]): Promise<number> {
  const out = new Output();
  const [cmd, ...rest] = argv;
  try {
    switch (cmd) {
      case undefined:
      case 'help':
      case '-h':
      case '--help':
        out.stdout(MAIN_HELP);
        return cmd === undefined ? 2 : 0;
      case '--version':
        out.stdout('ctscope 0.1.0 (Linux 6.18 nf_conntrack semantics)\n');
        return 0;
      case 'replay':
        return await replay(rest, out);
      case 'serve':
        return await serve(rest, out);
      case 'conntrack':
        return await conntrackCommand(rest, out);
      default:
        throw new UsageError(`unknown command ${cmd} (try ctscope --help)`);
    }
  } catch (e) {
    out.flush();
    if (e instanceof UsageError || e instanceof CaptureError) {
      out.stderr(`ctscope: ${e.message}\n`);
      return 2;
    }
    const msg = e instanceof Error ? e.message : String(e);
    out.stderr(`ctscope: internal error: ${msg}\n`);
    return 1;
  }
}
