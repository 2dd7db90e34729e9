// Node ids as the link layer writes them: the routing layer's ids (src/routing/ids.ts), 16 bytes
// on the wire; and lowercase hex for the handshake's other byte strings.

import { idToBytes, isId, randomId, type NodeId, type RandomSource } from '../routing/ids.ts';

export type { NodeId };
export { isId as isNodeId, idToBytes as writeNodeId };

const HEX: string[] = [];
for (let i = 0; i < 256; i++) HEX.push(i.toString(16).padStart(2, '0'));

/** Lowercase hex of `bytes` (any length). */
export function toHex(bytes: Uint8Array): string {
  let out = '';
  for (let i = 0; i < bytes.length; i++) out += HEX[bytes[i]!];
  return out;
}

/** A new random node id from `random` (crypto.getRandomValues by default). */
export function randomNodeId(random: RandomSource = defaultRandom): NodeId {
  return randomId(random);
}

export function defaultRandom(bytes: Uint8Array): void {
  globalThis.crypto.getRandomValues(bytes);
}
