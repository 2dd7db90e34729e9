// Blob and File across nodes: encodeWithTransferAsync reads their bytes and encodes them with tags
// 0x22 / 0x23; decodeWithTransfer (and decode) create new Blobs and Files from them. Hostile
// blob bytes fail with wire codes like any other value.

import assert from 'node:assert/strict';
import { openAsBlob } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { structuredDeserializeWithTransfer, structuredSerializeWithTransfer } from '../../src/clone/index.ts';
import { decode, decodeWithTransfer, encode, encodeWithTransfer, encodeWithTransferAsync, EntangleError } from '../../src/wire.ts';

const noPlatform = (): never => { throw new Error('no platform holders here'); };

async function acrossNodes(value: unknown): Promise<unknown> {
  const bytes = await encodeWithTransferAsync(structuredSerializeWithTransfer(value, []), noPlatform);
  return structuredDeserializeWithTransfer(decodeWithTransfer(bytes, noPlatform)).deserialized;
}

async function text(blob: Blob): Promise<string> {
  return new TextDecoder().decode(await blob.arrayBuffer());
}

function assertCode(bytes: Uint8Array, code: string): void {
  assert.throws(() => decode(bytes), (error: unknown) => {
    assert.ok(error instanceof EntangleError, `expected an EntangleError, got ${String(error)}`);
    assert.equal(error.code, code, error.message);
    return true;
  });
}

const isDataCloneError = (e: unknown): boolean => e instanceof DOMException && e.name === 'DataCloneError';

test('wire blob: Blob and File keep bytes, type, name and lastModified across nodes', async () => {
  const blob = new Blob(['hello ', new Uint8Array([0xe2, 0x9c, 0x93])], { type: 'Text/Plain' });
  const file = new File(['{"a":1}'], 'data.json', { type: 'application/json', lastModified: 1_700_000_000_123 });
  const empty = new Blob([]);
  const copy = await acrossNodes({ blob, file, empty, list: [blob] }) as { blob: Blob; file: File; empty: Blob; list: Blob[] };
  assert.ok(copy.blob instanceof Blob && !(copy.blob instanceof File));
  assert.notEqual(copy.blob, blob);
  assert.equal(copy.blob.type, 'text/plain');
  assert.equal(await text(copy.blob), 'hello ✓');
  assert.ok(copy.file instanceof File);
  assert.equal(copy.file.name, 'data.json');
  assert.equal(copy.file.type, 'application/json');
  assert.equal(copy.file.lastModified, 1_700_000_000_123);
  assert.equal(await text(copy.file), '{"a":1}');
  assert.equal(copy.empty.size, 0);
  // The same Blob twice in a message is one Blob after it (read once, a back-reference).
  assert.equal(copy.list[0], copy.blob);
});

test('wire blob: plain decode() creates Blobs and Files too; they never alias the input', async () => {
  const bytes = await encodeWithTransferAsync(
    structuredSerializeWithTransfer({ b: new Blob(['abc']), f: new File(['xyz'], 'f.txt') }, []), noPlatform);
  const value = decode(bytes) as { b: Blob; f: File };
  bytes.fill(0);
  assert.equal(await text(value.b), 'abc');
  assert.equal(value.f.name, 'f.txt');
  assert.equal(await text(value.f), 'xyz');
});

test('wire blob: messages without Blobs encode as encodeWithTransfer does', async () => {
  const value = { a: [1, 2, new Date(5)], m: new Map([[1, 'x']]) };
  const sync = encodeWithTransfer(structuredSerializeWithTransfer(value, []), noPlatform);
  const async = await encodeWithTransferAsync(structuredSerializeWithTransfer(value, []), noPlatform);
  assert.deepEqual([...async], [...sync]);
});

test('wire blob: the synchronous encoders still refuse Blob and File with DataCloneError', () => {
  assert.throws(() => encode(new Blob(['x'])), isDataCloneError);
  assert.throws(() => encodeWithTransfer(structuredSerializeWithTransfer([new File(['x'], 'x')], []), noPlatform), isDataCloneError);
});

test('wire blob: platform state is encoded at once, before the first read', async () => {
  const calls: string[] = [];
  const message = structuredSerializeWithTransfer({ b: new Blob(['x']) }, []);
  const pending = encodeWithTransferAsync(
    { serialized: message.serialized, transferDataHolders: [{ type: 'platform', interfaceName: 'Fake', state: 7 }] },
    (name, state) => { calls.push(`${name}:${String(state)}`); return Uint8Array.of(7); },
  );
  assert.deepEqual(calls, ['Fake:7']);
  const decoded = decodeWithTransfer(await pending, (name, bytes) => `${name}:${bytes[0]}`);
  assert.deepEqual(decoded.transferDataHolders, [{ type: 'platform', interfaceName: 'Fake', state: 'Fake:7' }]);
});

test('wire blob: a Blob whose read fails rejects with DataCloneError', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'entangle-blob-'));
  try {
    const path = join(dir, 'changing.txt');
    await writeFile(path, 'before');
    const blob = await openAsBlob(path);
    await writeFile(path, 'after, longer'); // a file-backed Blob may not be read once its file changed
    await assert.rejects(encodeWithTransferAsync(structuredSerializeWithTransfer({ blob }, []), noPlatform), isDataCloneError);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('wire blob: the bytes are read with Blob.prototype.arrayBuffer as it was at load, not an own override', async () => {
  const blob = new Blob(['real']);
  Object.defineProperty(blob, 'arrayBuffer', { value: () => Promise.resolve(new TextEncoder().encode('fake').buffer) });
  const copy = await acrossNodes(blob) as Blob;
  assert.equal(await text(copy), 'real');
});

/** Version 1, no holders, then the value bytes. */
const msg = (...value: number[]): Uint8Array => Uint8Array.of(1, 0, ...value);

test('wire blob hostile: truncated, oversized and ill-typed blob bytes are wire errors', () => {
  const huge = [0x80, 0x80, 0x80, 0x80, 0x10]; // 4 GiB
  assertCode(msg(0x22), 'ENTANGLE_WIRE_TRUNCATED'); // no type
  assertCode(msg(0x22, 0x40), 'ENTANGLE_WIRE_TRUNCATED'); // no size
  assertCode(msg(0x22, 0x40, 3, 1, 2), 'ENTANGLE_WIRE_TRUNCATED'); // 3 bytes claimed, 2 there
  assertCode(msg(0x22, 0x40, ...huge), 'ENTANGLE_WIRE_TRUNCATED');
  assertCode(msg(0x22, 0x81, 0), 'ENTANGLE_WIRE_MALFORMED'); // a number where the type belongs
  assertCode(msg(0x23, 0x40, 1, 9), 'ENTANGLE_WIRE_TRUNCATED'); // a File without its name
  assertCode(msg(0x23, 0x40, 1, 9, 0x40, 0, 0), 'ENTANGLE_WIRE_TRUNCATED'); // lastModified cut short
  assertCode(msg(0x23, 0x40, 1, 9, 0x01, ...new Array(8).fill(0)), 'ENTANGLE_WIRE_MALFORMED'); // null as the name
  // A view over a Blob (a back-reference to it as the buffer).
  assertCode(msg(0x12, 2, 2, 0x80, 0x22, 0x40, 0, 0x81, 0x1f, 1, 0, 1, 0x13, 1), 'ENTANGLE_WIRE_MALFORMED');
  // A Blob in key position.
  assertCode(msg(0x10, 1, 0x22, 0x40, 0, 0x01), 'ENTANGLE_WIRE_MALFORMED');
});

test('wire blob hostile: odd but well-formed blob fields decode to a Blob or File without throwing', () => {
  const notLower = [...new TextEncoder().encode('A/B\u00e9')];
  const blob = decode(msg(0x22, 0x09, notLower.length, ...notLower, 1, 7)) as Blob;
  assert.ok(blob instanceof Blob);
  assert.equal(blob.size, 1);
  // NaN, -Infinity and huge lastModified values.
  for (const last of [NaN, -Infinity, 1e300]) {
    const f64 = new Uint8Array(new Float64Array([last]).buffer);
    const file = decode(msg(0x23, 0x40, 0, 0x0a, 1, 0x00, 0xd8, ...f64)) as File; // name: a lone surrogate
    assert.ok(file instanceof File);
    assert.equal(file.name, '\ufffd'); // a File name is a USVString: the constructor replaces it
  }
});

test('wire blob: decodeWithTransfer gives Blob and File records over new Blobs', () => {
  const bytes = Uint8Array.of(1, 0, 0x12, 2, 2, 0x80, 0x22, 0x40, 1, 65, 0x81, 0x23, 0x40, 0, 0x41, 0x78, ...new Array(8).fill(0));
  const { serialized } = decodeWithTransfer(bytes, noPlatform);
  const properties = (serialized as unknown as { properties: [string, { type: string }][] }).properties;
  assert.deepEqual(properties.map(([key, record]) => [key, record.type]), [['0', 'Blob'], ['1', 'File']]);
});
