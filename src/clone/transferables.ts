// Transferable platform objects (MessagePort today) registered by the layers that own them,
// so that clone/ never imports spec/.
// https://html.spec.whatwg.org/multipage/structured-data.html#transferable-objects

/** The [[Detached]] slot and the transfer steps of one transferable interface. */
export interface TransferableInterface<T extends object = object> {
  /** The interface name, e.g. "MessagePort"; also the holder's `interfaceName`. */
  readonly name: string;
  /** Brand check: is `value` a platform object of this interface? Must not run user code. */
  is(value: object): value is T;
  /** The [[Detached]] internal slot. */
  isDetached(value: T): boolean;
  /** The transfer steps; afterwards the value's [[Detached]] is true. Returns holder state (plain data). */
  transferSteps(value: T): unknown;
  /** The transfer-receiving steps: a new object from the holder state. */
  transferReceivingSteps(state: unknown): T;
  /**
   * Release a holder whose message will never be delivered (dropped at a closed port, or doomed):
   * for a port, close it so its peer learns. Called at most once per holder.
   */
  discard(state: unknown): void;
}

const registry: TransferableInterface[] = [];

export function registerTransferable<T extends object>(iface: TransferableInterface<T>): void {
  if (registry.some((r) => r.name === iface.name)) return;
  registry.push(iface as unknown as TransferableInterface);
}

/** The registered interface `value` belongs to, if any. */
export function transferableInterfaceOf(value: object): TransferableInterface | undefined {
  for (const iface of registry) if (iface.is(value)) return iface;
  return undefined;
}

export function transferableInterfaceNamed(name: string): TransferableInterface | undefined {
  return registry.find((r) => r.name === name);
}
