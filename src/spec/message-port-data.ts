// The state of a port that moves when the port is transferred (Node's MessagePortData, Mojo's
// Port): its message queue, its entanglement, and which user-facing MessagePort object is its
// face right now. The MessagePort users hold is a thin face over one of these.
// https://html.spec.whatwg.org/multipage/web-messaging.html#message-ports

import type { SerializedWithTransfer } from '../clone/records.ts';
import { Deque } from '../util/deque.ts';
import { queueTask, type Task } from './event-loop.ts';

/** The user-facing MessagePort over a data; only `spec/message-port.ts` knows more of it. */
export type PortFace = EventTarget;

/**
 * What a task does to a face: dispatch a message, or `close`. Provided once by
 * `spec/message-port.ts`, so that neither operation is a method users could call on a port.
 */
export interface FaceOperations {
  deliverMessage(face: PortFace, message: PortMessage): void;
  fireClose(face: PortFace): void;
  fireBufferedAmountLow(face: PortFace): void;
}

/**
 * A message from another node whose bytes could not be decoded: its task fires `messageerror`
 * (the spec's answer to a failed deserialization), never an exception.
 */
export const UNDECODABLE: SerializedWithTransfer = Object.freeze({ serialized: undefined, transferDataHolders: Object.freeze([]) });

/**
 * A message from another node with nothing transferred, decoded by its route straight to the
 * value (no records in between). It is decoded when its task takes it, as deserialization is.
 */
export class DecodedMessage {
  constructor(readonly value: unknown) {}
}

/** What a port's task delivers: records to deserialize, or a value a route decoded. */
export type PortMessage = SerializedWithTransfer | DecodedMessage;

/**
 * The way to a peer on another node (implemented by src/realm/ over the routing core). While a
 * data has a route it has no local peer, and its messages wait in the route, not in `queue`.
 */
export interface PortRoute {
  /** Send a message to the peer (it takes over the transfer data holders). */
  post(message: SerializedWithTransfer): void;
  /**
   * StructuredSerializeWithTransfer(value, []) and post: what post() of its result does, in one
   * walk where the route can (no records in between). Throws what serialization throws.
   */
  postValue(value: unknown): void;
  /** The oldest message that arrived, decoded (UNDECODABLE if its bytes are bad). */
  take(): PortMessage | undefined;
  /** close(): the peer learns, messages still waiting here are dropped. */
  close(): void;
  /** The peer's data when the route's far end is on this node (the doomed check, item 16). */
  localPeer(): MessagePortData | null;
  /** The peer is gone and everything it sent before has arrived. */
  readonly peerClosed: boolean;
  /** `refed` or `listening` of the data may have changed (whether the port keeps its host alive). */
  refChanged(): void;
  /** Bytes posted to the peer's node and not yet acknowledged by it (RTCDataChannel's convention). */
  readonly bufferedAmount: number;
}

let faceOperations: FaceOperations;

export function setFaceOperations(operations: FaceOperations): void {
  faceOperations = operations;
}

/**
 * Lifecycle: created entangled (MessageChannel) → possibly shipped any number of times (the
 * face changes, the data stays) → closed (by close(), by its face being garbage collected, or
 * by being dropped inside an undelivered message). A closed data never reopens.
 */
export class MessagePortData implements Task {
  /** The entangled port's data when it is on this node; null once disentangled, or when routed. */
  peer: MessagePortData | null = null;
  /** The way to a peer on another node; null while the peer is local (the fast path) or gone. */
  route: PortRoute | null = null;
  /** bufferedamountlow fires when bufferedAmount falls to this or below (RTCDataChannel's convention). */
  bufferedAmountLowThreshold = 0;
  /** The port message queue: messages not yet dispatched, oldest first. */
  readonly queue = new Deque<SerializedWithTransfer>();
  /** Enabled by start() or the first onmessage set; disabled again only by a transfer (item 24). */
  enabled = false;
  /** Has been shipped: this port or its peer was transferred at least once. */
  shipped = false;
  closed = false;
  /** ref()/unref() (Node's convention): whether an entangled, listening port keeps its host alive. */
  refed = true;
  /** Whether the face has a `message` or `messageerror` listener. */
  listening = false;
  /** A `close` that arrived while no face was attached (the port was in transit): fired on arrival. */
  closePending = false;
  /**
   * Queued tasks whose message `take()` already removed: the next ones to run are no-ops, so
   * that the remaining messages keep their own tasks' places in the global order (item 12).
   */
  #takenTasks = 0;
  /** Routed: messages waiting in the route that this data has counted (and queued tasks for, if enabled). */
  #routedPending = 0;

  // The face is held weakly unless the spec says the port must stay alive (item 26): while it
  // is entangled and listening, or has messages waiting to be dispatched.
  #face: PortFace | null = null;
  #weakFace: WeakRef<PortFace> | null = null;
  #strong = false;

  /** The current face, or null while in transit (or after its face was collected). */
  face(): PortFace | null {
    return this.#face ?? this.#weakFace?.deref() ?? null;
  }

  attachFace(face: PortFace): void {
    this.#weakFace = typeof WeakRef === 'function' ? new WeakRef(face) : null;
    this.#face = this.#weakFace === null ? face : null;
    this.#strong = this.#weakFace === null;
    this.listening = false;
    this.updateRetention();
    if (this.closePending) {
      this.closePending = false;
      queueTask(new CloseTask(this));
    }
  }

  detachFace(): void {
    this.#face = null;
    this.#weakFace = null;
    this.#strong = false;
    this.listening = false;
    this.enabled = false;
    // The tasks queued so far run while disabled, as no-ops; enable() queues new ones.
    this.#takenTasks = 0;
  }

  /** Keep the face alive exactly while item 26 says it must not be collected. */
  updateRetention(): void {
    this.route?.refChanged();
    if (this.#weakFace === null) return;
    const entangled = this.peer !== null || (this.route !== null && !this.route.peerClosed);
    const strong = (entangled && this.listening) || (this.enabled && this.pending > 0);
    if (strong === this.#strong) return;
    this.#strong = strong;
    this.#face = strong ? (this.#weakFace.deref() ?? null) : null;
  }

  /** Messages waiting to be dispatched, here or in the route. */
  get pending(): number {
    return this.route === null ? this.queue.length : this.#routedPending;
  }

  /**
   * Bind this data to a route (its peer moved to, or was always on, another node). `pending`
   * messages are already waiting in the route, each with its task queued if the queue is enabled.
   */
  bindRoute(route: PortRoute, pending: number): void {
    this.peer = null;
    this.route = route;
    this.#routedPending = pending;
    this.updateRetention();
  }

  /** The route has one more message for this port: as `enqueue`, for a routed data. */
  routedMessageArrived(): void {
    this.#routedPending++;
    if (this.enabled) {
      queueTask(this);
      if (this.#routedPending === 1) this.updateRetention();
    }
  }

  /** The routed peer is gone, and everything it sent has arrived: `close` after those messages. */
  routedPeerClosed(): void {
    this.updateRetention();
    queueTask(new CloseTask(this));
  }

  /** Append a message to the port message queue; it becomes a task once the queue is enabled. */
  enqueue(message: SerializedWithTransfer): void {
    this.queue.push(message);
    if (this.enabled) {
      queueTask(this);
      if (this.queue.length === 1) this.updateRetention();
    }
  }

  /** start(): enable the queue, turning every message already queued into a task. */
  enable(): void {
    if (this.enabled || this.closed) return;
    this.enabled = true;
    for (let i = 0, n = this.pending; i < n; i++) queueTask(this);
    this.updateRetention();
  }

  /**
   * Take the oldest message outside of its task (receiveMessageOnPort). If the queue is
   * enabled, that message's task is queued: the next task to run is its, and does nothing.
   */
  take(): PortMessage | undefined {
    const message = this.#shift();
    if (message === undefined) return undefined;
    if (this.enabled) this.#takenTasks++;
    if (this.pending === 0) this.updateRetention();
    return message;
  }

  #shift(): PortMessage | undefined {
    if (this.route === null) return this.queue.shift();
    if (this.#routedPending === 0) return undefined;
    this.#routedPending--;
    return this.route.take();
  }

  /** Messages of a routed data were dropped with its route (close): forget them. */
  dropRouted(): void {
    this.#routedPending = 0;
  }

  /** One message task (item 19): dispatch the oldest message at the face the data has *now*. */
  runTask(): void {
    if (!this.enabled) return;
    if (this.#takenTasks > 0) {
      this.#takenTasks--;
      return;
    }
    const face = this.face();
    if (face === null) return;
    const message = this.#shift();
    if (message === undefined) return;
    if (this.pending === 0) this.updateRetention();
    faceOperations.deliverMessage(face, message);
  }
}

/** The task that fires `bufferedamountlow` (RTCDataChannel's convention) at a routed port. */
export class BufferedAmountLowTask implements Task {
  readonly #data: MessagePortData;
  constructor(data: MessagePortData) {
    this.#data = data;
  }
  runTask(): void {
    const face = this.#data.face();
    if (face !== null && !this.#data.closed) faceOperations.fireBufferedAmountLow(face);
  }
}

/** The task that fires `close` at a port whose peer went away. */
export class CloseTask implements Task {
  readonly #data: MessagePortData;
  constructor(data: MessagePortData) {
    this.#data = data;
  }
  runTask(): void {
    const face = this.#data.face();
    if (face === null) {
      // In transit inside a message: fire once it has a face again.
      this.#data.closePending = true;
      return;
    }
    faceOperations.fireClose(face);
  }
}
