// The messages a link has sent and the peer has not acknowledged, by sequence number: appended on
// send, read again on resume, dropped from the front by cumulative acks.

import type { Bytes } from '../util/gather.ts';

/**
 * A message as a link holds it: its bytes, or the pieces they are made of in order (a short
 * header and a large body: written into the DATA frame one after the other, never joined first).
 */
export type LinkMessage = Bytes;

export class ResendBuffer {
  #items: LinkMessage[] = [];
  /** Each held message's length (a message of pieces would otherwise be summed again at every use). */
  #lengths: number[] = [];
  /** Index in #items of the oldest message still held. */
  #head = 0;
  /** Sequence number of #items[#head]. */
  #firstSeq = 1;
  #bytes = 0;

  /** Sequence number of the oldest held message (one past the last acknowledged). */
  get firstSeq(): number {
    return this.#firstSeq;
  }

  /** Messages held. */
  get count(): number {
    return this.#items.length - this.#head;
  }

  /** Sum of their lengths. */
  get bytes(): number {
    return this.#bytes;
  }

  push(message: LinkMessage, length: number): void {
    this.#items.push(message);
    this.#lengths.push(length);
    this.#bytes += length;
  }

  /** The message with sequence number `seq` (firstSeq ≤ seq < firstSeq + count). */
  get(seq: number): LinkMessage {
    return this.#items[this.#head + (seq - this.#firstSeq)]!;
  }

  /** The held messages and their lengths as arrays, and the index of `seq` in them: for encoding a run without copying. */
  view(seq: number): { items: readonly LinkMessage[]; lengths: readonly number[]; index: number } {
    return { items: this.#items, lengths: this.#lengths, index: this.#head + (seq - this.#firstSeq) };
  }

  /** Drops every message with a sequence number ≤ `seq`. */
  ackUpTo(seq: number): void {
    while (this.#firstSeq <= seq && this.#head < this.#items.length) {
      this.#bytes -= this.#lengths[this.#head]!;
      this.#items[this.#head] = EMPTY;
      this.#head++;
      this.#firstSeq++;
    }
    // Compact once the dropped prefix is most of the array, so memory follows what is held.
    if (this.#head === this.#items.length) {
      this.#items = [];
      this.#lengths = [];
      this.#head = 0;
    } else if (this.#head > 1024 && this.#head * 2 > this.#items.length) {
      this.#items = this.#items.slice(this.#head);
      this.#lengths = this.#lengths.slice(this.#head);
      this.#head = 0;
    }
  }

  /** Drops everything (the link is lost). */
  clear(): void {
    this.#firstSeq += this.count;
    this.#items = [];
    this.#lengths = [];
    this.#head = 0;
    this.#bytes = 0;
  }
}

const EMPTY = new Uint8Array(0);
