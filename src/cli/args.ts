/**
 * A small option parser: `--name`, `--name=value`, `--name value` (for options
 * that take a value), repeatable options, positional arguments. Errors are
 * UsageError with a one-line message (exit code 2).
 */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

export interface OptionSpec {
  /** 'flag': no value; 'value': needs one; 'optional': `--x` or `--x=v` only. */
  kind: 'flag' | 'value' | 'optional';
  repeat?: boolean;
  short?: string;
}

export interface Parsed {
  options: Map<string, string[]>;
  positionals: string[];
}

export function parseArgs(argv: readonly string[], specs: Readonly<Record<string, OptionSpec>>): Parsed {
  const options = new Map<string, string[]>();
  const positionals: string[] = [];
  const shorts = new Map<string, string>();
  for (const [name, s] of Object.entries(specs)) if (s.short) shorts.set(s.short, name);
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--') {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    let name: string;
    let value: string | undefined;
    if (arg.startsWith('--')) {
      const eq = arg.indexOf('=');
      name = eq < 0 ? arg.slice(2) : arg.slice(2, eq);
      value = eq < 0 ? undefined : arg.slice(eq + 1);
    } else if (arg.length > 1 && arg.startsWith('-') && arg !== '-') {
      const long = shorts.get(arg.slice(1));
      if (long === undefined) throw new UsageError(`unknown option ${arg}`);
      name = long;
    } else {
      positionals.push(arg);
      continue;
    }
    const spec = specs[name];
    if (spec === undefined) throw new UsageError(`unknown option --${name}`);
    if (spec.kind === 'flag' && value !== undefined) throw new UsageError(`option --${name} takes no value`);
    if (spec.kind === 'value' && value === undefined) {
      if (i + 1 >= argv.length) throw new UsageError(`option --${name} needs a value`);
      value = argv[++i]!;
    }
    const list = options.get(name) ?? [];
    if (list.length > 0 && !spec.repeat) throw new UsageError(`option --${name} given twice`);
    list.push(value ?? '');
    options.set(name, list);
  }
  return { options, positionals };
}

/** The single value of an option, or undefined. */
export function one(p: Parsed, name: string): string | undefined {
  return p.options.get(name)?.[0];
}

export function choice(p: Parsed, name: string, allowed: readonly string[], dflt: string, bare: string): string {
  const v = one(p, name);
  if (v === undefined) return dflt;
  const val = v === '' ? bare : v;
  if (!allowed.includes(val)) throw new UsageError(`bad value for --${name}: ${v} (one of ${allowed.join(', ')})`);
  return val;
}
