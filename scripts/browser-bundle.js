// Bundling for the browser (scripts/build-browser.js runs it; tests call it): minified ESM that
// fails on any import of a Node built-in, and each entry's size on its own, minified and gzipped.
import { builtinModules } from 'node:module';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';

const nodeBuiltins = new Set(builtinModules);

/** Refuses any import of a Node built-in (node:fs, fs, fs/promises…), naming the file that imports it. */
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
  logLevel: 'silent',
  plugins: [noNodeBuiltins],
};

/**
 * Bundles `entryPoints` ({ name: path }) into `outdir` (null: only measure), sharing code through
 * chunks; resolves with each entry's size when bundled alone, as a page that loads only it would
 * fetch it. Rejects (esbuild's error, with every message) on a Node built-in or any build error.
 */
export async function bundleForBrowser(entryPoints, outdir) {
  if (outdir !== null) {
    await build({ ...common, entryPoints, outdir, splitting: true, chunkNames: 'chunk-[hash]', sourcemap: true });
  }
  const sizes = [];
  for (const [name, entry] of Object.entries(entryPoints)) {
    const result = await build({ ...common, entryPoints: [entry], write: false });
    const bytes = result.outputFiles[0].contents;
    sizes.push({ name, minified: bytes.byteLength, gzipped: gzipSync(bytes, { level: 9 }).byteLength });
  }
  return sizes;
}
