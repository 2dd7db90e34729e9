// The browser build refuses Node built-ins, and the entry points it ships have none.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { bundleForBrowser } from '../../scripts/browser-bundle.js';

test('an entry that reaches a Node built-in fails the browser build, naming it', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'entangle-bundle-'));
  try {
    writeFileSync(join(dir, 'uses-fs.ts'), "import { readFileSync } from 'node:fs';\nexport const read = readFileSync;\n");
    writeFileSync(join(dir, 'uses-events.ts'), "import { EventEmitter } from 'events';\nexport { EventEmitter };\n");
    await assert.rejects(bundleForBrowser({ fs: join(dir, 'uses-fs.ts') }, null), /Node built-in 'node:fs'/);
    await assert.rejects(bundleForBrowser({ events: join(dir, 'uses-events.ts') }, null), /Node built-in 'events'/);
    // entangle/node is Node-only: bundling it for a browser fails the same way.
    await assert.rejects(bundleForBrowser({ node: 'src/node/index.ts' }, null), /Node built-in/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the core and entangle/browser bundle for a browser, the core within its 30 KB gzipped budget', async () => {
  const sizes = await bundleForBrowser({ entangle: 'src/index.ts', 'entangle-browser': 'src/browser/index.ts' }, null);
  const core = sizes.find(({ name }) => name === 'entangle')!;
  assert.ok(core.gzipped > 1_000 && core.gzipped <= 30 * 1024, `core: ${core.gzipped} bytes gzipped`);
});
