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
