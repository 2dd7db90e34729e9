// Bundles each spec test file for a browser page, twice: against entangle's core, and against
// Chromium's native MessageChannel (src/index.ts and dataOf's module aliased to native.ts).
// The Node modules the tests import are replaced by this folder's browser versions.

import { mkdir, writeFile } from 'node:fs/promises';
import { basename, dirname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, type Plugin } from 'esbuild';

export type Mode = 'entangle' | 'native';

const harnessDir = dirname(fileURLToPath(import.meta.url));
export const specDir = join(harnessDir, '..', '..', 'spec');
const srcDir = join(harnessDir, '..', '..', '..', 'src');

const nodeModules: Record<string, string> = {
  'node:test': join(harnessDir, 'node-test.ts'),
  'node:assert/strict': join(harnessDir, 'assert.ts'),
  'node:v8': join(harnessDir, 'node-builtins.ts'),
  'node:vm': join(harnessDir, 'node-builtins.ts'),
  'node:timers/promises': join(harnessDir, 'node-builtins.ts'),
};

/** What the spec tests may import from src/ when they run against the native API. */
const nativeFor = new Set([join(srcDir, 'index.ts'), join(srcDir, 'spec', 'message-port.ts')]);

function harnessPlugin(mode: Mode): Plugin {
  return {
    name: 'spec-harness',
    setup(pluginBuild) {
      pluginBuild.onResolve({ filter: /^node:/ }, (args) => {
        const path = nodeModules[args.path];
        return path === undefined ? { errors: [{ text: `${args.path} has no browser version in test/browser/spec-harness` }] } : { path };
      });
      if (mode === 'native') {
        pluginBuild.onResolve({ filter: /\/src\// }, (args) => {
          if (!args.importer.startsWith(specDir + sep)) return undefined;
          const target = join(args.resolveDir, args.path);
          if (nativeFor.has(target)) return { path: join(harnessDir, 'native.ts') };
          // Anything else would quietly test entangle's code in the native run.
          return { errors: [{ text: `${relative(specDir, args.importer)} imports ${args.path}, which has no native counterpart` }] };
        });
      }
    },
  };
}

/** Write `<mode>/<file>.js` and `<mode>/<file>.html` under `outdir` for each spec file; returns the page paths. */
export async function buildSpecPages(outdir: string, files: readonly string[], mode: Mode): Promise<Map<string, string>> {
  await mkdir(join(outdir, mode), { recursive: true });
  await build({
    entryPoints: files.map((file) => ({ in: join(specDir, file), out: join(mode, basename(file, '.ts')) })),
    outdir,
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    inject: [join(harnessDir, 'node-globals.ts')],
    plugins: [harnessPlugin(mode)],
    logLevel: 'silent',
  });
  const pages = new Map<string, string>();
  for (const file of files) {
    const name = basename(file, '.ts');
    const html = `<!doctype html>\n<meta charset="utf-8">\n<title>${mode}: ${file}</title>\n<script type="module" src="./${name}.js"></script>\n`;
    await writeFile(join(outdir, mode, `${name}.html`), html);
    pages.set(file, `/${mode}/${name}.html`);
  }
  return pages;
}
