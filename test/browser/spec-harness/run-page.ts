// Runs one bundled spec file in a fresh Chromium page and returns its per-test results.

import type { Browser } from 'playwright-core';
import type { RunPlan, TestResult } from './node-test.ts';

/** The plan for a page, made once its tests are registered: from their names. */
export type PlanFor = (names: readonly string[]) => RunPlan;

export async function runSpecPage(browser: Browser, url: string, planFor: PlanFor): Promise<TestResult[]> {
  const context = await browser.newContext();
  try {
    const page = await context.newPage();
    const problems: string[] = [];
    page.on('pageerror', (error) => problems.push(`pageerror: ${error.message}`));
    page.on('console', (message) => {
      if (message.type() === 'error') problems.push(`console: ${message.text()}`);
    });
    // A full garbage collection on request (test/spec/helpers.ts's gc(); see node-builtins.ts).
    const devtools = await context.newCDPSession(page);
    await page.exposeFunction('__collectGarbage', () => devtools.send('HeapProfiler.collectGarbage'));
    await page.goto(url);
    try {
      await page.waitForFunction(() => typeof (globalThis as { __specRun?: unknown }).__specRun === 'function', undefined, { timeout: 10_000 });
    } catch {
      throw new Error(`${url} did not load its tests:\n${problems.join('\n')}`);
    }
    const names = await page.evaluate(() => (globalThis as unknown as { __specNames(): string[] }).__specNames());
    const plan = planFor(names);
    return await page.evaluate((runPlan) =>
      (globalThis as unknown as { __specRun(plan: RunPlan): Promise<TestResult[]> }).__specRun(runPlan), plan);
  } finally {
    await context.close();
  }
}
