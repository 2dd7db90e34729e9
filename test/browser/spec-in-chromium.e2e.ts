// The core's own spec tests (test/spec/*.test.ts) inside Chromium, each file twice: against
// entangle's core, and against Chromium's native MessageChannel / MessagePort / MessageEvent /
// structuredClone on the same tests. entangle must pass every test that applies; where the
// native API fails a test, docs/deviations.md ("In Chromium") says why, and this test fails
// when what Chromium does and what the document says part.

import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { isDeepStrictEqual } from 'node:util';
import type { Browser } from 'playwright-core';
import { chromiumMissing, launchChromium } from './chromium.ts';
import * as shim from './spec-harness/assert.ts';
import { buildSpecPages, type Mode, specDir } from './spec-harness/build.ts';
import { documentedFailures } from './spec-harness/documented.ts';
import type { RunPlan, TestContext, TestResult } from './spec-harness/node-test.ts';
import { notApplicableNatively, plannedNames, skipInChromium } from './spec-harness/plan.ts';
import { runSpecPage } from './spec-harness/run-page.ts';
import { serveDirectory, type StaticServer } from './spec-harness/serve.ts';

const files = readdirSync(specDir).filter((file) => file.endsWith('.test.ts')).sort();
const modes: readonly Mode[] = ['entangle', 'native'];

function planFor(mode: Mode): (names: readonly string[]) => RunPlan {
  return (names) => {
    const notApplicable: Record<string, string> = {};
    if (mode === 'native') {
      for (const name of names) {
        const reason = notApplicableNatively(name);
        if (reason !== null) notApplicable[name] = reason;
      }
    }
    return { skip: { ...skipInChromium }, notApplicable, timeoutMs: 20_000 };
  };
}

const count = (results: readonly TestResult[], status: TestResult['status']): number =>
  results.filter((result) => result.status === status).length;

function summaryTable(outcomes: Map<string, Record<Mode, TestResult[]>>): string {
  const header = ['file', 'entangle pass', 'fail', 'skip', 'native pass', 'fail', 'n/a', 'skip'];
  const rows = [...outcomes].map(([file, { entangle, native }]) => [
    file,
    ...[count(entangle, 'pass'), count(entangle, 'fail'), count(entangle, 'skip')].map(String),
    ...[count(native, 'pass'), count(native, 'fail'), count(native, 'n/a'), count(native, 'skip')].map(String),
  ]);
  const all = [...outcomes.values()];
  rows.push(['total', ...(['pass', 'fail', 'skip'] as const).map((s) => String(all.reduce((n, o) => n + count(o.entangle, s), 0))),
    ...(['pass', 'fail', 'n/a', 'skip'] as const).map((s) => String(all.reduce((n, o) => n + count(o.native, s), 0)))]);
  const widths = header.map((_, column) => Math.max(...[header, ...rows].map((row) => row[column]!.length)));
  const line = (row: string[]): string => row.map((cell, column) => (column === 0 ? cell.padEnd(widths[column]!) : cell.padStart(widths[column]!))).join('  ');
  return [line(header), ...rows.map(line)].join('\n');
}

/** What differs between the failures seen in `mode` and the documented ones, as readable lines. */
function compareWithDocument(mode: Mode, results: Map<string, TestResult>, documented: Set<string>): string[] {
  const problems: string[] = [];
  for (const [key, result] of results) {
    if (result.status === 'fail' && !documented.has(key)) problems.push(`${mode}: fails, not in docs/deviations.md: ${key}\n    ${result.error}`);
  }
  for (const key of documented) {
    const result = results.get(key);
    if (result === undefined) problems.push(`${mode}: in docs/deviations.md but no such test: ${key}`);
    else if (result.status !== 'fail') problems.push(`${mode}: in docs/deviations.md but ${result.status}: ${key}`);
  }
  return problems;
}

test('the spec tests in Chromium: entangle passes all that apply, native fails exactly the documented ones', {
  skip: chromiumMissing() ?? false,
  timeout: 170_000,
}, async () => {
  const dir = await mkdtemp(join(tmpdir(), 'entangle-spec-in-chromium-'));
  let server: StaticServer | undefined;
  let browser: Browser | undefined;
  try {
    const pages = { entangle: await buildSpecPages(dir, files, 'entangle'), native: await buildSpecPages(dir, files, 'native') };
    server = await serveDirectory(dir);
    browser = await launchChromium();
    const outcomes = new Map<string, Record<Mode, TestResult[]>>();
    for (const file of files) {
      const outcome = {} as Record<Mode, TestResult[]>;
      for (const mode of modes) outcome[mode] = await runSpecPage(browser, server.origin + pages[mode].get(file)!, planFor(mode));
      outcomes.set(file, outcome);
    }
    console.log(`\n${summaryTable(outcomes)}\n`);

    const problems: string[] = [];
    for (const [file, outcome] of outcomes) {
      // A bundle that registered nothing would pass vacuously.
      if (count(outcome.entangle, 'pass') === 0) problems.push(`entangle: no test of ${file} passed (did it register any?)`);
    }
    const byKey: Record<Mode, Map<string, TestResult>> = { entangle: new Map(), native: new Map() };
    for (const [file, outcome] of outcomes) {
      for (const mode of modes) {
        for (const result of outcome[mode]) {
          const key = `${file}: ${result.name}`;
          if (byKey[mode].has(key)) problems.push(`${mode}: two tests named ${key}`);
          byKey[mode].set(key, result);
        }
      }
    }
    const allNames = new Set([...byKey.entangle.values()].map((result) => result.name));
    for (const name of plannedNames) if (!allNames.has(name)) problems.push(`spec-harness/plan.ts names no test: ${name}`);
    for (const [key, result] of byKey.entangle) {
      if (result.status === 'n/a') problems.push(`entangle: not applicable? ${key} (${result.reason})`);
      if (result.status === 'skip' && skipInChromium[result.name] === undefined) problems.push(`entangle: skipped unplanned: ${key} (${result.reason})`);
    }
    const documented = await documentedFailures();
    for (const mode of modes) problems.push(...compareWithDocument(mode, byKey[mode], documented[mode]));
    if (problems.length > 0) assert.fail(`\n${problems.join('\n')}`);
  } finally {
    await browser?.close();
    await server?.close();
    await rm(dir, { recursive: true, force: true });
  }
});

// The browser's assert must mean what Node's does, or a pass in Chromium would mean less.
test('the harness\'s assert agrees with node:assert/strict', () => {
  const cycle: Record<string, unknown> = { a: 1 };
  cycle['self'] = cycle;
  const cycle2: Record<string, unknown> = { a: 1 };
  cycle2['self'] = cycle2;
  const symbol = Symbol('s');
  const regexpAt = (lastIndex: number): RegExp => Object.assign(/a/g, { lastIndex });
  class Point {
    constructor(readonly x: number) {}
  }
  const pairs: [unknown, unknown][] = [
    [1, 1], [0, -0], [NaN, NaN], ['1', 1], [null, undefined], [1n, 1n], [symbol, symbol],
    [[1, 2], [1, 2]], [[1, 2], [2, 1]], [[1, , 3], [1, undefined, 3]], [[], {}], [{ length: 0 }, []],
    [{ a: 1 }, { a: 1 }], [{ a: 1 }, { a: 1, b: undefined }], [{ a: { b: [1] } }, { a: { b: ['1'] } }],
    [Object.create(null), {}], [new Point(1), { x: 1 }], [new Point(1), new Point(1)], [new Point(1), new Point(2)],
    [Object.freeze([1]), [1]], [{ [symbol]: 1 }, {}], [{ [symbol]: 1 }, { [symbol]: 1 }],
    [Object.defineProperty({}, 'hidden', { value: 1 }), {}],
    [new Date(0), new Date(0)], [new Date(0), new Date(1)], [new Date(0), {}],
    [/a/g, /a/g], [/a/g, /a/i], [regexpAt(0), regexpAt(1)],
    [new Number(1), new Number(1)], [new Number(1), new Number(2)], [new String('a'), 'a'], [Object(1n), Object(2n)],
    [new Map([[1, { a: 1 }]]), new Map([[1, { a: 1 }]])], [new Map([[1, 1]]), new Map([[1, 2]])],
    [new Map([[{ k: 1 }, 'v']]), new Map([[{ k: 1 }, 'v']])], [new Map([[{ k: 1 }, 'v']]), new Map([[{ k: 2 }, 'v']])],
    [new Set([1, 2]), new Set([2, 1])], [new Set([{ a: 1 }]), new Set([{ a: 1 }])], [new Set([{ a: 1 }]), new Set([{ a: 2 }])],
    [new Uint8Array([1, 2]), new Uint8Array([1, 2])], [new Uint8Array([1, 2]), new Int8Array([1, 2])],
    [new Uint8Array([1, 2]), new Uint8Array([1, 3])], [new Float64Array([NaN]), new Float64Array([NaN])],
    [new Uint8Array([1]).buffer, new Uint8Array([1]).buffer], [new Uint8Array([1]).buffer, new Uint8Array([2]).buffer],
    [new ArrayBuffer(1), new Uint8Array(1)], [new DataView(new ArrayBuffer(2)), new DataView(new ArrayBuffer(2))],
    [new Error('a'), new Error('a')], [new Error('a'), new Error('b')], [new Error('a'), new TypeError('a')],
    [cycle, cycle2], [cycle, { a: 1, self: {} }],
    [[{ a: 1 }], [{ a: 1 }]], [() => {}, () => {}],
  ];
  const disagreements = pairs.flatMap(([a, b], i) =>
    shim.isDeepStrictEqual(a, b) === isDeepStrictEqual(a, b) ? [] : [`pair ${i}: node says ${isDeepStrictEqual(a, b)}`]);
  assert.deepEqual(disagreements, []);

  const outcome = (run: () => void): string => {
    try {
      run();
      return 'pass';
    } catch (error) {
      return (error as Error).name;
    }
  };
  const thrower = (error: unknown) => (): never => {
    throw error;
  };
  const throwsCases: [() => unknown, unknown][] = [
    [thrower(new TypeError('x')), TypeError], [thrower(new RangeError('x')), TypeError], [thrower(new TypeError('x')), Error],
    [() => 1, TypeError], [thrower(1), (e: unknown) => e === 1], [thrower(1), (e: unknown) => (e === 1 ? 'yes' : false)],
    [thrower(new Error('no way')), /no/], [thrower(new Error('yes')), /no/], [thrower(new Error('x')), undefined],
    [thrower(Object.assign(new Error('x'), { code: 7 })), { code: 7 }], [thrower(new Error('x')), { message: 'y' }],
  ];
  for (const [fn, expected] of throwsCases) {
    const args = expected === undefined ? [fn] : [fn, expected];
    assert.equal(outcome(() => Reflect.apply(shim.throws, undefined, args)), outcome(() => Reflect.apply(assert.throws, undefined, args)), String(expected));
  }
  for (const fn of [() => 1, thrower(new Error('x'))]) assert.equal(outcome(() => shim.doesNotThrow(fn)), outcome(() => assert.doesNotThrow(fn)));
  for (const [a, b] of [[1, 1], [0, -0], [NaN, NaN], ['1', 1]] as const) {
    assert.equal(outcome(() => shim.equal(a, b)), outcome(() => assert.equal(a, b)));
    assert.equal(outcome(() => shim.notEqual(a, b)), outcome(() => assert.notEqual(a, b)));
  }
  for (const value of [0, '', null, 1, 'x', {}]) assert.equal(outcome(() => shim.ok(value)), outcome(() => assert.ok(value)));
});

// The browser's node:test must report what Node's would: hooks, subtests, skips and failures.
test('the harness\'s node:test runs hooks, subtests and skips as node:test does', async () => {
  const { describe, it, before, beforeEach, test: register } = await import('./spec-harness/node-test.ts');
  const log: string[] = [];
  describe('suite', () => {
    before(() => log.push('before'));
    beforeEach(() => log.push('each'));
    it('a', () => log.push('a'));
    it('b', { skip: 'own reason' }, () => log.push('b'));
  });
  register('with subtests', async (t: TestContext) => {
    t.before(() => log.push('t.before'));
    await t.test('ok', () => log.push('ok'));
    await t.test('boom', () => {
      throw new RangeError('boom');
    });
  });
  register('skips itself', (t: TestContext) => t.skip('at run time'));
  register('planned skip', () => log.push('never'));
  register('not applicable', () => log.push('never'));
  register('async failure', async () => {
    await null;
    throw new TypeError('late');
  });
  register('hangs', () => new Promise(() => {}));
  const run = (globalThis as unknown as { __specRun(plan: RunPlan): Promise<TestResult[]> }).__specRun;
  const results = await run({ skip: { 'planned skip': 'plan' }, notApplicable: { 'not applicable': 'n/a' }, timeoutMs: 200 });
  assert.deepEqual(results.map(({ name, status, reason, error }) => [name, status, reason ?? error]), [
    ['suite > a', 'pass', undefined],
    ['suite > b', 'skip', 'own reason'],
    ['with subtests > ok', 'pass', undefined],
    ['with subtests > boom', 'fail', 'RangeError: boom'],
    ['with subtests', 'fail', 'Error: 1 subtest(s) failed'],
    ['skips itself', 'skip', 'at run time'],
    ['planned skip', 'skip', 'plan'],
    ['not applicable', 'n/a', 'n/a'],
    ['async failure', 'fail', 'TypeError: late'],
    ['hangs', 'fail', 'Error: test timed out after 200 ms'],
  ]);
  assert.deepEqual(log, ['before', 'each', 'a', 't.before', 'ok']);
});
