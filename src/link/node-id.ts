// Node ids as the link layer needs them: 32 lowercase hex characters (128 random bits), 16 bytes
// on the wire. Defined here until src/routing/ids.ts exists; the two definitions must agree.

/** A node's id: 32 lowercase hex characters, new at every start of a node. */
export type NodeId = string;

const NODE_ID = /^[0-9a-f]{32}$/;

export function isNodeId(value: unknown): value is NodeId {
  return typeof value === 'string' && NODE_ID.test(value);
}

const HEX: string[] = [];
for (let i = 0; i < 256; i++) HEX.push(i.toString(16).padStart(2, '0'));

/** Lowercase hex of `bytes` (any length). */
export function toHex(bytes: Uint8Array): string {
  let out = '';
  for (let i = 0; i < bytes.length; i++) out += HEX[bytes[i]!];
  return out;
}

/** Writes a node id's 16 bytes into `out` at `offset`. The id must satisfy isNodeId. */
export function writeNodeId(id: NodeId, out: Uint8Array, offset: number): void {
  for (let i = 0; i < 16; i++) out[offset + i] = parseInt(id.slice(2 * i, 2 * i + 2), 16);
}

/** A new random node id from `random` (crypto.getRandomValues by default). */
export function randomNodeId(random: (bytes: Uint8Array) => void = defaultRandom): NodeId {
  const bytes = new Uint8Array(16);
  random(bytes);
  return toHex(bytes);
}

export function defaultRandom(bytes: Uint8Array): void {
  globalThis.crypto.getRandomValues(bytes);
}
