// The payloads every benchmark uses, deterministic so that runs and machines compare.

/** The small object of shared/perf-baselines.md. */
export function smallObject(id) {
  return { id, name: 'sensor-42', tags: ['alpha', 'beta', 'gamma'] };
}

/** A 64-character string (ASCII, so 64 bytes in UTF-8 too). */
export const STRING_64 = 'sensor-42 reading: temperature=21.5C humidity=40% battery=97% ok'.padEnd(64, '.');
if (STRING_64.length !== 64) throw new Error('STRING_64 must be 64 characters');

export const KIB_64 = 64 * 1024;

/** One 64 KiB buffer, posted again and again: every post copies it. */
export const SHARED_64K = new Uint8Array(KIB_64).map((_, i) => i & 0xff).buffer;

/** A fresh 64 KiB buffer for each transferred message (a transferred buffer is detached). */
export function fresh64k() {
  return new ArrayBuffer(KIB_64);
}

/**
 * A ~1,000-node graph with Map, Set and Date: nodes `{id, label, created, tags, links}` where
 * links point to up to three earlier nodes (shared references), plus a Map index id → node.
 * A fixed linear congruential generator picks the links, so every run clones the same graph.
 */
export function graph(nodeCount = 1000) {
  let seed = 42;
  const random = () => ((seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 2 ** 32);
  const tagNames = ['alpha', 'beta', 'gamma', 'delta', 'epsilon', 'zeta', 'eta'];
  const nodes = [];
  for (let id = 0; id < nodeCount; id++) {
    const node = {
      id,
      label: `node-${id}`,
      created: new Date(Date.UTC(2024, 0, 1) + id * 60_000),
      tags: new Set([tagNames[id % 7], tagNames[(id * 3 + 1) % 7]]),
      links: [],
    };
    const linkCount = id === 0 ? 0 : 1 + Math.floor(random() * 3);
    for (let k = 0; k < linkCount; k++) node.links.push(nodes[Math.floor(random() * id)]);
    nodes.push(node);
  }
  return { nodes, index: new Map(nodes.map((node) => [node.id, node])) };
}

/** 1 MiB of doubles. */
export function float64MiB() {
  const array = new Float64Array((1024 * 1024) / 8);
  for (let i = 0; i < array.length; i++) array[i] = i * 0.5 - 1000;
  return array;
}
