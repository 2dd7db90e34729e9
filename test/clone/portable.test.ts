// The portable path (no Node util.types, as in browsers), run in a child process that hides
// `process.getBuiltinModule` before the clone modules load.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const child = fileURLToPath(new URL('./portable-child.ts', import.meta.url));
const report = JSON.parse(execFileSync(process.execPath, ['--import', 'tsx', child], { encoding: 'utf8' })) as {
  usesPortable: boolean;
  kinds: Record<string, string>;
  roundTrip: Record<string, unknown>;
  throws: Record<string, boolean>;
  proxy: string;
  differential: string[];
};

test('portable path: the child really runs without util.types', () => {
  assert.equal(report.usesPortable, true);
});

test('spec 30 (portable): brand checks classify built-ins, platform objects and other realms', () => {
  assert.deepEqual(report.kinds, {
    boolean: 'Boolean', number: 'Number', string: 'String', bigint: 'BigInt', symbol: 'NotSerializable',
    date: 'Date', regexp: 'RegExp', map: 'Map', set: 'Set', arrayBuffer: 'ArrayBuffer',
    sharedArrayBuffer: 'SharedArrayBuffer', u8: 'ArrayBufferView', dataView: 'ArrayBufferView', error: 'Error',
    promise: 'NotSerializable', weakMap: 'NotSerializable', weakSet: 'NotSerializable', weakRef: 'NotSerializable',
    generator: 'NotSerializable', arrayIterator: 'NotSerializable', mapIterator: 'NotSerializable',
    arguments: 'NotSerializable', blob: 'Blob', file: 'File', domException: 'DOMException',
    eventTarget: 'NotSerializable', url: 'NotSerializable', collator: 'NotSerializable', plain: 'Ordinary',
    classInstance: 'Ordinary', nullProto: 'Ordinary', fakeMap: 'Ordinary', taggedDate: 'Ordinary',
    port: 'NotSerializable', foreignMap: 'Map', foreignDate: 'Date', foreignError: 'Error', spoofedNumber: 'Number',
  });
});

test('spec 30 (portable): a mixed value round-trips', () => {
  assert.deepEqual(report.roundTrip, {
    date: 5, mapX: '[1,null,3]', hole: true, set: ['a'], errorProto: true, cause: 'c', regexp: '/x/gi',
    number: true, tracking: 3, big: '10', negZero: true,
  });
});

test('spec 30 (portable): what cannot be cloned still throws DataCloneError', () => {
  for (const [name, isDataClone] of Object.entries(report.throws)) assert.equal(isDataClone, true, name);
});

test('spec 30, 31 (portable, differential): generated values clone as Node\'s structuredClone does', () => {
  assert.deepEqual(report.differential, ['ok', 'ok', 'ok']);
});

test('spec 30 (portable): DEVIATION — a Proxy is serialized through its traps', () => {
  assert.equal(report.proxy, '{"a":1}');
});
