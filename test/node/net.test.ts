// listen() and connect() over every scheme: ws, wss, tcp, tls, unix. The connect event, a round
// trip, ports handed over the connection, and close on either side reaching the other.

import assert from 'node:assert/strict';
import { execFileSync, fork, type ChildProcess } from 'node:child_process';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { MessageChannel, type MessagePort } from 'entangle';
import { connect, listen, Worker, type ListenOptions } from 'entangle/node';
import { agentUrl, collect, next, selfSignedCert, serverProcess, socketPath } from './helpers.ts';

const clientUrl = new URL('./fixtures/client.js', import.meta.url);

const cert = selfSignedCert();
const noCert = cert === null ? 'openssl is not installed: no certificate for wss:/tls:' : false;

const schemes: { name: string; url: () => string; skip: string | false }[] = [
  { name: 'ws', url: () => 'ws://127.0.0.1:0/entangle', skip: false },
  { name: 'wss', url: () => 'wss://127.0.0.1:0', skip: noCert },
  { name: 'tcp', url: () => 'tcp://127.0.0.1:0', skip: false },
  { name: 'tls', url: () => 'tls://127.0.0.1:0', skip: noCert },
  { name: 'unix', url: () => `unix:${socketPath()}`, skip: false },
];

/** A client in a process of its own (another node, linked to this one only by the transport under test). */
function clientProcess(): ChildProcess {
  return fork(fileURLToPath(clientUrl), { stdio: 'inherit' });
}

/** Asks the client to do `command`; resolves with its report. */
function inClient<T>(client: ChildProcess, command: object): Promise<T> {
  return new Promise((resolve) => {
    client.once('message', (reply) => resolve(reply as T));
    client.send(command);
  });
}

for (const scheme of schemes) {
  test(`node ${scheme.name}: listen → connect → a connect event whose port is entangled with the client's; round trips; close reaches the other side`, { skip: scheme.skip }, async () => {
    const options: ListenOptions = { url: scheme.url(), token: 'sesame', ...(cert === null ? {} : { tls: cert }) };
    const server = await listen(options);
    const client = clientProcess();
    try {
      assert.match(server.url, new RegExp(`^${scheme.name}:`));
      assert.doesNotMatch(server.url, /:0(\/|$)/, 'the real port, not :0');
      let serverPort: MessagePort | undefined;
      let origin = '';
      server.onconnect = ({ ports, origin: from }: MessageEvent) => {
        origin = from;
        serverPort = ports[0] as unknown as MessagePort;
        serverPort.onmessage = ({ data, ports: inner }: MessageEvent) => {
          if (inner.length > 0) (inner[0] as unknown as MessagePort).postMessage(`via a port: ${data}`);
          else serverPort!.postMessage(`echo: ${data}`);
        };
      };
      const report = await inClient<{ echoes: string[]; via: string }>(client, { cmd: 'roundtrips', url: server.url, token: 'sesame', ca: cert?.cert, n: 100 });
      assert.deepEqual(report.echoes, [...Array(100).keys()].map((i) => `echo: ${i}`), JSON.stringify(report));
      assert.equal(report.via, 'via a port: hi');
      assert.match(origin, /^entangle:[0-9a-f]{32}$/);
      // The client closes its end: the server's gets close.
      const closed = next(serverPort!, 'close');
      await inClient(client, { cmd: 'close' });
      await closed;
      assert.equal(server.stats().accepted, 1);
    } finally {
      client.kill();
      await server.close();
    }
  });
}

test('node tcp: a server process killed with SIGKILL → the client port gets close well under a second', async () => {
  const server = await serverProcess('tcp://127.0.0.1:0');
  try {
    const port = await connect(server.url);
    const echo = next<MessageEvent>(port);
    port.start();
    port.postMessage('ping');
    assert.deepEqual((await echo).data, { echo: 'ping', by: server.pid });
    const closed = next(port, 'close');
    const start = performance.now();
    server.child.kill('SIGKILL');
    await closed;
    const ms = performance.now() - start;
    assert.ok(ms < 1000, `close ${ms.toFixed(0)} ms after SIGKILL`);
  } finally {
    server.child.kill('SIGKILL');
  }
});

test('node: ws, http, https and tls load with the first listen() or connect() that needs them, not with entangle/node', () => {
  const script = `
    import { createRequire } from 'node:module';
    const require = createRequire(${JSON.stringify(import.meta.url)});
    const loaded = () => ({
      http: process.moduleLoadList.includes('NativeModule _http_server'),
      tls: process.moduleLoadList.includes('NativeModule tls'),
      ws: Object.keys(require.cache).some((k) => k.includes('/node_modules/ws/')),
    });
    const { listen, connect } = await import(${JSON.stringify(new URL('../../src/node/index.ts', import.meta.url).href)});
    const before = loaded();
    const server = await listen({ url: 'ws://127.0.0.1:0' });
    const port = await connect(server.url);
    port.close();
    await server.close();
    console.log(JSON.stringify({ before, after: loaded() }));
  `;
  const out = execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { encoding: 'utf8' });
  const { before, after } = JSON.parse(out.trim().split('\n').at(-1)!) as Record<string, Record<string, boolean>>;
  assert.deepEqual(before, { http: false, tls: false, ws: false });
  assert.deepEqual(after, { http: true, tls: true, ws: true }, 'the check can see them load');
});

test('node: connect errors are typed — refused, bad URL, wrong token', async () => {
  await assert.rejects(connect('tcp://127.0.0.1:1'), { code: 'ENTANGLE_CONNECT_FAILED' });
  await assert.rejects(connect('http://127.0.0.1:80'), { code: 'ENTANGLE_BAD_URL' });
  await assert.rejects(connect('tcp://127.0.0.1'), { code: 'ENTANGLE_BAD_URL' });
  await assert.rejects(listen({ url: 'unix:' }), { code: 'ENTANGLE_BAD_URL' });
  const server = await listen({ url: 'tcp://127.0.0.1:0', token: 'right' });
  const client = clientProcess();
  try {
    assert.deepEqual(await inClient(client, { cmd: 'try', url: server.url, token: 'wrong' }), { error: 'ENTANGLE_LINK_AUTH' });
    assert.deepEqual(await inClient(client, { cmd: 'try', url: server.url }), { error: 'ENTANGLE_LINK_AUTH' });
    assert.deepEqual(await inClient(client, { cmd: 'try', url: server.url, token: 'right' }), { ok: true });
    assert.equal(server.stats().refused.ENTANGLE_LINK_AUTH, 2);
    // In this process, the server's own URL is a local channel: the token is checked all the same.
    await assert.rejects(connect(server.url, { token: 'wrong' }), { code: 'ENTANGLE_LINK_AUTH' });
    (await connect(server.url, { token: 'right' })).close();
  } finally {
    client.kill();
    await server.close();
  }
});

test('node: two connects to one server share one link and get two ports', async () => {
  const server = await serverProcess('tcp://127.0.0.1:0');
  try {
    const a = await connect(server.url);
    const b = await connect(server.url);
    const [ra, rb] = [next<MessageEvent>(a), next<MessageEvent>(b)];
    a.start();
    b.start();
    a.postMessage('a');
    b.postMessage('b');
    assert.deepEqual((await ra).data, { echo: 'a', by: server.pid });
    assert.deepEqual((await rb).data, { echo: 'b', by: server.pid });
    // Still both alive after the second transport superseded the first.
    const again = next<MessageEvent>(a);
    a.postMessage('a2');
    assert.deepEqual((await again).data, { echo: 'a2', by: server.pid });
    a.close();
    b.close();
  } finally {
    server.child.kill('SIGKILL');
  }
});

test('node: a worker already linked to this process connects to its server too: one link, and a port that comes home works', async () => {
  const server = await listen({ url: 'tcp://127.0.0.1:0' });
  const worker = new Worker(agentUrl);
  try {
    server.onconnect = ({ ports: [port] }: MessageEvent) => {
      const p = port as unknown as MessagePort;
      // The agent posts { cmd: 'serve' } with ports: answer on each.
      p.onmessage = ({ ports: inner }: MessageEvent) => {
        for (const q of inner as unknown as MessagePort[]) q.onmessage = ({ data }: MessageEvent) => q.postMessage({ home: data });
      };
    };
    const { port1, port2 } = new MessageChannel();
    const echoes = collect(port1, 50);
    worker.postMessage({ cmd: 'connect', url: server.url }, [port2]);
    for (let i = 0; i < 50; i++) port1.postMessage(i);
    assert.deepEqual(await echoes, [...Array(50).keys()].map((i) => ({ home: i })));
    port1.close();
  } finally {
    await worker.terminate();
    await server.close();
  }
});

test('node: listen({ host, port }) and listen({ path }) stand for tcp: and unix: URLs; bad combinations are TypeErrors', async () => {
  const tcp = await listen({ port: 0 });
  assert.match(tcp.url, /^tcp:\/\/127\.0\.0\.1:[1-9][0-9]*$/);
  await tcp.close();
  const path = socketPath();
  const unix = await listen({ path });
  assert.equal(unix.url, `unix:${path}`);
  await unix.close();
  await assert.rejects(listen({ path, port: 1 }), TypeError);
  await assert.rejects(listen({ port: 70000 }), TypeError);
});
