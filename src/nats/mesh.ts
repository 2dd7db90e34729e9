// entangle/nats: this process's node joins a mesh of nodes over core NATS. Each node has one
// inbox subject (<prefix>.n.<node id>) and, if named, answers on <prefix>.name.<name>. Links to
// other nodes run over NatsTransports (src/transports/nats.ts) and are made when first needed:
// the realm asks the mesh to reach any node an event names, so a port moved A → B → C links C to
// A directly (one hop). A NATS failover breaks the transports and the links resume on new ones,
// resending what was lost; the server's disconnect notifications tell peers a node is gone.

import { AuthorizationError, connect as natsConnect, type ConnectionOptions, type Msg, type NatsConnection } from '@nats-io/transport-node';
import { EntangleError } from '../errors.ts';
import { isNodeId, type NodeId } from '../link/node-id.ts';
import { idFromBytes, idToBytes, ID_BYTES } from '../routing/ids.ts';
import { EventHandlerSlot, setEventHandler } from '../spec/event-handler.ts';
import { MessageChannel } from '../spec/message-channel.ts';
import { MessageEvent } from '../spec/message-event.ts';
import type { MessagePort } from '../spec/message-port.ts';
import { markTrusted } from '../spec/trusted-event.ts';
import { cancelIntroductions, holdOpen, localRealm, nextIntroduction, onPeerLost, setMeshHooks, type MeshHooks } from '../node/realm.ts';
import type { RealmNode } from '../realm/realm-node.ts';
import { isProbe, NatsMux, PROBE, type NatsMuxStats, type NatsTransport } from '../transports/nats.ts';
import { NAME, resolveMeshOptions, type JoinOptions, type MeshOptions } from './options.ts';
import { disconnectedNode } from './presence.ts';

/** Nodes found not to be on the mesh (no inbox), remembered so they are not probed again; oldest forgotten past this. */
const MAX_NOT_DIRECT = 4096;
/** Pause before dialling a peer again after a redial got no answer (it may be failing over itself). */
const REDIAL_PAUSE_MS = 200;

export interface MeshStats extends NatsMuxStats {
  /** Peers linked over this mesh now. */
  readonly peers: number;
  /** Peers lost because the NATS server reported their connection closed. */
  readonly reportedGone: number;
  /** Links resumed on a new NATS connection after a transport broke (failover, gap). */
  readonly redials: number;
  /** Times this node's NATS connection was lost and came back. */
  readonly reconnects: number;
  /** `connect` events fired (ports opened for nodes that connected by name). */
  readonly introduced: number;
}

let joined: Mesh | null = null;

/**
 * This process's node on a NATS mesh. Fires `connect` (a MessageEvent: `ports[0]` is entangled with
 * a port of the node that called `connect(name)` with this node's name; `origin` is
 * `entangle:<its node id>`), as listen()'s server does.
 */
export class Mesh extends EventTarget {
  /** This node's id (the NATS connection's name). */
  readonly id: NodeId;
  /** The name this node answers to, or null. */
  readonly name: string | null;
  readonly #nc: NatsConnection;
  readonly #options: MeshOptions;
  readonly #realm: RealmNode;
  readonly #mux: NatsMux;
  readonly #idBytes = new Uint8Array(ID_BYTES);
  readonly #onconnect = new EventHandlerSlot();
  /** First links being made, by peer (reach). */
  readonly #linking = new Map<NodeId, Promise<boolean>>();
  /** The transport of a first dial in progress, by peer (closed when the peer's own dial wins). */
  readonly #dialling = new Map<NodeId, NatsTransport>();
  /** Handshakes on connections peers opened, by peer. */
  readonly #incoming = new Map<NodeId, Promise<unknown>>();
  /** The transport each peer's link runs on now. */
  readonly #attached = new Map<NodeId, NatsTransport>();
  readonly #redialling = new Set<NodeId>();
  /** When each peer was last dialled again (performance.now()). */
  readonly #lastRedial = new Map<NodeId, number>();
  /** Peers to dial again once the NATS connection is back. */
  readonly #afterReconnect = new Set<NodeId>();
  readonly #notDirect = new Set<NodeId>();
  #disconnected = false;
  #closed = false;
  #counts = { reportedGone: 0, redials: 0, reconnects: 0, introduced: 0 };

  /** @internal Use join(). */
  constructor(nc: NatsConnection, realm: RealmNode, options: MeshOptions) {
    super();
    this.#nc = nc;
    this.#realm = realm;
    this.#options = options;
    this.id = realm.id;
    this.name = options.name;
    idToBytes(this.id, this.#idBytes, 0);
    this.#mux = new NatsMux({
      localNode: this.id,
      publish: (subject, payload) => nc.publish(subject, payload),
      inbox: (node) => this.#inbox(node),
      maxPayload: nc.info!.max_payload,
      maxFrameBytes: realm.links.limits.maxFrameBytes,
      maxPendingAccepts: options.maxPendingHandshakes,
      accept: (transport) => this.#accept(transport),
    });
  }

  get onconnect(): unknown {
    return this.#onconnect.value;
  }
  set onconnect(value: unknown) {
    setEventHandler(this, 'connect', this.#onconnect, value);
  }

  /** A port entangled with one on the node that joined as `name`; that node's mesh fires `connect` with the other end. */
  async connect(name: string): Promise<MessagePort> {
    if (typeof name !== 'string' || !NAME.test(name)) throw new TypeError(`Mesh.connect: a name is 1 to 128 of A-Z a-z 0-9 _ -; got ${JSON.stringify(name)}.`);
    if (this.#closed) throw new EntangleError('ENTANGLE_CONNECT_FAILED', 'This mesh is closed.');
    const release = holdOpen();
    try {
      let reply: Msg;
      try {
        reply = await this.#nc.request(`${this.#options.subjectPrefix}.name.${name}`, this.#idBytes, { timeout: this.#options.timeoutMs });
      } catch (cause) {
        const none = noResponders(cause);
        throw new EntangleError('ENTANGLE_CONNECT_FAILED', none ? `No node joined the mesh as ${JSON.stringify(name)}.` : `No answer from ${JSON.stringify(name)}: ${String(cause)}`, { cause });
      }
      if (reply.data.byteLength !== ID_BYTES) throw new EntangleError('ENTANGLE_CONNECT_FAILED', `${JSON.stringify(name)} could not link to this node.`);
      const peer = idFromBytes(reply.data, 0);
      if (peer === this.id) {
        // This node's own name: a node needs no link to itself (as connect() to a server of this process).
        const { port1, port2 } = new MessageChannel();
        this.#fireConnect(this.id, port2);
        return port1;
      }
      return await this.#introduction(peer, name);
    } finally {
      release();
    }
  }

  /** Says bye on every link over this mesh (their ports get `close`), then leaves NATS. Other links of this process stay. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (joined === this) {
      joined = null;
      setMeshHooks(null);
    }
    const peers = new Set(this.#mux.connections().map((t) => t.peer));
    for (const peer of peers) this.#realm.links.disconnect(peer);
    // The byes leave at the end of this turn (the transports' flush); then NATS is left.
    await new Promise((resolve) => setImmediate(resolve));
    try {
      await this.#nc.flush();
    } catch {
      // Closing regardless.
    }
    await this.#nc.close();
  }

  stats(): MeshStats {
    const peers = new Set([...this.#attached.keys()].filter((peer) => this.#realm.links.has(peer))).size;
    return { ...this.#mux.stats(), peers, ...this.#counts };
  }

  /** @internal Subscribes this node's subjects and starts watching the connection. */
  async start(): Promise<void> {
    const nc = this.#nc;
    const prefix = this.#options.subjectPrefix;
    nc.subscribe(this.#inbox(this.id), {
      callback: (error, msg) => {
        if (error !== null) return;
        if (msg.reply !== undefined && isProbe(msg.data)) msg.respond();
        else this.#mux.receive(msg.data);
      },
    });
    if (this.name !== null) {
      // A queue group: several nodes under one name share the requests, each answered once.
      nc.subscribe(`${prefix}.name.${this.name}`, {
        queue: prefix,
        callback: (error, msg) => {
          if (error === null) void this.#introduce(msg);
        },
      });
    }
    if (this.#options.presenceSubject !== null) {
      nc.subscribe(this.#options.presenceSubject, {
        callback: (error, msg) => {
          if (error === null) this.#presence(msg.data);
        },
      });
    }
    await nc.flush();
    void this.#watch();
  }

  /** @internal What this mesh adds to this realm's node (src/node/realm.ts). */
  hooks(): MeshHooks {
    return { reach: (node) => this.#reach(node), detached: (peer, error) => this.#detached(peer, error) };
  }

  #inbox(node: NodeId): string {
    return `${this.#options.subjectPrefix}.n.${node}`;
  }

  #fireConnect(peer: NodeId, port: MessagePort): void {
    this.#counts.introduced++;
    this.dispatchEvent(markTrusted(new MessageEvent('connect', { data: null, origin: `entangle:${peer}`, ports: [port] })));
  }

  /** The port `peer` opens for this node after answering its request. */
  #introduction(peer: NodeId, name: string): Promise<MessagePort> {
    return new Promise((resolve, reject) => {
      const fail = (error: EntangleError): void => {
        clearTimeout(timer);
        stop();
        cancelIntroductions(peer);
        reject(error);
      };
      const timer = setTimeout(() => fail(new EntangleError('ENTANGLE_CONNECT_FAILED', `${JSON.stringify(name)} did not open a port within ${this.#options.timeoutMs} ms.`)), this.#options.timeoutMs);
      const stop = onPeerLost(peer, (error) => fail(new EntangleError('ENTANGLE_CONNECT_FAILED', `${JSON.stringify(name)} was lost before opening a port: ${error.message}`, { cause: error })));
      void nextIntroduction(peer).then((port) => {
        clearTimeout(timer);
        stop();
        resolve(port);
      });
    });
  }

  /** A node asks this one, by name, for a port: link to it, open one, fire `connect`, answer with this node's id. */
  async #introduce(msg: Msg): Promise<void> {
    if (msg.reply === undefined || msg.data.byteLength !== ID_BYTES) return;
    const peer = idFromBytes(msg.data, 0);
    if (peer === this.id) {
      msg.respond(this.#idBytes);
      return;
    }
    const linked = await this.#reach(peer);
    if (!linked || this.#closed) {
      msg.respond(new Uint8Array(0));
      return;
    }
    this.#fireConnect(peer, this.#realm.openPort(peer));
    msg.respond(this.#idBytes);
  }

  /** Link to `node` directly if it is on the mesh (RealmNodeOptions.reach). */
  #reach(node: NodeId): Promise<boolean> | false {
    if (this.#closed || this.#notDirect.has(node) || !isNodeId(node) || node === this.id) return false;
    if (this.#realm.links.has(node)) return Promise.resolve(true);
    let linking = this.#linking.get(node);
    if (linking !== undefined) return linking;
    linking = this.#firstLink(node).then((ok) => {
      this.#linking.delete(node);
      if (!ok) this.#notOnMesh(node);
      return ok;
    });
    this.#linking.set(node, linking);
    return linking;
  }

  async #firstLink(node: NodeId): Promise<boolean> {
    const incoming = this.#incoming.get(node);
    if (incoming !== undefined) await incoming.catch(() => {});
    if (this.#realm.links.has(node)) return true;
    try {
      // No inbox, no answer: not a node of this mesh (a worker behind one, say): the relay reaches it.
      await this.#nc.request(this.#inbox(node), PROBE, { timeout: this.#options.timeoutMs });
    } catch {
      return false;
    }
    if (this.#realm.links.has(node) || this.#closed) return this.#realm.links.has(node);
    const transport = this.#mux.dial(node);
    this.#dialling.set(node, transport);
    try {
      await this.#attach(transport, 'dial');
      return true;
    } catch {
      // The peer dialled at the same time and its dial won (see #accept): wait for that one.
      const theirs = this.#incoming.get(node);
      if (theirs !== undefined) await theirs.catch(() => {});
      return this.#realm.links.has(node);
    } finally {
      if (this.#dialling.get(node) === transport) this.#dialling.delete(node);
    }
  }

  #notOnMesh(node: NodeId): void {
    this.#notDirect.add(node);
    for (const old of this.#notDirect) {
      if (this.#notDirect.size <= MAX_NOT_DIRECT) break;
      this.#notDirect.delete(old);
    }
  }

  /** A peer opened a connection to this node. */
  #accept(transport: NatsTransport): void {
    const peer = transport.peer;
    if (this.#closed) {
      transport.close();
      this.#mux.established(transport);
      return;
    }
    // Both dialled each other for a first link: the lower node id's dial is kept on both sides
    // (two new sessions at once would each end the other's).
    const ours = this.#dialling.get(peer);
    if (ours !== undefined && !this.#realm.links.has(peer)) {
      if (this.id < peer) {
        transport.close();
        this.#mux.established(transport);
        return;
      }
      ours.close();
    }
    const attached = this.#attach(transport, 'accept');
    this.#incoming.set(peer, attached);
    void attached.catch(() => {}).finally(() => {
      this.#mux.established(transport);
      if (this.#incoming.get(peer) === attached) this.#incoming.delete(peer);
    });
  }

  /** Runs the link's handshake on a NATS connection; remembers it as the peer's transport if the link keeps it. */
  async #attach(transport: NatsTransport, role: 'dial' | 'accept', expectedPeer?: NodeId): Promise<void> {
    const peer = await this.#realm.attach(transport, {
      role,
      graceMs: this.#options.graceMs,
      token: this.#options.linkToken,
      handshakeTimeoutMs: this.#options.timeoutMs,
      ...(expectedPeer === undefined ? {} : { expectedPeer }),
    });
    if (transport.closed) return;
    if (!this.#attached.has(peer)) {
      onPeerLost(peer, () => {
        this.#attached.delete(peer);
        this.#lastRedial.delete(peer);
      });
    }
    this.#attached.set(peer, transport);
  }

  /** The transport under a link broke (RealmNodeOptions.detached). */
  #detached(peer: NodeId, error: EntangleError): void {
    if (error.code === 'ENTANGLE_LINK_HEARTBEAT_TIMEOUT') {
      // Silence while this node's NATS connection is fine: the peer is hung or gone; nobody will
      // dial again, so waiting out graceMs would only delay its ports' `close`.
      if (!this.#disconnected) {
        this.#realm.links.disconnect(peer, error);
        return;
      }
    }
    this.#redial(peer);
  }

  /** Dials `peer` again for a link that lost its transport: the link resumes on the new one and resends. */
  #redial(peer: NodeId): void {
    if (this.#closed || !this.#realm.links.has(peer)) {
      this.#lastRedial.delete(peer);
      return;
    }
    if (this.#disconnected) {
      this.#afterReconnect.add(peer);
      return;
    }
    if (this.#redialling.has(peer)) return;
    // A transport that breaks as soon as it is made (the peer still holds another) is not dialled
    // again at once: that would loop as fast as the handshakes go.
    const last = this.#lastRedial.get(peer) ?? -Infinity;
    const wait = last + REDIAL_PAUSE_MS - performance.now();
    if (wait > 0) {
      this.#redialling.add(peer);
      const timer = setTimeout(() => {
        this.#redialling.delete(peer);
        this.#redial(peer);
      }, wait);
      timer.unref();
      return;
    }
    this.#lastRedial.set(peer, performance.now());
    this.#redialling.add(peer);
    this.#counts.redials++;
    this.#attach(this.#mux.dial(peer), 'dial', peer).then(() => this.#redialling.delete(peer), () => {
      this.#redialling.delete(peer);
      // No answer (the peer may be failing over itself): again shortly, while the link waits.
      const timer = setTimeout(() => {
        const current = this.#attached.get(peer);
        if (current === undefined || current.closed) this.#redial(peer);
      }, REDIAL_PAUSE_MS);
      timer.unref();
    });
  }

  /** A disconnect notification from the server (presence.ts): a peer's NATS connection closed. */
  #presence(data: Uint8Array): void {
    const node = disconnectedNode(data);
    if (node === null || node === this.id || !this.#realm.links.has(node)) return;
    // Gone only if nothing answers on its inbox (the server drops a closed connection's
    // subscriptions before it reports it): a forged notification, or a node that is back
    // already, changes nothing. A probe that times out proves nothing either: heartbeats decide.
    this.#nc.request(this.#inbox(node), PROBE, { timeout: this.#options.timeoutMs }).then(() => {}, (cause: unknown) => {
      if (!noResponders(cause) || !this.#realm.links.has(node)) return;
      this.#counts.reportedGone++;
      this.#realm.links.disconnect(node, new EntangleError('ENTANGLE_NATS_PEER_GONE', `The NATS server reported that ${node} disconnected.`));
    });
  }

  /** Follows the NATS connection: when it drops, frames in flight may be lost, so every transport breaks; links resume when it is back. */
  async #watch(): Promise<void> {
    for await (const status of this.#nc.status()) {
      if (status.type === 'disconnect') {
        this.#disconnected = true;
        this.#mux.breakAll(new EntangleError('ENTANGLE_LINK_CLOSED', 'The NATS connection was lost.'));
      } else if (status.type === 'reconnect') {
        this.#disconnected = false;
        this.#counts.reconnects++;
        // The peers learn which connections broke before the hellos that replace them.
        this.#mux.announceBroken();
        const peers = [...this.#afterReconnect];
        this.#afterReconnect.clear();
        for (const peer of peers) this.#redial(peer);
      }
    }
  }
}

/** Whether a request failed because nothing subscribes to its subject (the NATS client's RequestError). */
function noResponders(cause: unknown): boolean {
  return (cause as { isNoResponders?: () => boolean } | null)?.isNoResponders?.() === true;
}

/** Makes this process's node a node of the NATS mesh at `servers`; resolves once it can be reached. */
export async function join(options: JoinOptions): Promise<Mesh> {
  const resolved = resolveMeshOptions(options);
  if (joined !== null) throw new EntangleError('ENTANGLE_CONNECT_FAILED', 'This process already joined a mesh: close() it first.');
  const realm = localRealm();
  const release = holdOpen();
  try {
    let nc: NatsConnection;
    try {
      nc = await natsConnect({
        reconnectTimeWait: 250,
        maxReconnectAttempts: -1,
        timeout: resolved.timeoutMs,
        ...resolved.nats,
        servers: resolved.servers,
        // The server's disconnect notifications name the node by its connection's name.
        name: realm.id,
        ...resolved.credentials,
      } satisfies ConnectionOptions);
    } catch (cause) {
      if (cause instanceof AuthorizationError) throw new EntangleError('ENTANGLE_NATS_AUTH', `NATS refused the credentials: ${cause.message}`, { cause });
      throw new EntangleError('ENTANGLE_CONNECT_FAILED', `Cannot connect to NATS at ${resolved.servers.join(', ')}: ${String(cause)}`, { cause });
    }
    if (joined !== null) {
      await nc.close();
      throw new EntangleError('ENTANGLE_CONNECT_FAILED', 'This process already joined a mesh: close() it first.');
    }
    const mesh = new Mesh(nc, realm, resolved);
    joined = mesh;
    setMeshHooks(mesh.hooks());
    try {
      await mesh.start();
    } catch (cause) {
      await mesh.close();
      throw new EntangleError('ENTANGLE_CONNECT_FAILED', `Cannot subscribe this node's subjects: ${String(cause)}`, { cause });
    }
    return mesh;
  } finally {
    release();
  }
}

/** A port entangled with one on the node that joined the mesh as `name` (the mesh this process joined). */
export function connect(name: string): Promise<MessagePort> {
  if (joined === null) return Promise.reject(new EntangleError('ENTANGLE_CONNECT_FAILED', 'connect(name): this process has not joined a mesh (join() first).'));
  return joined.connect(name);
}
