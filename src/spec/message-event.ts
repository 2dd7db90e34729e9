// MessageEvent: the event a port fires for each message, and a constructible Event subclass.
// https://html.spec.whatwg.org/multipage/comms.html#the-messageevent-interface

import { typeError } from '../errors.ts';
import { isMessagePort, type MessagePort } from './message-port.ts';
import { defineInterface, toBoolean, toDOMString, toSequence, toUSVString } from './webidl.ts';

/** (WindowProxy or MessagePort or ServiceWorker) */
export type MessageEventSource = MessagePort | object;

export interface MessageEventInit extends EventInit {
  data?: unknown;
  origin?: string;
  lastEventId?: string;
  source?: MessageEventSource | null;
  ports?: Iterable<MessagePort>;
}

/** Passed as a hidden third constructor argument by `createPortMessageEvent`; user code cannot reach it. */
const internal = Symbol('internal');

const host = globalThis as unknown as {
  Window?: abstract new () => object;
  ServiceWorker?: abstract new () => object;
};

let brandCheck: (value: unknown) => boolean;
let trustedOf: (event: MessageEvent) => boolean;

export class MessageEvent extends Event {
  #data: unknown = null;
  #origin = '';
  #lastEventId = '';
  #source: MessageEventSource | null = null;
  /** null stands for an empty frozen array not yet made: most messages carry no port, and nothing can tell the difference. */
  #ports: readonly MessagePort[] | null = null;
  #trusted = false;

  constructor(type: string, eventInitDict?: MessageEventInit) {
    if (arguments[2] === internal) {
      // createPortMessageEvent: the arguments are already converted.
      super(type);
      this.#data = arguments[3];
      this.#ports = arguments[4] as readonly MessagePort[] | null;
      this.#trusted = true;
      return;
    }
    if (arguments.length === 0) throw typeError("Failed to construct 'MessageEvent': 1 argument required, but only 0 present.");
    const typeString = toDOMString(type);
    const init = convertMessageEventInit(eventInitDict);
    super(typeString, { bubbles: init.bubbles, cancelable: init.cancelable, composed: init.composed });
    this.#data = init.data;
    this.#origin = init.origin;
    this.#lastEventId = init.lastEventId;
    this.#source = init.source;
    this.#ports = Object.freeze(init.ports);
  }

  get data(): unknown {
    return brand(this).#data;
  }

  get origin(): string {
    return brand(this).#origin;
  }

  get lastEventId(): string {
    return brand(this).#lastEventId;
  }

  get source(): MessageEventSource | null {
    return brand(this).#source;
  }

  /** A FrozenArray: the same frozen array object on every read. */
  get ports(): readonly MessagePort[] {
    const self = brand(this);
    return (self.#ports ??= Object.freeze([]));
  }

  // https://html.spec.whatwg.org/multipage/comms.html#dom-messageevent-initmessageevent
  initMessageEvent(
    type: string,
    bubbles = false,
    cancelable = false,
    data: unknown = null,
    origin = '',
    lastEventId = '',
    source: MessageEventSource | null = null,
    ports: Iterable<MessagePort> = [],
  ): void {
    brand(this);
    if (arguments.length === 0) throw typeError("Failed to execute 'initMessageEvent': 1 argument required, but only 0 present.");
    const typeString = toDOMString(type);
    const bubblesValue = toBoolean(bubbles);
    const cancelableValue = toBoolean(cancelable);
    const originValue = toUSVString(origin);
    const lastEventIdValue = toDOMString(lastEventId);
    const sourceValue = toMessageEventSource(source);
    const portsValue = toSequence(ports, toMessagePort, "Failed to execute 'initMessageEvent'");
    // 1. If this's dispatch flag is set, then return.
    if (this.eventPhase !== Event.NONE) return;
    // 2. Initialize this with type, bubbles, and cancelable.
    this.initEvent(typeString, bubblesValue, cancelableValue);
    // 3. Set the remaining attributes.
    this.#data = data;
    this.#origin = originValue;
    this.#lastEventId = lastEventIdValue;
    this.#source = sourceValue;
    this.#ports = Object.freeze(portsValue);
  }

  static #is(value: unknown): value is MessageEvent {
    return typeof value === 'object' && value !== null && #data in value;
  }

  static {
    brandCheck = (value) => MessageEvent.#is(value);
    trustedOf = (event) => event.#trusted;
  }
}

function brand(value: unknown): MessageEvent {
  if (!brandCheck(value)) throw typeError('Illegal invocation');
  return value as MessageEvent;
}

// isTrusted: an accessor on this prototype shadows Event.prototype's, so the events that ports
// dispatch report true. See trusted-event.ts for where hosts do not allow this.
Object.defineProperty(MessageEvent.prototype, 'isTrusted', {
  get(this: unknown) {
    return brandCheck(this) ? trustedOf(this as MessageEvent) : false;
  },
  enumerable: true,
  configurable: true,
});

defineInterface(MessageEvent, 'MessageEvent', ['data', 'origin', 'lastEventId', 'source', 'ports', 'initMessageEvent']);
// WebIDL: the constructor's length counts required arguments only (`type`).
Object.defineProperty(MessageEvent, 'length', { value: 1 });

/**
 * The `message` / `messageerror` event a port fires (item 21): isTrusted, not bubbling, not
 * cancelable, origin "", lastEventId "", source null, `data` exactly as deserialized (undefined
 * stays undefined) and `ports` a new frozen array.
 */
export function createPortMessageEvent(type: 'message' | 'messageerror', data: unknown, ports: readonly MessagePort[] | null): MessageEvent {
  return new (MessageEvent as unknown as new (...args: unknown[]) => MessageEvent)(type, undefined, internal, data, ports);
}

interface ConvertedMessageEventInit {
  bubbles: boolean;
  cancelable: boolean;
  composed: boolean;
  data: unknown;
  lastEventId: string;
  origin: string;
  ports: MessagePort[];
  source: MessageEventSource | null;
}

/**
 * MessageEventInit, as WebIDL converts a dictionary: inherited members first, then each
 * dictionary's members in lexicographic order, every member read once.
 */
function convertMessageEventInit(value: unknown): ConvertedMessageEventInit {
  const result: ConvertedMessageEventInit = {
    bubbles: false, cancelable: false, composed: false,
    data: null, lastEventId: '', origin: '', ports: [], source: null,
  };
  if (value === undefined || value === null) return result;
  if (typeof value !== 'object' && typeof value !== 'function') {
    throw typeError("Failed to construct 'MessageEvent': The provided value is not of type 'MessageEventInit'.");
  }
  const dict = value as Record<string, unknown>;
  const bubbles = dict['bubbles'];
  if (bubbles !== undefined) result.bubbles = toBoolean(bubbles);
  const cancelable = dict['cancelable'];
  if (cancelable !== undefined) result.cancelable = toBoolean(cancelable);
  const composed = dict['composed'];
  if (composed !== undefined) result.composed = toBoolean(composed);
  const data = dict['data'];
  if (data !== undefined) result.data = data;
  const lastEventId = dict['lastEventId'];
  if (lastEventId !== undefined) result.lastEventId = toDOMString(lastEventId);
  const origin = dict['origin'];
  if (origin !== undefined) result.origin = toUSVString(origin);
  const ports = dict['ports'];
  if (ports !== undefined) result.ports = toSequence(ports, toMessagePort, "Failed to construct 'MessageEvent': 'ports'");
  const source = dict['source'];
  if (source !== undefined) result.source = toMessageEventSource(source);
  return result;
}

function toMessagePort(value: unknown): MessagePort {
  if (!isMessagePort(value)) throw typeError("Failed to convert value to 'MessagePort'.");
  return value;
}

/** MessageEventSource?: null, or a WindowProxy, MessagePort or ServiceWorker; anything else is a TypeError. */
function toMessageEventSource(value: unknown): MessageEventSource | null {
  if (value === null || value === undefined) return null;
  if (isMessagePort(value) || isWindowProxy(value) || isServiceWorker(value)) return value as MessageEventSource;
  throw typeError("Failed to convert value to '(WindowProxy or MessagePort or ServiceWorker)'.");
}

function isWindowProxy(value: unknown): boolean {
  if (typeof host.Window !== 'function' || typeof value !== 'object' || value === null) return false;
  if (value instanceof host.Window) return true;
  // A WindowProxy of another realm (an iframe, a popup): `window` and `self` stay readable cross-origin.
  try {
    const candidate = value as { window?: unknown; self?: unknown };
    return candidate.window === value && candidate.self === value && Object.prototype.toString.call(value) === '[object Window]';
  } catch {
    return false;
  }
}

function isServiceWorker(value: unknown): boolean {
  return typeof host.ServiceWorker === 'function' && typeof value === 'object' && value !== null && value instanceof host.ServiceWorker;
}
