// The global structuredClone(value, { transfer }) (item 32).
// https://html.spec.whatwg.org/multipage/structured-data.html#dom-structuredclone

import { structuredDeserializeWithTransfer, structuredSerializeWithTransfer } from '../clone/index.ts';
import { typeError } from '../errors.ts';
import { toStructuredSerializeOptions } from './webidl.ts';

export function structuredClone<T = any>(value: T, options?: StructuredSerializeOptions): T {
  if (arguments.length === 0) throw typeError("Failed to execute 'structuredClone': 1 argument required, but only 0 present.");
  const transfer = toStructuredSerializeOptions(options, "Failed to execute 'structuredClone'");
  // 1. Let serialized be ? StructuredSerializeWithTransfer(value, options["transfer"]).
  const serialized = structuredSerializeWithTransfer(value, transfer);
  // 2. Let deserializeRecord be ? StructuredDeserializeWithTransfer(serialized, this's relevant realm).
  // 3. Return deserializeRecord.[[Deserialized]].
  return structuredDeserializeWithTransfer(serialized).deserialized as T;
}

Object.defineProperty(structuredClone, 'length', { value: 1 });
