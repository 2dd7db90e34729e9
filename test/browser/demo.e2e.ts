// npm run demo, opened in Chromium: the page shows the topology, a message sent through the web
// worker reaches the Node child process and comes back; a screenshot goes to test-output/demo.png.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';
import { skipReason, startWorld, type World } from './harness.ts';

const root = fileURLToPath(new URL('../../', import.meta.url));
const skip = skipReason();

describe('npm run demo', { skip }, () => {
  let world: World;
  let demo: ReturnType<typeof spawn> | undefined;
  const errors: string[] = [];

  before(async () => {
    world = await startWorld();
    demo = spawn(process.execPath, ['demo/server.js'], { cwd: root, env: { ...process.env, PORT: '0' }, stdio: ['ignore', 'pipe', 'inherit'] });
  });
  after(async () => {
    if (demo?.exitCode === null) {
      const exited = once(demo, 'exit');
      process.kill(demo.pid!, 'SIGTERM');
      await exited;
    }
    await world?.close();
  });

  test('shows the live topology and carries a message page → web worker → Node process and back', async () => {
    const [url] = (await once(createInterface({ input: demo!.stdout! }), 'line')) as [string];
    const context = await world.context();
    const page = await context.newPage();
    page.on('pageerror', (error) => errors.push(error.message));
    await page.setViewportSize({ width: 1024, height: 900 });
    await page.goto(url);
    await page.waitForSelector('body[data-ready="true"]', { timeout: 15_000 });
    // Rates are counted per second: let two seconds of traffic pass.
    await page.waitForFunction(() => [...document.querySelectorAll('.rate')].every((text) => !/^0 msg\/s/.test(text.textContent ?? '')), null, { timeout: 10_000 });
    await page.fill('#message', 'hello from Playwright');
    await page.click('button[type=submit]');
    await page.waitForSelector('body[data-replies="1"]', { timeout: 10_000 });
    const reply = await page.textContent('#log .reply');
    assert.match(reply ?? '', /reply from process \d+: "hello from Playwright" — page → web worker → Node process and back/);
    const rates = await page.$$eval('.rate', (texts) => texts.map((text) => text.textContent));
    assert.equal(rates.length, 4);
    mkdirSync(`${root}test-output`, { recursive: true });
    await page.screenshot({ path: `${root}test-output/demo.png` });
    assert.deepEqual(errors, []);
  });
});
