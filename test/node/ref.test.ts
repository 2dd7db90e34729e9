// Node's MessagePort convention across a link, in child processes: a ref'd port with a message
// listener keeps its process alive while its peer is on another node; closing it, unref()ing
// it, or having no listener does not; an unref()'d Worker does not; hasRef() says which. Each
// case is test/node/fixtures/ref-child.js in a fresh `node`, whose timers are all unref'd: a
// line printed from one proves the process was still running then.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { after, before, describe, test } from 'node:test';
import { listen, type Server } from 'entangle/node';

const childScript = new URL('./fixtures/ref-child.js', import.meta.url).pathname;
/** ref-child.js's HOLD_MS: how long it holds a port before releasing it. */
const HOLD_MS = 600;
/** Generous for a loaded CI machine: an exit that takes longer than this after its cause is not "prompt". */
const PROMPT_MS = 1500;

interface Line {
  readonly at: string;
  /** The child's clock, ms since it started. */
  readonly ms: number;
  readonly hasRef?: boolean;
  readonly code?: number;
  /** This process's clock when the line arrived. */
  readonly received: number;
}

interface Run {
  readonly lines: Line[];
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  /** This process's clock when the child exited. */
  readonly exited: number;
  line(at: string): Line;
}

/** Runs ref-child.js with `args` to its exit (SIGKILL after `ms`: a process that never exits fails). */
function runChild(args: string[], ms = 15_000): Promise<Run> {
  const child = spawn(process.execPath, [childScript, ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  const lines: Line[] = [];
  createInterface({ input: child.stdout! }).on('line', (text) => {
    lines.push({ ...(JSON.parse(text) as Omit<Line, 'received'>), received: performance.now() });
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`ref-child ${args.join(' ')} still running after ${ms} ms: ${JSON.stringify(lines)}`));
    }, ms);
    // 'close': exited and its stdout read to the end.
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      const exited = performance.now();
      resolve({
        lines,
        code,
        signal,
        exited,
        line(at) {
          const found = lines.find((l) => l.at === at);
          assert.ok(found !== undefined, `no "${at}" line from ref-child ${args.join(' ')}: ${JSON.stringify(lines)}`);
          return found;
        },
      });
    });
  });
}

function hasRefs(run: Run): Record<string, boolean | undefined> {
  return Object.fromEntries(run.lines.map((l) => [l.at, l.hasRef]));
}

function assertPrompt(run: Run, after: string): void {
  const ms = run.exited - run.line(after).received;
  assert.ok(ms < PROMPT_MS, `exited ${ms.toFixed(0)} ms after "${after}"`);
  assert.ok(!run.lines.some((l) => l.at === 'still-alive'), 'still alive long after it should have exited');
}

for (const type of ['thread', 'process'] as const) {
  describe(`ref: an entangle port to a worker ${type}`, () => {
    for (const action of ['close', 'unref'] as const) {
      test(`a: with a message listener it keeps the process alive (> 500 ms), until ${action}()`, async () => {
        const run = await runChild(['port', type, action]);
        assert.equal(run.code, 0);
        const held = run.line('released').ms - run.line('linked').ms;
        assert.ok(held >= HOLD_MS - 50, `alive ${held} ms with only the port`);
        assertPrompt(run, 'released');
        // e: hasRef() all along: no listener, listening, entangled across the link, released.
        assert.deepEqual(hasRefs(run), action === 'close'
          ? { created: false, listening: true, linked: true, echo: true, released: false }
          : { created: false, listening: true, linked: true, echo: true, unrefd: false, refd: true, released: false });
      });
    }

    test('b: with no listener it does not keep the process alive', async () => {
      const run = await runChild(['no-listener', type]);
      assert.equal(run.code, 0);
      assertPrompt(run, 'linked');
      assert.deepEqual(hasRefs(run), { created: false, linked: false });
    });

    test('b: once its listener is removed it does not keep the process alive', async () => {
      const run = await runChild(['removed-listener', type]);
      assert.equal(run.code, 0);
      assertPrompt(run, 'removed');
      assert.deepEqual(hasRefs(run), { created: false, listening: true, linked: true, removed: false });
    });

    test('c: an unref()\'d Worker does not keep its parent alive; a ref\'d one does, until terminated', async () => {
      const unrefd = await runChild(['worker', type, 'unref']);
      assert.equal(unrefd.code, 0);
      assertPrompt(unrefd, 'unrefd');
      const refd = await runChild(['worker', type, 'ref']);
      assert.equal(refd.code, 0);
      const held = refd.line('terminating').ms - refd.line('linked').ms;
      assert.ok(held >= HOLD_MS - 50, `alive ${held} ms with only the Worker`);
      assert.equal(refd.line('terminated').code, type === 'thread' ? 1 : 143);
      assertPrompt(refd, 'terminated');
    });

    test('a: a listening port whose peer is still on its way to a starting, unref()\'d Worker keeps the process alive', async () => {
      const run = await runChild(['port-early', type, 'close']);
      assert.equal(run.code, 0);
      assert.equal(run.line('listening').hasRef, true);
      run.line('linked');
    });
  });
}

describe('ref: a port from connect()', () => {
  let server: Server;
  const serverPorts: { port: MessagePort; closed: Promise<number> }[] = [];

  before(async () => {
    server = await listen({ url: 'tcp://127.0.0.1:0' });
    server.addEventListener('connect', (event) => {
      const port = (event as MessageEvent).ports[0]!;
      const closed = new Promise<number>((resolve) => port.addEventListener('close', () => resolve(performance.now()), { once: true }));
      serverPorts.push({ port, closed });
      port.addEventListener('message', ({ data }) => port.postMessage({ echo: data }));
      port.start();
    });
  });

  after(async () => {
    for (const { port } of serverPorts) port.close();
    await server.close();
  });

  for (const action of ['unref', 'close'] as const) {
    test(`d: a process holding a listening port to a server stays alive, then exits once the port is ${action === 'unref' ? 'unref()\'d' : 'closed'}`, async () => {
      const count = serverPorts.length;
      const run = await runChild(['connect', server.url, action]);
      assert.equal(run.code, 0);
      const held = run.line('released').ms - run.line('linked').ms;
      assert.ok(held >= HOLD_MS - 50, `alive ${held} ms with only the port`);
      assertPrompt(run, 'released');
      assert.deepEqual(hasRefs(run), action === 'close'
        ? { connected: false, listening: true, linked: true, released: false }
        : { connected: false, listening: true, linked: true, unrefd: false, refd: true, released: false });
      // The server's side learns the client is gone (closed its port, or exited).
      const serverPort = serverPorts[count];
      assert.ok(serverPort !== undefined);
      const closedAt = await Promise.race([serverPort.closed, new Promise<null>((resolve) => setTimeout(resolve, 5000, null))]);
      assert.ok(closedAt !== null, 'the server\'s port got close');
      assert.ok(closedAt - run.exited < PROMPT_MS, `close ${(closedAt - run.exited).toFixed(0)} ms after the client exited`);
    });
  }

  test('d: a connect()ed port with no listener does not keep the process alive', async () => {
    const run = await runChild(['connect', server.url, 'none']);
    assert.equal(run.code, 0);
    assertPrompt(run, 'connected');
    assert.deepEqual(hasRefs(run), { connected: false });
  });
});
