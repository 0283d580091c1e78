/**
 * The per-namespace counters that `conntrack -S` and /proc/net/stat/nf_conntrack
 * show (struct ip_conntrack_stat). ctscope is one "CPU".
 */
export class Stats {
  found = 0;
  invalid = 0;
  insert = 0;
  insert_failed = 0;
  drop = 0;
  early_drop = 0;
  /** ICMP errors that could not be related (printed as icmp_error / error). */
  error = 0;
  expect_new = 0;
  expect_create = 0;
  expect_delete = 0;
  search_restart = 0;
  clash_resolve = 0;
  chaintoolong = 0;

  toRecord(): Record<string, number> {
    return Object.fromEntries(Object.entries(this)) as Record<string, number>;
  }
}
