// Events that the user agent fires have isTrusted === true; events a script constructs do not.
// https://dom.spec.whatwg.org/#dom-event-istrusted

const trueGetter = Object.getOwnPropertyDescriptor({ get isTrusted() { return true; } }, 'isTrusted')!.get!;

/**
 * Mark an event the library dispatches as trusted, where the host lets a script do so: on
 * Node, isTrusted is an accessor on Event.prototype, so an own accessor shadows it.
 * DEVIATION(isTrusted in browsers): browsers define isTrusted as an unforgeable own property of
 * every event, so an event that script dispatches stays untrusted there (docs/deviations.md).
 */
export function markTrusted(event: Event): Event {
  if (!Object.prototype.hasOwnProperty.call(event, 'isTrusted')) {
    Object.defineProperty(event, 'isTrusted', { get: trueGetter, enumerable: true, configurable: false });
  }
  return event;
}

/** Whether the host lets `markTrusted` work (for tests and docs). */
export const canMarkTrusted = !Object.prototype.hasOwnProperty.call(new Event('probe'), 'isTrusted');
