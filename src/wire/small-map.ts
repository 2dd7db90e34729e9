// An identity map for one message's bookkeeping (the encoder's memory and key table): most
// messages hold a few objects and keys, for which a linear scan beats hashing and clearing a Map;
// past SCAN_LIMIT entries it moves them into a Map. Measured on the small benchmark object: the
// two Maps' clear() alone cost about as much as writing its bytes.

const SCAN_LIMIT = 16;

export class SmallMap<K, V> {
  private readonly keys: (K | undefined)[] = [];
  private readonly values: (V | undefined)[] = [];
  private count = 0;
  private map: Map<K, V> | undefined = undefined;

  get size(): number {
    return this.map === undefined ? this.count : this.map.size;
  }

  get(key: K): V | undefined {
    if (this.map !== undefined) return this.map.get(key);
    const { keys } = this;
    for (let i = 0; i < this.count; i++) if (keys[i] === key) return this.values[i];
    return undefined;
  }

  /** Adds a key that is not in the map yet. */
  set(key: K, value: V): void {
    if (this.map !== undefined) {
      this.map.set(key, value);
    } else if (this.count < SCAN_LIMIT) {
      this.keys[this.count] = key;
      this.values[this.count++] = value;
    } else {
      const map = new Map<K, V>();
      for (let i = 0; i < this.count; i++) map.set(this.keys[i] as K, this.values[i] as V);
      map.set(key, value);
      this.map = map;
    }
  }

  /** Empties the map, keeping no reference to what it held. */
  clear(): void {
    this.map = undefined;
    for (let i = 0; i < this.count; i++) {
      this.keys[i] = undefined;
      this.values[i] = undefined;
    }
    this.count = 0;
  }
}

/**
 * A message's key table: each key string → its index, the order it was added in. Its own code,
 * not a SmallMap<string, number>: the engine records what `===` compared per line of code, and a
 * line that compares strings here and objects in the memory's SmallMap compares by a generic
 * call; here it compares strings only, which the engine's own keys (internalized) settle by
 * identity. Measured in instructions: the 1,000-node graph's encode 13.65 M → 13.14 M.
 */
export class KeyTable {
  private readonly keys: string[] = [];
  private count = 0;
  private map: Map<string, number> | undefined = undefined;

  get size(): number {
    return this.count;
  }

  /** The key's index, or -1. */
  indexOf(key: string): number {
    if (this.map !== undefined) return this.map.get(key) ?? -1;
    const { keys } = this;
    for (let i = 0; i < this.count; i++) if (keys[i] === key) return i;
    return -1;
  }

  /** Adds a key that is not in the table yet, at index `size`. */
  add(key: string): void {
    if (this.map !== undefined) {
      this.map.set(key, this.count);
    } else if (this.count < SCAN_LIMIT) {
      this.keys[this.count] = key;
    } else {
      const map = new Map<string, number>();
      for (let i = 0; i < this.count; i++) map.set(this.keys[i] as string, i);
      map.set(key, this.count);
      this.map = map;
    }
    this.count++;
  }

  /** Empties the table, keeping no reference to what it held. */
  clear(): void {
    // The keys scanned before the switch to a Map are still in the array.
    const scanned = Math.min(this.count, SCAN_LIMIT);
    for (let i = 0; i < scanned; i++) this.keys[i] = '';
    this.map = undefined;
    this.count = 0;
  }
}
