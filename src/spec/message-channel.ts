// MessageChannel: two new ports, entangled.
// https://html.spec.whatwg.org/multipage/web-messaging.html#message-channels

import { illegalInvocation } from '../errors.ts';
import { entangle } from './entanglement.ts';
import { MessagePortData } from './message-port-data.ts';
import { createMessagePort, type MessagePort } from './message-port.ts';
import { defineInterface } from './webidl.ts';

let isMessageChannel: (value: unknown) => boolean;

/**
 * Makes the two entangled port datas of a new channel. Tests of the routing layer replace it
 * (src/realm/testing.ts) to run the spec's own tests over ports whose peers are on another node.
 */
let createEntangledPair = (): [MessagePortData, MessagePortData] => {
  const data1 = new MessagePortData();
  const data2 = new MessagePortData();
  entangle(data1, data2);
  return [data1, data2];
};

/** Internal: see createEntangledPair. Returns the previous factory. */
export function setEntangledPairFactory(factory: () => [MessagePortData, MessagePortData]): () => [MessagePortData, MessagePortData] {
  const previous = createEntangledPair;
  createEntangledPair = factory;
  return previous;
}

export class MessageChannel {
  readonly #port1: MessagePort;
  readonly #port2: MessagePort;

  // https://html.spec.whatwg.org/multipage/web-messaging.html#dom-messagechannel
  constructor() {
    // 1–3. Set this's port 1 and port 2 to new MessagePorts in this's relevant realm; entangle them.
    const [data1, data2] = createEntangledPair();
    this.#port1 = createMessagePort(data1);
    this.#port2 = createMessagePort(data2);
  }

  get port1(): MessagePort {
    return brand(this).#port1;
  }

  get port2(): MessagePort {
    return brand(this).#port2;
  }

  static #is(value: unknown): value is MessageChannel {
    return typeof value === 'object' && value !== null && #port1 in value;
  }

  static {
    isMessageChannel = (value) => MessageChannel.#is(value);
  }
}

function brand(value: unknown): MessageChannel {
  if (!isMessageChannel(value)) throw illegalInvocation();
  return value as MessageChannel;
}

defineInterface(MessageChannel, 'MessageChannel', ['port1', 'port2']);
