/**
 * The core runs in a browser: nothing under src/ except src/cli and src/node may
 * import a Node module or use Node globals.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

const src = join(import.meta.dirname, '..', '..', '..', 'src');

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? files(p) : p.endsWith('.ts') ? [p] : [];
  });
}

test('the core imports nothing from Node', () => {
  const nodeOnly = ['cli', 'node'];
  const offenders: string[] = [];
  for (const f of files(src)) {
    const rel = relative(src, f);
    if (nodeOnly.some((d) => rel.startsWith(d + '/'))) continue;
    const text = readFileSync(f, 'utf8');
    if (/from ['"]node:|require\(|\bBuffer\.|\bprocess\./.test(text)) offenders.push(rel);
  }
  assert.deepEqual(offenders, []);
});
