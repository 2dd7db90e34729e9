// entangle/polyfill seen from fresh processes: the globals it defines (and leaves alone), and
// React 19's streaming server renderer, which needs MessageChannel, running on it.
//
// Every case runs in a child process, because the polyfill's effect is global and lasts for
// the life of a process. Children are ESM scripts run from the repository root, so that
// `entangle` and `entangle/polyfill` resolve to dist/ by package self-reference (build first).
// A child prints one JSON report as its last line of output; the assertions are made here.

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';

const repoRoot = fileURLToPath(new URL('../..', import.meta.url));

const NAMES = ['MessageChannel', 'MessagePort', 'MessageEvent', 'structuredClone'] as const;

/** Child-side: make the host look like one without the Channel Messaging API. */
const DELETE_GLOBALS = NAMES.map((name) => `delete globalThis.${name};`).join(' ');

/**
 * Child-side: what the four globals are now, compared with entangle's exports. Defines `entangle`
 * and `describeGlobals()`. Dynamic imports only: a static import would run before the deletes.
 */
const DESCRIBE_GLOBALS = `
const NAMES = ${JSON.stringify(NAMES)};
const entangle = await import('entangle');
function describeGlobals() {
  const out = {};
  for (const name of NAMES) {
    const d = Object.getOwnPropertyDescriptor(globalThis, name);
    out[name] = {
      type: typeof globalThis[name],
      isEntangle: globalThis[name] === entangle[name],
      descriptor: d === undefined ? null : {
        kind: 'value' in d ? 'data' : 'accessor',
        writable: d.writable, enumerable: d.enumerable, configurable: d.configurable,
      },
    };
  }
  return out;
}`;

/**
 * Child-side: a channel made from the globals, end to end. A message with a transferred buffer
 * and a transferred port goes port2 → port1, then port2 closes and port1 gets `close`.
 * Defines `async function channelEndToEnd()`.
 */
const CHANNEL_END_TO_END = `
async function channelEndToEnd() {
  const channel = new MessageChannel();
  const extra = new MessageChannel();
  const events = [];
  const done = new Promise((resolve) => {
    channel.port1.onmessage = (event) => {
      const { data } = event;
      events.push({
        type: event.type,
        isMessageEvent: event instanceof MessageEvent && event instanceof entangle.MessageEvent,
        isTrusted: event.isTrusted,
        text: data.text,
        bytes: data.bytes instanceof Uint8Array ? Array.from(data.bytes) : null,
        when: data.when instanceof Date ? data.when.toISOString() : null,
        ports: event.ports.length,
        portIsEntangle: event.ports[0] instanceof MessagePort && event.ports[0] instanceof entangle.MessagePort,
      });
    };
    channel.port1.onclose = (event) => {
      events.push({ type: event.type });
      resolve();
    };
  });
  const buffer = new Uint8Array([1, 2, 3]).buffer;
  channel.port2.postMessage(
    { text: 'hello', bytes: new Uint8Array(buffer), when: new Date(0) },
    [buffer, extra.port2],
  );
  const detached = buffer.byteLength === 0;
  channel.port2.close();
  await done;
  extra.port1.close();
  return {
    channelIsEntangle: channel instanceof entangle.MessageChannel,
    portIsEntangle: channel.port1 instanceof entangle.MessagePort,
    detached,
    // Without a native structuredClone or MessageChannel, only ES2024's transfer() can detach.
    canDetachWithoutNatives: typeof ArrayBuffer.prototype.transfer === 'function',
    events,
    cloned: structuredClone(new Map([[1, { a: [1n, new Set(['x'])] }]])).get(1).a[1].has('x'),
  };
}`;

interface ChildResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Run `source` as an ESM script in a fresh Node process at the repository root. */
function runChild(source: string, env: Record<string, string> = {}): Promise<ChildResult> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--input-type=module', '-e', source],
      { cwd: repoRoot, env: { ...process.env, ...env }, timeout: 30_000, encoding: 'utf8' },
      (error, stdout, stderr) => {
        const code = error === null ? 0 : typeof error.code === 'number' ? error.code : null;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

/** Run a child that ends with `console.log(JSON.stringify(report))`, and return the report. */
async function childReport(source: string, env?: Record<string, string>): Promise<any> {
  const result = await runChild(source, env);
  const context = `child exited with ${result.code}\n--- stdout\n${result.stdout}\n--- stderr\n${result.stderr}`;
  assert.equal(result.code, 0, context);
  const lastLine = result.stdout.trimEnd().split('\n').at(-1) ?? '';
  try {
    return JSON.parse(lastLine);
  } catch {
    assert.fail(`no JSON report on the last line\n${context}`);
  }
}

const ENTANGLE_DESCRIPTOR = { kind: 'data', writable: true, enumerable: false, configurable: true };

function assertAllEntangle(globals: any): void {
  for (const name of NAMES) {
    assert.deepEqual(
      globals[name],
      { type: 'function', isEntangle: true, descriptor: ENTANGLE_DESCRIPTOR },
      `${name}: entangle's, as a non-enumerable writable configurable global`,
    );
  }
}

function assertChannelWorks(endToEnd: any, expectDetached = true): void {
  assert.equal(endToEnd.channelIsEntangle, true, 'new MessageChannel() is entangle’s');
  assert.equal(endToEnd.portIsEntangle, true, 'its ports are entangle’s');
  assert.equal(endToEnd.detached, expectDetached, 'the transferred buffer is detached at the sender');
  assert.deepEqual(endToEnd.events, [
    {
      type: 'message',
      isMessageEvent: true,
      isTrusted: true,
      text: 'hello',
      bytes: [1, 2, 3],
      when: '1970-01-01T00:00:00.000Z',
      ports: 1,
      portIsEntangle: true,
    },
    { type: 'close' },
  ]);
  assert.equal(endToEnd.cloned, true, 'the global structuredClone clones a Map of a BigInt and a Set');
}

describe('polyfill: a host without the Channel Messaging API', () => {
  test('importing entangle/polyfill defines the four globals as entangle’s, and a channel works end to end', async () => {
    const report = await childReport(`
      ${DELETE_GLOBALS}
      const before = ${JSON.stringify(NAMES)}.map((name) => typeof globalThis[name]);
      const polyfill = await import('entangle/polyfill');
      ${DESCRIBE_GLOBALS}
      ${CHANNEL_END_TO_END}
      const globals = describeGlobals();
      const enumerated = Object.keys(globalThis).filter((key) => NAMES.includes(key));
      const installAgain = polyfill.install();
      const forceAgain = polyfill.install({ force: true });
      const globalsAfterReinstall = describeGlobals();
      const endToEnd = await channelEndToEnd();
      console.log(JSON.stringify({ before, globals, enumerated, installAgain, forceAgain, globalsAfterReinstall, endToEnd }));
    `);
    assert.deepEqual(report.before, ['undefined', 'undefined', 'undefined', 'undefined'], 'the deletes took');
    assertAllEntangle(report.globals);
    assert.deepEqual(report.enumerated, [], 'none of them is enumerable on globalThis');
    assert.deepEqual(report.installAgain, [], 'install() after the import defines nothing more');
    assert.deepEqual(report.forceAgain, [], 'install({ force: true }) leaves entangle’s own globals as they are');
    assertAllEntangle(report.globalsAfterReinstall);
    // A host with neither the natives nor ArrayBuffer.prototype.transfer (Node 20 with the globals
    // deleted) cannot detach a buffer from JavaScript: the receiver gets a copy and the sender
    // keeps its buffer, DEVIATION(29.3) in src/clone/array-buffer.ts.
    assertChannelWorks(report.endToEnd, report.endToEnd.canDetachWithoutNatives);
  });
});

describe('polyfill: a host with its own implementations (Node)', () => {
  test('importing entangle/polyfill leaves Node’s built-ins in place', async () => {
    const report = await childReport(`
      const builtins = Object.fromEntries(${JSON.stringify(NAMES)}.map((name) => [name, globalThis[name]]));
      const polyfill = await import('entangle/polyfill');
      ${DESCRIBE_GLOBALS}
      const kept = NAMES.map((name) => globalThis[name] === builtins[name]);
      const builtinsDiffer = NAMES.map((name) => typeof builtins[name] === 'function' && builtins[name] !== entangle[name]);
      const installPlain = polyfill.install();
      const keptAfterPlainInstall = NAMES.map((name) => globalThis[name] === builtins[name]);
      console.log(JSON.stringify({ kept, builtinsDiffer, installPlain, keptAfterPlainInstall }));
    `);
    assert.deepEqual(report.builtinsDiffer, [true, true, true, true], 'Node has its own four (else this test proves nothing)');
    assert.deepEqual(report.kept, [true, true, true, true]);
    assert.deepEqual(report.installPlain, [], 'install() without force defines nothing');
    assert.deepEqual(report.keptAfterPlainInstall, [true, true, true, true]);
  });

  test('install({ force: true }) replaces them, returns the names it installed, and is harmless twice', async () => {
    const report = await childReport(`
      const polyfill = await import('entangle/polyfill');
      ${DESCRIBE_GLOBALS}
      ${CHANNEL_END_TO_END}
      const forced = polyfill.install({ force: true });
      const globals = describeGlobals();
      const forcedAgain = polyfill.install({ force: true });
      const plainAgain = polyfill.install();
      const globalsAfterReinstall = describeGlobals();
      const endToEnd = await channelEndToEnd();
      console.log(JSON.stringify({ forced, globals, forcedAgain, plainAgain, globalsAfterReinstall, endToEnd }));
    `);
    assert.deepEqual([...report.forced].sort(), [...NAMES].sort());
    assertAllEntangle(report.globals);
    assert.deepEqual(report.forcedAgain, []);
    assert.deepEqual(report.plainAgain, []);
    assertAllEntangle(report.globalsAfterReinstall);
    assertChannelWorks(report.endToEnd);
  });
});

/**
 * React 19's `react-dom/server.browser` creates a MessageChannel when it loads, and schedules its
 * render work through it. Both of React's builds are checked: `process.env.NODE_ENV` picks one.
 */
describe('polyfill: React 19 streaming SSR (react-dom/server.browser) on a host without MessageChannel', () => {
  for (const nodeEnv of ['production', 'development']) {
    test(`${nodeEnv} build: without the polyfill, react-dom/server.browser fails to load`, async () => {
      const report = await childReport(
        `
        ${DELETE_GLOBALS}
        let report;
        try {
          await import('react-dom/server.browser');
          report = { loaded: true };
        } catch (error) {
          report = { loaded: false, name: error?.name, message: String(error?.message) };
        }
        console.log(JSON.stringify(report));
      `,
        { NODE_ENV: nodeEnv },
      );
      assert.equal(report.loaded, false, 'it must fail, or the next test proves nothing');
      assert.equal(report.name, 'ReferenceError');
      assert.match(report.message, /MessageChannel is not defined/);
    });

    test(`${nodeEnv} build: with the polyfill, renderToReadableStream streams a Suspense boundary whose lazy child resolves later`, async () => {
      const report = await childReport(
        `
        ${DELETE_GLOBALS}
        await import('entangle/polyfill');
        const entangle = await import('entangle');
        // Count the messages React posts, to show its work really goes through entangle's ports.
        const post = entangle.MessagePort.prototype.postMessage;
        let posts = 0;
        entangle.MessagePort.prototype.postMessage = function (...args) {
          posts++;
          return post.apply(this, args);
        };
        const { default: React } = await import('react');
        const { renderToReadableStream } = await import('react-dom/server.browser');
        const h = React.createElement;

        function Greeting({ name }) {
          return h('p', null, 'Hello, ', name);
        }
        // Resolves on a timer, after the shell has been written: the boundary streams in later.
        const LazyGreeting = React.lazy(
          () => new Promise((resolve) => setTimeout(() => resolve({ default: Greeting }), 20)),
        );
        function App() {
          return h('main', null,
            h('h1', null, 'entangle'),
            h(React.Suspense, { fallback: h('span', null, 'loading') }, h(LazyGreeting, { name: 'React' })),
          );
        }

        const stream = await renderToReadableStream(h(App));
        const reader = stream.getReader();
        const decoder = new TextDecoder();
        const chunks = [];
        for (;;) {
          const { done, value } = await reader.read();
          if (done) break;
          chunks.push(decoder.decode(value, { stream: true }));
        }
        const html = chunks.join('') + decoder.decode();
        console.log(JSON.stringify({ html, chunks: chunks.length, posts }));
      `,
        { NODE_ENV: nodeEnv },
      );
      const { html } = report;
      // The shell: the fallback inside a pending boundary (<!--$?-->), written before the child resolved.
      assert.match(html, /^<main><h1>entangle<\/h1><!--\$\?--><template id="B:0"><\/template><span>loading<\/span><!--\/\$--><\/main>/, html);
      // Then the resolved segment, hidden, and the script that swaps it into the boundary.
      assert.ok(html.includes('<div hidden id="S:0"><p>Hello, <!-- -->React</p></div>'), html);
      assert.match(html, /\$RC\("B:0","S:0"\)/, html);
      assert.ok(report.chunks >= 2, 'the shell and the boundary arrived as separate chunks');
      assert.ok(report.posts > 0, 'React scheduled work through entangle’s MessagePort');
    });
  }
});
