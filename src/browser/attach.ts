// attach(): an entangle link between this context and another one reached by postMessage — a
// Window (iframe, popup, opener), a Worker, a ServiceWorker (or, inside a service worker, the
// client that reached it), or a native MessagePort — and a port entangled with the one the other
// side's attach() returns.
//
// How the two sides find each other (docs/protocol.md, "The postMessage transport"):
//   hello { node }           "node N attaches here". Posted by every attach() call not yet
//                            served by a link, and once in answer to a hello from a lower node id.
//   offer { node, to } +port the side with the lower node id answers a hello with a fresh native
//                            MessageChannel's port; the link's own handshake runs over that port.
// Either side may start first: a hello nobody listened for is repeated by the other side's hello
// (whichever side hears a hello answers it), and the higher id answers only once per peer, so
// hellos never ping-pong. Messages on a Window are accepted only from the target window and from
// the expected origin (window.postMessage's targetOrigin rules, checklist item 34); the rest are
// ignored and counted. Frames then travel on the offered port, which only the two sides hold.
//
// One link per pair of nodes; attach() calls on the two sides pair up in order: the side that
// offered opens a port for each of its calls, the other takes the ports introduced to it.

import { EntangleError } from '../errors.ts';
import { isNodeId, type NodeId } from '../link/node-id.ts';
import type { MessagePort } from '../spec/message-port.ts';
import { PostMessageTransport, type NativePort } from '../transports/post-message.ts';
import { browserRealm } from './realm.ts';

export interface AttachOptions {
  /**
   * For a Window target (and a service worker's clients): the origin the other side must have,
   * as window.postMessage's targetOrigin: "/" (the default) is this context's own origin, "*"
   * any origin, anything else a URL whose origin is taken. Messages from another origin are
   * ignored and counted (attachStats().wrongOrigin); hellos to another origin are dropped by the browser.
   */
  readonly targetOrigin?: string;
}

export interface AttachStats {
  /** attach messages from a target window (or a service worker's client) whose origin was not the expected one: ignored. */
  readonly wrongOrigin: number;
  /** attach messages from a window no attach() waits on here: ignored. */
  readonly unknownSource: number;
  /** attach messages of an unknown shape or version, and offers meant for another node: ignored. */
  readonly malformed: number;
  /** Link handshakes over an offered port that failed. */
  readonly failedHandshakes: number;
}

/** The key that marks a message as attach()'s own; its value is the kind. */
const TAG = 'entangle:attach';
/** The hello protocol's version: a message of another version is ignored (and counted as malformed). */
const VERSION = 1;

const stats = { wrongOrigin: 0, unknownSource: 0, malformed: 0, failedHandshakes: 0 };

/** Counters of what attach() ignored (for tests and for users watching for hostile frames). */
export function attachStats(): AttachStats {
  return { ...stats };
}

/** One attach() call. */
interface Call {
  resolve(port: MessagePort): void;
  settled: boolean;
}

type Post = (message: object, transfer: Transferable[]) => void;

/** The other side as this module sees it: where hellos go, and the state of the link over it. */
class Endpoint {
  readonly #post: Post;
  /** Calls waiting for a link (or, on the side that did not offer, for the port the other side opens). */
  readonly #waiting: Call[] = [];
  /** Calls waiting for the port the linked peer introduces. */
  readonly #introduced: Call[] = [];
  /** The linked node, and whether this side offered (and so opens the ports). */
  #peer: NodeId | null = null;
  #offered = false;
  /** A handshake in progress with this node. */
  #linking: NodeId | null = null;
  /** Nodes whose hello was answered, so that two sides never answer each other forever. */
  readonly #answered = new Set<NodeId>();

  constructor(post: Post) {
    this.#post = post;
  }

  /** A new attach() call on this endpoint. */
  add(call: Call): void {
    this.#waiting.push(call);
    // Said even when linked: a service worker learns from it that a client wants another port.
    if (this.#linking === null) this.#hello();
    if (this.#peer !== null) this.#serve();
  }

  /** An attach message from the other side (origin and source already checked). */
  receive(data: Record<string, unknown>, ports: readonly unknown[], waitUntil?: (promise: Promise<unknown>) => void): void {
    const me = browserRealm().node.id;
    const node = data['node'];
    if (data['v'] !== VERSION || typeof node !== 'string' || !isNodeId(node) || node === me) {
      stats.malformed++;
      closeAll(ports);
      return;
    }
    if (data[TAG] === 'hello') {
      closeAll(ports);
      // Nobody attaches here now: the other side's hello is answered when someone does (their hello then reaches it).
      if (this.#waiting.length === 0 || this.#peer === node || this.#linking !== null || this.#answered.has(node)) return;
      this.#answered.add(node);
      if (me < node) {
        const { port1, port2 } = new (globalThis as unknown as { MessageChannel: new () => { port1: NativePort; port2: Transferable } }).MessageChannel();
        this.#post({ [TAG]: 'offer', v: VERSION, node: me, to: node }, [port2]);
        // (Not inside `waitUntil?.(…)`: an optional call skips its arguments when there is no waitUntil.)
        const linked = this.#link(port1, 'dial', node);
        waitUntil?.(linked);
      } else {
        // Our hello may have gone out before anyone listened there: say it again, once; the lower id offers.
        this.#hello();
      }
      return;
    }
    if (data[TAG] === 'offer') {
      const port = ports[0] as NativePort | undefined;
      if (data['to'] !== me || port === undefined || ports.length !== 1) {
        // Meant for another node (a context that was here before a reload) or broken.
        stats.malformed++;
        closeAll(ports);
        return;
      }
      if (this.#waiting.length === 0 || this.#peer === node || this.#linking !== null) {
        port.close();
        return;
      }
      const linked = this.#link(port, 'accept', node);
      waitUntil?.(linked);
      return;
    }
    stats.malformed++;
    closeAll(ports);
  }

  #hello(): void {
    this.#post({ [TAG]: 'hello', v: VERSION, node: browserRealm().node.id }, []);
  }

  /** Runs the link's handshake over `port`; once linked, serves the waiting calls. */
  async #link(port: NativePort, role: 'dial' | 'accept', node: NodeId): Promise<void> {
    const host = browserRealm();
    this.#linking = node;
    let peer: NodeId;
    try {
      peer = await host.node.attach(new PostMessageTransport(port), { role, graceMs: 0 });
    } catch {
      stats.failedHandshakes++;
      this.#linking = null;
      this.#answered.delete(node);
      return;
    }
    this.#linking = null;
    if (peer !== node) {
      // The handshake names the node the hello named, or the other side is not what it said.
      stats.malformed++;
      host.node.links.disconnect(peer, new EntangleError('ENTANGLE_LINK_PROTOCOL', `attach: ${node} offered a link, ${peer} answered.`));
      return;
    }
    this.#peer = peer;
    this.#offered = role === 'dial';
    host.onPeerLost(peer, () => this.#lost(peer));
    this.#serve();
  }

  /** Pairs the waiting calls with ports on the link, in order. */
  #serve(): void {
    const peer = this.#peer!;
    const host = browserRealm();
    for (const call of this.#waiting.splice(0)) {
      if (this.#offered) {
        settle(call, host.node.openPort(peer));
      } else {
        this.#introduced.push(call);
        void host.nextIntroduction(peer).then((port) => {
          this.#introduced.splice(this.#introduced.indexOf(call), 1);
          settle(call, port);
        });
      }
    }
  }

  /** The linked node is gone (closed, reloaded, heartbeats missed): calls still waiting for a port wait for the next link. */
  #lost(peer: NodeId): void {
    if (this.#peer !== peer) return;
    this.#peer = null;
    this.#answered.delete(peer);
    browserRealm().cancelIntroductions(peer);
    const orphans = this.#introduced.splice(0).filter((call) => !call.settled);
    if (orphans.length === 0) return;
    this.#waiting.unshift(...orphans);
    this.#hello();
  }
}

function settle(call: Call, port: MessagePort): void {
  call.settled = true;
  call.resolve(port);
}

function closeAll(ports: readonly unknown[]): void {
  for (const port of ports) (port as { close?: () => void }).close?.();
}

// ---------------------------------------------------------------------------------------------
// Targets: what each kind of context posts to and listens on.

interface PostTarget {
  postMessage(message: unknown, ...rest: unknown[]): void;
}
interface Listenable {
  addEventListener(type: 'message', listener: (event: MessageEvent) => void): void;
}

/** A service worker's client, as a ServiceWorkerGlobalScope's message event names it. */
interface ClientLike extends PostTarget {
  readonly id: string;
}

interface ScopeLike extends Listenable {
  readonly origin: string;
  postMessage?: (message: unknown, transfer: Transferable[]) => void;
  readonly window?: unknown;
  readonly document?: unknown;
  readonly navigator?: { readonly serviceWorker?: Listenable & { startMessages(): void } };
}

const scope = globalThis as unknown as ScopeLike;

function isAttachMessage(data: unknown): data is Record<string, unknown> {
  return typeof data === 'object' && data !== null && typeof (data as Record<string, unknown>)[TAG] === 'string';
}

/** targetOrigin as window.postMessage reads it: null for "*", else a serialized origin; a bad URL is a SyntaxError. */
function expectedOrigin(targetOrigin: string | undefined): string | null {
  const value = targetOrigin === undefined ? '/' : String(targetOrigin);
  if (value === '*') return null;
  if (value === '/') return scope.origin;
  try {
    return new URL(value).origin;
  } catch {
    throw new DOMException(`attach: targetOrigin '${value}' is not a valid URL.`, 'SyntaxError');
  }
}

/** Endpoints for windows (keyed by WindowProxy), workers, service workers and ports. */
const endpoints = new WeakMap<object, Endpoint>();
/** Window and ServiceWorker targets with their expected origin (null: any), looked up by event.source. */
const sourceOrigins = new WeakMap<object, string | null>();
/** Where listenBySource listens already. */
const listeningOn = new WeakSet<Listenable>();

function isWindow(target: object): boolean {
  // A WindowProxy's `window` is itself, readable even cross-origin.
  try {
    return (target as { window?: unknown }).window === target;
  } catch {
    return false;
  }
}

function isServiceWorkerGlobalScope(): boolean {
  const ctor = (globalThis as { ServiceWorkerGlobalScope?: abstract new () => unknown }).ServiceWorkerGlobalScope;
  return typeof ctor === 'function' && scope instanceof ctor;
}

function isServiceWorker(target: object): boolean {
  const ctor = (globalThis as { ServiceWorker?: abstract new () => unknown }).ServiceWorker;
  return typeof ctor === 'function' && target instanceof ctor;
}

/**
 * One message listener on `on` (this window, or a page's ServiceWorkerContainer) for every target
 * whose messages arrive there: the endpoint is found by event.source, the origin checked.
 */
function listenBySource(on: Listenable): void {
  if (listeningOn.has(on)) return;
  listeningOn.add(on);
  on.addEventListener('message', (event) => {
    if (!isAttachMessage(event.data)) return;
    const source = event.source as object | null;
    const endpoint = source === null ? undefined : endpoints.get(source);
    if (endpoint === undefined || !sourceOrigins.has(source!)) {
      stats.unknownSource++;
      closeAll(event.ports);
      return;
    }
    const origin = sourceOrigins.get(source!);
    if (origin !== null && event.origin !== origin) {
      stats.wrongOrigin++;
      closeAll(event.ports);
      return;
    }
    endpoint.receive(event.data, event.ports);
  });
}

/** In a service worker: attach(self) calls wait for the next client that says hello. */
const serviceWorkerCalls: Call[] = [];
const clientEndpoints = new Map<string, Endpoint>();
let serviceWorkerOrigin: string | null = null;
let listeningInServiceWorker = false;

function listenInServiceWorker(origin: string | null): void {
  serviceWorkerOrigin = origin;
  if (listeningInServiceWorker) return;
  listeningInServiceWorker = true;
  scope.addEventListener('message', (event) => {
    if (!isAttachMessage(event.data)) return;
    const extendable = event as MessageEvent & { waitUntil?: (promise: Promise<unknown>) => void };
    const client = event.source as ClientLike | null;
    if (client === null || typeof client.id !== 'string') {
      stats.unknownSource++;
      closeAll(event.ports);
      return;
    }
    if (serviceWorkerOrigin !== null && event.origin !== serviceWorkerOrigin) {
      stats.wrongOrigin++;
      closeAll(event.ports);
      return;
    }
    let endpoint = clientEndpoints.get(client.id);
    // A client's hello (or, first, its offer) is the question attach(self) answers: each takes the oldest waiting call.
    if (serviceWorkerCalls.length > 0 && (endpoint === undefined || event.data[TAG] === 'hello')) {
      if (endpoint === undefined) {
        endpoint = new Endpoint((message, transfer) => client.postMessage(message, transfer));
        clientEndpoints.set(client.id, endpoint);
      }
      endpoint.add(serviceWorkerCalls.shift()!);
    }
    if (endpoint === undefined) {
      closeAll(event.ports);
      return;
    }
    endpoint.receive(event.data, event.ports, extendable.waitUntil?.bind(event));
  });
}

/** A service worker that attaches says hello to its clients: one that attached before the worker (re)started answers. */
function helloClients(): void {
  const clients = (scope as unknown as { clients?: { matchAll(options: object): Promise<ClientLike[]> } }).clients;
  void clients?.matchAll({ includeUncontrolled: true, type: 'all' }).then((list) => {
    const hello = { [TAG]: 'hello', v: VERSION, node: browserRealm().node.id };
    for (const client of list) {
      if (serviceWorkerOrigin === null || new URL((client as unknown as { url: string }).url).origin === serviceWorkerOrigin) client.postMessage(hello);
    }
  }, () => {});
}

/**
 * An entangle link to the context behind `target`, and a port entangled with the one the other
 * side's attach() returns. `target`: a Window (`iframe.contentWindow`, a popup, `window.parent`,
 * `window.opener`), a Worker, a ServiceWorker, a native MessagePort, or `self` inside a dedicated
 * worker (the page that started it) or a service worker (the next client that attaches to it).
 */
export function attach(target: object, options: AttachOptions = {}): Promise<MessagePort> {
  if (typeof target !== 'object' || target === null) throw new TypeError('attach: target must be a Window, Worker, ServiceWorker, MessagePort or self.');
  if (typeof options !== 'object' || options === null) throw new TypeError('attach: options must be an object.');
  const origin = expectedOrigin(options.targetOrigin);
  return new Promise<MessagePort>((resolve) => {
    const call: Call = { resolve, settled: false };
    if (target === globalThis) {
      if (isServiceWorkerGlobalScope()) {
        listenInServiceWorker(origin);
        serviceWorkerCalls.push(call);
        helloClients();
        return;
      }
      if (scope.document !== undefined) throw new TypeError('attach: a window cannot attach to itself; pass the other window (iframe.contentWindow, window.parent, …).');
      // A dedicated worker: the page that started it, over the worker's implicit port.
      endpointFor(target, () => new Endpoint((message, transfer) => scope.postMessage!(message, transfer)), (endpoint) => {
        scope.addEventListener('message', (event) => {
          if (isAttachMessage(event.data)) endpoint.receive(event.data, event.ports);
        });
      }).add(call);
      return;
    }
    const post = target as PostTarget;
    if (typeof post.postMessage !== 'function') throw new TypeError('attach: target has no postMessage.');
    if (isWindow(target)) {
      listenBySource(scope);
      const sendOrigin = origin ?? '*';
      sourceOrigins.set(target, origin);
      endpointFor(target, () => new Endpoint((message, transfer) => post.postMessage(message, sendOrigin, transfer)), () => {}).add(call);
      return;
    }
    if (isServiceWorker(target)) {
      const container = scope.navigator?.serviceWorker;
      if (container === undefined) throw new TypeError('attach: a ServiceWorker target needs navigator.serviceWorker here.');
      listenBySource(container);
      // Messages from service workers wait for this (or for DOMContentLoaded) before they are dispatched.
      container.startMessages();
      sourceOrigins.set(target, origin);
      endpointFor(target, () => new Endpoint((message, transfer) => post.postMessage(message, transfer)), () => {}).add(call);
      return;
    }
    // A Worker or a native MessagePort: messages arrive on the target itself (a port needs start()).
    const listenable = target as Listenable & { start?: () => void };
    if (typeof listenable.addEventListener !== 'function') throw new TypeError('attach: target must be a Window, Worker, ServiceWorker, MessagePort or self.');
    endpointFor(target, () => new Endpoint((message, transfer) => post.postMessage(message, transfer)), (endpoint) => {
      listenable.addEventListener('message', (event) => {
        if (isAttachMessage(event.data)) endpoint.receive(event.data, event.ports);
      });
      listenable.start?.();
    }).add(call);
  });
}

/** The endpoint of `target`, made (and listened to) on first use. */
function endpointFor(target: object, make: () => Endpoint, listen: (endpoint: Endpoint) => void): Endpoint {
  let endpoint = endpoints.get(target);
  if (endpoint === undefined) {
    endpoint = make();
    endpoints.set(target, endpoint);
    listen(endpoint);
  }
  return endpoint;
}
