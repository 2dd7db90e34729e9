// A port whose peer is on another node: the binding between a MessagePortData (spec/) and a port
// of the routing core, as the data's PortRoute. Messages wait in the routing port, as bytes,
// until the data's task takes them; posts leave in order, even when one of them has to wait for
// a Blob's bytes.

import { structuredSerializeWithTransfer } from '../clone/index.ts';
import type { SerializedWithTransfer } from '../clone/records.ts';
import type { PortId } from '../routing/ids.ts';
import type { MessagePortData, PortMessage, PortRoute } from '../spec/message-port-data.ts';
import type { RealmNode } from './realm-node.ts';

export class RoutedPort implements PortRoute {
  readonly realm: RealmNode;
  readonly id: PortId;
  readonly data: MessagePortData;
  /** Bytes of this port's messages posted to another node and not yet acknowledged by it. */
  bufferedAmount = 0;
  /** Sizes of posts not yet forwarded by the routing core (waiting for the peer to accept), oldest first. */
  readonly #unforwarded: number[] = [];
  /** Posts waiting behind one whose Blobs are being read (null when none is): per-port order. */
  outbox: SerializedWithTransfer[] | null = null;
  /** `close` was queued at the data: the routing port reported its peer gone. */
  #closeSeen = false;

  constructor(realm: RealmNode, id: PortId, data: MessagePortData) {
    this.realm = realm;
    this.id = id;
    this.data = data;
  }

  post(message: SerializedWithTransfer): void {
    if (this.outbox !== null) this.outbox.push(message);
    else this.realm.postRouted(this, message);
  }

  postValue(value: unknown): void {
    // Behind a Blob being read, a post waits as records (serialized now, in its turn): one walk either way.
    if (this.outbox !== null) this.outbox.push(structuredSerializeWithTransfer(value, []));
    else this.realm.postValue(this, value);
  }

  take(): PortMessage | undefined {
    return this.realm.takeRouted(this);
  }

  close(): void {
    this.realm.closeRouted(this);
  }

  get peerClosed(): boolean {
    return this.#closeSeen;
  }

  localPeer(): MessagePortData | null {
    return this.realm.localPeerOf(this);
  }

  /** ref/unref, listeners or the peer's state changed: whether this port keeps its host alive. */
  refChanged(): void {
    const data = this.data;
    this.realm.keepsAlive(this, data.refed && data.listening && !data.closed && !this.#closeSeen);
  }

  /** A post of `bytes` to another node. */
  buffer(bytes: number): void {
    this.bufferedAmount += bytes;
    this.#unforwarded.push(bytes);
  }

  /** The routing core forwarded this port's oldest post: its size, to wait for the acknowledgement. */
  forwarded(): number | undefined {
    return this.#unforwarded.shift();
  }

  /** `bytes` were acknowledged (or can never be): true when that crossed the low threshold. */
  acknowledged(bytes: number): boolean {
    const before = this.bufferedAmount;
    this.bufferedAmount = Math.max(0, before - bytes);
    const threshold = this.data.bufferedAmountLowThreshold;
    return before > threshold && this.bufferedAmount <= threshold;
  }

  /**
   * The routing port's status may have changed: count the messages that arrived (each becomes a
   * task at the data) and, once, the peer's departure (a `close` task after them).
   */
  sync(available: number, peerClosed: boolean): void {
    for (let fresh = available - this.data.pending; fresh > 0; fresh--) this.data.routedMessageArrived();
    if (peerClosed && !this.#closeSeen) {
      this.#closeSeen = true;
      // Posts not yet forwarded are dropped with the peer: they will never be acknowledged.
      for (const bytes of this.#unforwarded.splice(0)) this.bufferedAmount -= bytes;
      this.data.routedPeerClosed();
      this.refChanged();
      if (this.data.pending === 0) this.realm.releaseRouted(this);
    }
  }
}
