// `npm run build:web`: bundles the browser view into ui/dist (index.html, app.js,
// app.css). The engine worker is bundled first and inlined as a string (started
// from a Blob URL), and the tutorial example capture is inlined too, so the
// build is self-contained: serve it from anywhere, no request leaves the page.
import { build } from 'esbuild';
import { mkdirSync, readFileSync, writeFileSync, copyFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ui = dirname(fileURLToPath(import.meta.url));
const out = join(ui, 'dist');
const minify = !process.argv.includes('--dev');
mkdirSync(out, { recursive: true });

const worker = await build({
  entryPoints: [join(ui, 'src/worker.ts')], bundle: true, format: 'iife', platform: 'browser',
  target: 'es2022', minify, write: false, legalComments: 'none',
});
const example = readFileSync(join(ui, '..', 'examples', 'tutorial-telnet.pcap')).toString('base64');
await build({
  entryPoints: [join(ui, 'src/main.ts')], bundle: true, format: 'esm', platform: 'browser',
  target: 'es2022', minify, outfile: join(out, 'app.js'), legalComments: 'none', sourcemap: minify ? false : 'inline',
  define: {
    __WORKER_SOURCE__: JSON.stringify(worker.outputFiles[0].text),
    __EXAMPLE_PCAP_B64__: JSON.stringify(example),
  },
});
copyFileSync(join(ui, 'src/app.css'), join(out, 'app.css'));
writeFileSync(join(out, 'index.html'), readFileSync(join(ui, 'index.html')));
console.log(`ctscope web view built in ${out}`);
