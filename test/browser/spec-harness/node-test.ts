// `node:test` for a browser page: what a spec test can use (test/it, describe, before/after/
// beforeEach/afterEach, subtests through t.test, t.skip/t.todo, { skip, todo, timeout },
// test.skip/todo). Tests register at import and run one after another, as Node runs a file's
// top-level tests, when the driver calls `globalThis.__specRun(plan)`.

import { takeNotApplicable } from './not-applicable.ts';

export type Status = 'pass' | 'fail' | 'skip' | 'n/a';
export interface TestResult {
  name: string;
  status: Status;
  /** Why a test was skipped or is not applicable. */
  reason?: string;
  /** The failure, for a failed test. */
  error?: string;
  ms: number;
}
export interface RunPlan {
  /** Tests to skip, by full name, each with its reason (the driver's, on top of the file's own). */
  skip: Record<string, string>;
  /** Tests not run because they do not apply to what the page tests (the native API), by full name. */
  notApplicable: Record<string, string>;
  /** A test still running after this long fails, so that one hang cannot stall the page. */
  timeoutMs: number;
}

interface TestOptions {
  skip?: boolean | string;
  todo?: boolean | string;
  timeout?: number;
  only?: boolean;
  concurrency?: unknown;
}
type Hook = (context: TestContext) => unknown;
type TestFn = (context: TestContext) => unknown;

interface Hooks {
  before: Hook[];
  after: Hook[];
  beforeEach: Hook[];
  afterEach: Hook[];
}
interface Suite extends Hooks {
  kind: 'suite';
  name: string;
  options: TestOptions;
  children: (Suite | Case)[];
}
interface Case {
  kind: 'case';
  name: string;
  options: TestOptions;
  fn: TestFn | undefined;
}

const noHooks = (): Hooks => ({ before: [], after: [], beforeEach: [], afterEach: [] });
const root: Suite = { kind: 'suite', name: '', options: {}, children: [], ...noHooks() };
let collecting: Suite = root;
let plan: RunPlan = { skip: {}, notApplicable: {}, timeoutMs: 30_000 };
const results: TestResult[] = [];
/** Errors reported to the window (an exception in a listener, an unhandled rejection) while a test runs. */
let uncaught: unknown[] = [];
/** Whether a test is running: an error reported between tests is a failure of its own. */
let inTest = false;

/** test([name][, options][, fn]), as node:test parses it. */
function parseArgs(args: unknown[]): { name: string; options: TestOptions; fn: TestFn | undefined } {
  let name = '<anonymous>';
  let options: TestOptions = {};
  let fn: TestFn | undefined;
  for (const arg of args) {
    if (typeof arg === 'string') name = arg;
    else if (typeof arg === 'function') fn = arg as TestFn;
    else if (arg !== null && typeof arg === 'object') options = arg as TestOptions;
  }
  if (name === '<anonymous>' && fn?.name) name = fn.name;
  return { name, options, fn };
}

function register(args: unknown[], extra: TestOptions = {}): void {
  const { name, options, fn } = parseArgs(args);
  collecting.children.push({ kind: 'case', name, options: { ...options, ...extra }, fn });
}

function registerSuite(args: unknown[], extra: TestOptions = {}): void {
  const { name, options, fn } = parseArgs(args);
  const suite: Suite = { kind: 'suite', name, options: { ...options, ...extra }, children: [], ...noHooks() };
  collecting.children.push(suite);
  const outer = collecting;
  collecting = suite;
  try {
    (fn as ((s: unknown) => unknown) | undefined)?.({ name });
  } finally {
    collecting = outer;
  }
}

type TestApi = ((...args: unknown[]) => Promise<void>) & {
  skip: (...args: unknown[]) => Promise<void>;
  todo: (...args: unknown[]) => Promise<void>;
  only: (...args: unknown[]) => Promise<void>;
};
type SuiteApi = TestApi;

function api(add: (args: unknown[], extra?: TestOptions) => void): TestApi {
  const f = ((...args: unknown[]) => {
    add(args);
    return Promise.resolve();
  }) as TestApi;
  f.skip = (...args) => (add(args, { skip: true }), Promise.resolve());
  f.todo = (...args) => (add(args, { todo: true }), Promise.resolve());
  f.only = (...args) => (add(args), Promise.resolve());
  return f;
}

export const test: TestApi = api(register);
export const it: TestApi = test;
export const describe: SuiteApi = api(registerSuite);
export const suite: SuiteApi = describe;
export const before = (fn: Hook): void => void collecting.before.push(fn);
export const after = (fn: Hook): void => void collecting.after.push(fn);
export const beforeEach = (fn: Hook): void => void collecting.beforeEach.push(fn);
export const afterEach = (fn: Hook): void => void collecting.afterEach.push(fn);
export default test;

/** What a test function receives as `t`. */
export class TestContext {
  readonly name: string;
  readonly fullName: string;
  readonly signal: AbortSignal;
  skipped: string | null = null;
  todoMark: string | null = null;
  readonly hooks: Hooks = noHooks();
  readonly subtests: Promise<void>[] = [];
  /** As in node:test, a test whose subtest failed fails too. */
  failedSubtests = 0;
  readonly #inherited: Hook[][];

  constructor(name: string, fullName: string, signal: AbortSignal, inheritedEach: Hook[][]) {
    this.name = name;
    this.fullName = fullName;
    this.signal = signal;
    this.#inherited = inheritedEach;
  }

  skip(message?: string): void {
    this.skipped = message ?? 'skipped';
  }
  todo(message?: string): void {
    this.todoMark = message ?? 'todo';
  }
  diagnostic(message: string): void {
    console.log(`# ${this.fullName}: ${message}`);
  }
  before(fn: Hook): void {
    this.hooks.before.push(fn);
  }
  after(fn: Hook): void {
    this.hooks.after.push(fn);
  }
  beforeEach(fn: Hook): void {
    this.hooks.beforeEach.push(fn);
  }
  afterEach(fn: Hook): void {
    this.hooks.afterEach.push(fn);
  }
  /** A subtest: runs now, its result is its own line; the parent waits for it before it ends. */
  test(...args: unknown[]): Promise<void> {
    const { name, options, fn } = parseArgs(args);
    // t.before hooks run once, before the first subtest.
    const previous = this.subtests.at(-1) ?? this.hooks.before.reduce<Promise<unknown>>((done, hook) => done.then(() => hook(this)), Promise.resolve());
    const run = previous.then(async () => {
      const status = await runCase(`${this.fullName} > ${name}`, name, fn, options, [...this.#inherited, this.hooks.beforeEach], [this.hooks.afterEach]);
      if (status === 'fail') this.failedSubtests++;
    });
    this.subtests.push(run);
    return run;
  }
}

function describeError(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  return `thrown: ${String(error)}`;
}

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} timed out after ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

async function runCase(
  fullName: string, name: string, fn: TestFn | undefined, options: TestOptions,
  beforeEach: Hook[][], afterEach: Hook[][],
): Promise<Status> {
  const notApplicable = plan.notApplicable[fullName];
  if (notApplicable !== undefined) {
    results.push({ name: fullName, status: 'n/a', reason: notApplicable, ms: 0 });
    return 'n/a';
  }
  const skipReason = plan.skip[fullName] ?? (options.skip ? (typeof options.skip === 'string' ? options.skip : 'skipped') : null);
  if (skipReason !== null || fn === undefined) {
    results.push({ name: fullName, status: 'skip', reason: skipReason ?? 'no test function', ms: 0 });
    return 'skip';
  }
  const controller = new AbortController();
  const context = new TestContext(name, fullName, controller.signal, beforeEach);
  const started = performance.now();
  takeNotApplicable();
  uncaught = [];
  inTest = true;
  let error: unknown = null;
  const body = async (): Promise<void> => {
    for (const hooks of beforeEach) for (const hook of hooks) await hook(context);
    await fn(context);
    await Promise.all(context.subtests);
  };
  try {
    await withTimeout(body(), options.timeout ?? plan.timeoutMs, 'test');
  } catch (thrown) {
    error = thrown;
  }
  controller.abort();
  for (const hooks of [context.hooks.after, ...afterEach]) {
    for (const hook of hooks) {
      try {
        await hook(context);
      } catch (thrown) {
        error ??= thrown;
      }
    }
  }
  inTest = false;
  const ms = Math.round(performance.now() - started);
  const reachedNotApplicable = takeNotApplicable();
  if (error === null && uncaught.length > 0) error = uncaught[0];
  if (error === null && context.failedSubtests > 0) error = new Error(`${context.failedSubtests} subtest(s) failed`);
  uncaught = [];
  const result: TestResult =
    reachedNotApplicable !== null ? { name: fullName, status: 'n/a', reason: reachedNotApplicable, ms }
    : error !== null && (options.todo || context.todoMark !== null) ? { name: fullName, status: 'skip', reason: `todo, fails: ${describeError(error)}`, ms }
    : error !== null ? { name: fullName, status: 'fail', error: describeError(error), ms }
    : context.skipped !== null ? { name: fullName, status: 'skip', reason: context.skipped, ms }
    : { name: fullName, status: 'pass', ms };
  results.push(result);
  return result.status;
}

async function runSuite(suite: Suite, prefix: string, beforeEach: Hook[][], afterEach: Hook[][]): Promise<void> {
  const each = [...beforeEach, suite.beforeEach];
  const eachAfter = [suite.afterEach, ...afterEach];
  const hookContext = new TestContext(suite.name, prefix, new AbortController().signal, []);
  try {
    for (const hook of suite.before) await hook(hookContext);
  } catch (error) {
    results.push({ name: `${prefix || '(file)'} before hook`, status: 'fail', error: describeError(error), ms: 0 });
    return;
  }
  // An index loop: a test may register further top-level tests while the file runs.
  for (let i = 0; i < suite.children.length; i++) {
    const child = suite.children[i]!;
    const fullName = prefix === '' ? child.name : `${prefix} > ${child.name}`;
    if (child.kind === 'case') await runCase(fullName, child.name, child.fn, child.options, each, eachAfter);
    else if (child.options.skip || plan.skip[fullName] !== undefined) {
      const reason = plan.skip[fullName] ?? (typeof child.options.skip === 'string' ? child.options.skip : 'skipped');
      results.push({ name: fullName, status: 'skip', reason, ms: 0 });
    } else await runSuite(child, fullName, each, eachAfter);
  }
  for (const hook of suite.after) {
    try {
      await hook(hookContext);
    } catch (error) {
      results.push({ name: `${prefix || '(file)'} after hook`, status: 'fail', error: describeError(error), ms: 0 });
    }
  }
}

function reportUncaught(error: unknown): void {
  if (inTest) uncaught.push(error);
  else results.push({ name: '(an error outside any test)', status: 'fail', error: describeError(error), ms: 0 });
}
function onWindowError(event: ErrorEvent): void {
  reportUncaught(event.error ?? new Error(event.message));
}
function onUnhandledRejection(event: PromiseRejectionEvent): void {
  reportUncaught(event.reason);
}

async function run(runPlan: RunPlan): Promise<TestResult[]> {
  plan = runPlan;
  // Optional calls: the e2e test also runs this module in Node, which has no window events.
  globalThis.addEventListener?.('error', onWindowError);
  globalThis.addEventListener?.('unhandledrejection', onUnhandledRejection);
  try {
    await runSuite(root, '', [], []);
  } finally {
    globalThis.removeEventListener?.('error', onWindowError);
    globalThis.removeEventListener?.('unhandledrejection', onUnhandledRejection);
  }
  return results;
}

/** The full names of the registered tests (subtests are only known once their parent runs). */
function names(suite: Suite = root, prefix = ''): string[] {
  return suite.children.flatMap((child) => {
    const fullName = prefix === '' ? child.name : `${prefix} > ${child.name}`;
    return child.kind === 'case' ? [fullName] : names(child, fullName);
  });
}

Object.assign(globalThis, { __specRun: run, __specNames: () => names() });
