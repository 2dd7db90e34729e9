// MessagePort: the object users hold, a thin face over the MessagePortData that moves.
// https://html.spec.whatwg.org/multipage/web-messaging.html#message-ports

import { discardTransferDataHolders, structuredDeserializeWithTransfer, structuredSerializeWithTransfer } from '../clone/index.ts';
import { registerTransferable } from '../clone/transferables.ts';
import { dataCloneError, illegalInvocation, typeError } from '../errors.ts';
import { closePort } from './entanglement.ts';
import { EventHandlerSlot, setEventHandler } from './event-handler.ts';
import { DecodedMessage, MessagePortData, setFaceOperations, UNDECODABLE, type PortMessage } from './message-port-data.ts';
import { createPortMessageEvent } from './message-event.ts';
import { markTrusted } from './trusted-event.ts';
import { defineInterface, toPostMessageTransfer } from './webidl.ts';

/** Passed by `createMessagePort`; `new MessagePort()` from user code has no way to it (item 2). */
const internal = Symbol('internal');

/**
 * A face whose data is still attached when it becomes unreachable: disentangle, so the peer
 * gets `close` (item 26). The held value references the data weakly: the registry must not
 * keep a port's state (and through it, a retained face) alive.
 */
const collected: FinalizationRegistry<WeakRef<MessagePortData>> | null =
  typeof FinalizationRegistry === 'function' && typeof WeakRef === 'function'
    ? new FinalizationRegistry((ref) => {
        const data = ref.deref();
        if (data !== undefined && data.face() === null) closePort(data);
      })
    : null;

type Listener = EventListenerOrEventListenerObject;

/** Brand check: is `value` a MessagePort of this library? */
export let isMessagePort: (value: unknown) => value is MessagePort;
/** The data behind a face, or null when detached. Internal to the library. */
export let dataOf: (port: MessagePort) => MessagePortData | null;
/** A new face over `data` (MessageChannel, transfer-receiving steps). */
export let createMessagePort: (data: MessagePortData) => MessagePort;
/** Detach a face and return its data (transfer steps). Internal to the library. */
export let detachPort: (port: MessagePort) => MessagePortData | null;

export class MessagePort extends EventTarget {
  /** The state behind this face; null once detached (transferred away, or closed). */
  #data: MessagePortData | null = null;
  #onmessage = new EventHandlerSlot();
  #onmessageerror = new EventHandlerSlot();
  #onclose = new EventHandlerSlot();
  #onbufferedamountlow = new EventHandlerSlot();
  /** `message` / `messageerror` listeners by "type:capture", to know when item 26 applies. */
  #listeners = new Map<string, Set<Listener>>();

  constructor() {
    if (arguments[0] !== internal) throw typeError('Illegal constructor');
    super();
  }

  // https://html.spec.whatwg.org/multipage/web-messaging.html#dom-messageport-postmessage
  postMessage(message: unknown, transfer?: Iterable<object> | StructuredSerializeOptions): void {
    const data = brand(this).#data;
    if (arguments.length === 0) throw typeError("Failed to execute 'postMessage' on 'MessagePort': 1 argument required, but only 0 present.");
    // Both overloads normalise to a transfer list (item 4, 14).
    const transferList = arguments.length > 1 ? toPostMessageTransfer(transfer, "Failed to execute 'postMessage' on 'MessagePort'") : [];
    postMessageSteps(this, data, message, transferList);
  }

  // https://html.spec.whatwg.org/multipage/web-messaging.html#dom-messageport-start
  start(): void {
    brand(this).#data?.enable();
  }

  // https://html.spec.whatwg.org/multipage/web-messaging.html#dom-messageport-close
  close(): void {
    const self = brand(this);
    const data = self.#data;
    // 1. Set this's [[Detached]] to true.
    self.#detach();
    // 2. If this is entangled, disentangle it (the other port gets `close`).
    if (data !== null) closePort(data);
  }

  get onmessage(): unknown {
    return brand(this).#onmessage.value;
  }

  set onmessage(value: unknown) {
    const self = brand(this);
    setEventHandler(self, 'message', self.#onmessage, value);
    // Item 10: the first time onmessage is set, the queue is enabled as if by start().
    self.#data?.enable();
  }

  get onmessageerror(): unknown {
    return brand(this).#onmessageerror.value;
  }

  set onmessageerror(value: unknown) {
    const self = brand(this);
    setEventHandler(self, 'messageerror', self.#onmessageerror, value);
  }

  get onclose(): unknown {
    return brand(this).#onclose.value;
  }

  set onclose(value: unknown) {
    const self = brand(this);
    setEventHandler(self, 'close', self.#onclose, value);
  }

  // Extensions, named after RTCDataChannel's: bytes posted to a peer on another node and not yet
  // acknowledged by that node, so that a producer can wait instead of growing memory without bound.

  get bufferedAmount(): number {
    return brand(this).#data?.route?.bufferedAmount ?? 0;
  }

  get bufferedAmountLowThreshold(): number {
    return brand(this).#data?.bufferedAmountLowThreshold ?? 0;
  }

  set bufferedAmountLowThreshold(value: number) {
    const data = brand(this).#data;
    // WebIDL `unsigned long`: ToNumber, then modulo 2^32 (a setter never throws for a number).
    const n = Number(value);
    const integer = Number.isFinite(n) ? Math.trunc(n) : 0;
    if (data !== null) data.bufferedAmountLowThreshold = ((integer % 2 ** 32) + 2 ** 32) % 2 ** 32;
  }

  get onbufferedamountlow(): unknown {
    return brand(this).#onbufferedamountlow.value;
  }

  set onbufferedamountlow(value: unknown) {
    const self = brand(this);
    setEventHandler(self, 'bufferedamountlow', self.#onbufferedamountlow, value);
  }

  // Extensions, named after Node's MessagePort: whether this port keeps its host process alive.
  // A port keeps it alive while it is entangled, has a message listener, and is ref'd.

  ref(): void {
    const data = brand(this).#data;
    if (data === null) return;
    data.refed = true;
    data.route?.refChanged();
  }

  unref(): void {
    const data = brand(this).#data;
    if (data === null) return;
    data.refed = false;
    data.route?.refChanged();
  }

  hasRef(): boolean {
    const data = brand(this).#data;
    return data !== null && !data.closed && data.refed && data.listening;
  }

  // DEVIATION(item 26): these two are inherited from EventTarget.prototype in the spec; they are
  // overridden (calling the inherited ones) only to see message listeners come and go.
  override addEventListener(type: string, callback: Listener | null, options?: AddEventListenerOptions | boolean): void {
    super.addEventListener(type, callback, options);
    this.#trackListener(type, callback, options, true);
  }

  override removeEventListener(type: string, callback: Listener | null, options?: EventListenerOptions | boolean): void {
    super.removeEventListener(type, callback, options);
    this.#trackListener(type, callback, options, false);
  }

  /**
   * Item 26 needs to know whether a `message` or `messageerror` listener is registered, and
   * EventTarget does not tell: so the listeners are tracked here, keyed as EventTarget dedupes
   * them (type, callback, capture). A `once` listener stays counted until removed or until the
   * port closes: it errs on keeping a port alive, never on collecting one that still listens.
   */
  #trackListener(type: unknown, callback: Listener | null, options: AddEventListenerOptions | boolean | undefined, added: boolean): void {
    if (callback === null || (typeof callback !== 'object' && typeof callback !== 'function')) return;
    const typeString = String(type);
    if (typeString !== 'message' && typeString !== 'messageerror') return;
    const capture = typeof options === 'boolean' ? options : Boolean(options?.capture);
    const key = `${typeString}:${capture}`;
    let set = this.#listeners.get(key);
    if (added) {
      const signal = typeof options === 'object' ? options.signal : undefined;
      if (signal?.aborted) return;
      if (set === undefined) this.#listeners.set(key, (set = new Set()));
      set.add(callback);
      signal?.addEventListener('abort', () => this.#trackListener(typeString, callback, capture, false), { once: true });
    } else {
      set?.delete(callback);
    }
    const data = this.#data;
    if (data === null) return;
    let listening = false;
    for (const listeners of this.#listeners.values()) listening ||= listeners.size > 0;
    data.listening = listening;
    data.updateRetention();
  }

  /** Detach this face from its data: it can no longer be transferred, and posting from it drops. */
  #detach(): void {
    const data = this.#data;
    if (data === null) return;
    this.#data = null;
    collected?.unregister(this);
    data.detachFace();
  }

  #attach(data: MessagePortData): void {
    this.#data = data;
    data.attachFace(this);
    collected?.register(this, new WeakRef(data), this);
  }

  static #is(value: unknown): value is MessagePort {
    return typeof value === 'object' && value !== null && #data in value;
  }

  static {
    isMessagePort = (value): value is MessagePort => MessagePort.#is(value);
    dataOf = (port) => port.#data;
    createMessagePort = (data) => {
      const port = new (MessagePort as unknown as new (token: symbol) => MessagePort)(internal);
      port.#attach(data);
      return port;
    };
    detachPort = (port) => {
      const data = port.#data;
      port.#detach();
      return data;
    };
  }
}

function brand(value: unknown): MessagePort {
  if (!isMessagePort(value)) throw illegalInvocation();
  return value;
}

/**
 * The message port post message steps (items 14–20).
 * https://html.spec.whatwg.org/multipage/web-messaging.html#message-port-post-message-steps
 */
function postMessageSteps(sourcePort: MessagePort, source: MessagePortData | null, message: unknown, transfer: readonly object[]): void {
  // 1. targetPort is the port sourcePort is entangled with, if any: its data when it is on this
  // node, else the route to it (whose far end may still be on this node). Through a route it
  // matters only for step 3, so it is looked up only when something is transferred.
  const route = source?.route ?? null;
  const targetPort = source === null ? null : (source.peer ?? (route !== null && transfer.length > 0 ? route.localPeer() : null));
  // 2. If transfer contains sourcePort, throw a DataCloneError.
  for (let i = 0; i < transfer.length; i++) {
    if (transfer[i] === sourcePort) throw dataCloneError('A MessagePort cannot be transferred through itself.');
  }
  // 3–4. doomed: transfer contains targetPort. The message is lost, and so is the channel.
  let doomed = false;
  if (targetPort !== null && transfer.length > 0) {
    const targetFace = targetPort.face();
    for (let i = 0; i < transfer.length; i++) if (transfer[i] === targetFace) doomed = true;
  }
  // 5 and 7 through a route when nothing is transferred (so nothing is doomed): the route
  // serializes and posts in one walk.
  if (route !== null && transfer.length === 0) {
    route.postValue(message);
    return;
  }
  // 5. Serialize with transfer, even when the message will be dropped (item 17).
  const serialized = structuredSerializeWithTransfer(message, transfer);
  // 6. If targetPort is null, or doomed, return (closing what was transferred with it).
  if (doomed || (route === null && (targetPort === null || targetPort.closed))) {
    discardTransferDataHolders(serialized.transferDataHolders);
    return;
  }
  // 7. Add a task to targetPort's port message queue (it runs in MessagePortData#runTask); on
  // another node, the route carries the message there and the routing layer queues it.
  if (route !== null) route.post(serialized);
  else targetPort!.enqueue(serialized);
}

/** A message task runs (item 19): deserialize and fire `message`, or `messageerror`. */
function deliverMessage(port: MessagePort, message: PortMessage): void {
  if (message === UNDECODABLE) {
    // Bytes from another node that could not be decoded: as a failed deserialization (19.3).
    port.dispatchEvent(createPortMessageEvent('messageerror', null, null));
    return;
  }
  if (message instanceof DecodedMessage) {
    // Decoded from another node's bytes by the task that took it: deserialized, nothing transferred.
    port.dispatchEvent(createPortMessageEvent('message', message.value, null));
    return;
  }
  const { serialized, transferDataHolders } = message;
  if (transferDataHolders.length === 0 && (typeof serialized !== 'object' || serialized === null)) {
    // A primitive with nothing transferred is its own clone: nothing to deserialize.
    port.dispatchEvent(createPortMessageEvent('message', serialized, null));
    return;
  }
  let deserialized: unknown;
  let transferred: readonly unknown[];
  try {
    ({ deserialized, transferredValues: transferred } = structuredDeserializeWithTransfer(message));
  } catch {
    // 19.3. Deserialization failed: fire messageerror, with the default MessageEvent fields. The
    // ports that came with it are closed, so their peers learn.
    discardTransferDataHolders(transferDataHolders);
    port.dispatchEvent(createPortMessageEvent('messageerror', null, null));
    return;
  }
  // 19.4–5. ports: the MessagePorts among the transferred values, in transfer-list order.
  const ports: MessagePort[] = [];
  for (const value of transferred) if (isMessagePort(value)) ports.push(value);
  port.dispatchEvent(createPortMessageEvent('message', deserialized, ports.length === 0 ? null : Object.freeze(ports)));
}

setFaceOperations({
  deliverMessage: (face, message) => deliverMessage(face as MessagePort, message),
  // The other port went away (items 7, 27): a plain, trusted Event named close.
  fireClose: (face) => void face.dispatchEvent(markTrusted(new Event('close'))),
  fireBufferedAmountLow: (face) => void face.dispatchEvent(markTrusted(new Event('bufferedamountlow'))),
});

// https://html.spec.whatwg.org/multipage/web-messaging.html#message-ports:transfer-steps
registerTransferable<MessagePort>({
  name: 'MessagePort',
  is: (value): value is MessagePort => isMessagePort(value),
  isDetached: (port) => dataOf(port) === null,
  transferSteps(port) {
    // 1–2. Set value's and its entangled port's has-been-shipped; the queue and the
    // entanglement move with the data; the face is detached ([[Detached]] = true).
    const data = detachPort(port)!;
    data.shipped = true;
    if (data.peer !== null) data.peer.shipped = true;
    return data;
  },
  transferReceivingSteps(state) {
    // A new port over the moved data: has been shipped, queue disabled until started (item 24),
    // still entangled with the same peer.
    // DEVIATION(item 24): the spec re-entangles the peer with the new object, which fires `close`
    // at the transferred-away one; nothing is fired at it here (docs/deviations.md).
    return createMessagePort(state as MessagePortData);
  },
  discard(state) {
    closePort(state as MessagePortData);
  },
});

defineInterface(MessagePort, 'MessagePort', ['postMessage', 'start', 'close', 'onmessage', 'onmessageerror', 'onclose']);
Object.defineProperty(MessagePort.prototype.postMessage, 'length', { value: 1 });
