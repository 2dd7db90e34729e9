// What the browser scenarios share: the browser build, two static servers on localhost (two
// ports: two origins) serving dist/bundle at /dist/ and test/browser/pages/ at /, one Chromium,
// and pages that are ready when their module has loaded.

import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { serveStatic } from '../../demo/static.js';
import { chromiumMissing, launchChromium } from './chromium.ts';

const root = fileURLToPath(new URL('../../', import.meta.url));

/** Why these scenarios cannot run here (for `describe(..., { skip })`), or false. */
export function skipReason(): string | false {
  const missing = chromiumMissing();
  if (missing !== null) return missing;
  if (!existsSync(`${root}dist/node/index.js`)) return 'no dist/ (npm run build first; npm test does)';
  return false;
}

export interface World {
  browser: Browser;
  /** Two origins serving the same files: http://localhost:A and http://localhost:B. */
  origins: [string, string];
  /** A fresh browser context (its own service workers and storage). */
  context(): Promise<BrowserContext>;
  close(): Promise<void>;
}

export async function startWorld(): Promise<World> {
  // The bundles the pages load, fresh from src/ (the build fails on a Node built-in or an oversize core).
  execFileSync(process.execPath, ['scripts/build-browser.js'], { cwd: root, stdio: 'pipe' });
  const routes = { '/dist/': `${root}dist/bundle`, '/': `${root}test/browser/pages` };
  const servers = [await serveStatic({ routes }), await serveStatic({ routes })];
  const browser = await launchChromium();
  const contexts: BrowserContext[] = [];
  return {
    browser,
    origins: [servers[0]!.origin, servers[1]!.origin],
    async context() {
      const context = await browser.newContext();
      // tsx compiles these tests with esbuild's keepNames: functions passed to page.evaluate call __name.
      await context.addInitScript('globalThis.__name = (fn) => fn;');
      contexts.push(context);
      return context;
    },
    async close() {
      for (const context of contexts) await context.close().catch(() => {});
      await browser.close();
      for (const server of servers) await server!.close();
    },
  };
}

/** Opens `url` and waits until its module has loaded (window.ready); page errors fail the test through `errors`. */
export async function openPage(context: BrowserContext, url: string, errors: string[] = []): Promise<Page> {
  const page = await context.newPage();
  page.on('pageerror', (error) => errors.push(`${url}: ${error.message}`));
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(`${url}: console: ${message.text()}`);
  });
  await page.goto(url);
  await page.waitForFunction(() => (window as unknown as { ready?: boolean }).ready === true, null, { timeout: 10_000 });
  return page;
}
