// The browser build: the core (`entangle`) and `entangle/browser` as minified ESM for a page or a
// worker, in dist/bundle/ (the two entries share their code through chunks, so a page that loads
// both has one MessagePort class). Fails if a Node built-in is imported, or if the core is over
// its size budget. Prints each entry's size on its own (everything it loads), minified and gzipped.
import { builtinModules } from 'node:module';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';

/** The core's budget, gzipped: what a page pays for MessageChannel, MessagePort and structuredClone. */
const CORE_BUDGET_BYTES = 30 * 1024;

const entryPoints = {
  entangle: 'src/index.ts',
  'entangle-browser': 'src/browser/index.ts',
};

const nodeBuiltins = new Set(builtinModules);
/** Refuses any import of a Node built-in (node:fs, fs, …), naming the file that imports it. */
const noNodeBuiltins = {
  name: 'no-node-builtins',
  setup(b) {
    b.onResolve({ filter: /.*/ }, (args) => {
      const name = args.path;
      if (name.startsWith('node:') || nodeBuiltins.has(name) || nodeBuiltins.has(name.split('/')[0])) {
        return { errors: [{ text: `the browser build imports the Node built-in '${name}' (from ${args.importer})` }] };
      }
      return undefined;
    });
  },
};

const common = {
  bundle: true,
  format: 'esm',
  platform: 'browser',
  target: 'es2022',
  minify: true,
  legalComments: 'none',
  logLevel: 'warning',
  plugins: [noNodeBuiltins],
};

try {
  await build({ ...common, entryPoints, outdir: 'dist/bundle', splitting: true, chunkNames: 'chunk-[hash]', sourcemap: true });
  // Sizes: each entry bundled alone, as a page that loads only it would fetch it.
  const sizes = [];
  for (const [name, entry] of Object.entries(entryPoints)) {
    const result = await build({ ...common, entryPoints: [entry], write: false });
    const bytes = result.outputFiles[0].contents;
    sizes.push({ name, minified: bytes.byteLength, gzipped: gzipSync(bytes, { level: 9 }).byteLength });
  }
  console.log('browser build (dist/bundle/):');
  for (const { name, minified, gzipped } of sizes) {
    console.log(`  ${`${name}.js`.padEnd(22)}${kib(minified).padStart(10)} minified${kib(gzipped).padStart(10)} gzipped`);
  }
  const core = sizes.find(({ name }) => name === 'entangle');
  if (core.gzipped > CORE_BUDGET_BYTES) {
    console.error(`The core is ${kib(core.gzipped)} gzipped: over its budget of ${kib(CORE_BUDGET_BYTES)}.`);
    process.exit(1);
  }
} catch (error) {
  // esbuild has printed its errors (a Node built-in among them).
  console.error(`The browser build failed: ${error.message.split('\n')[0]}`);
  process.exit(1);
}

function kib(bytes) {
  return `${(bytes / 1024).toFixed(1)} KiB`;
}
