// Event handler IDL attributes (onmessage, onmessageerror, onclose): one listener per
// attribute, added when first set to an object and removed when set to null.
// https://html.spec.whatwg.org/multipage/webappapis.html#event-handler-attributes

/** The state of one event handler attribute on one target. */
export class EventHandlerSlot {
  value: object | null = null;
  listener: ((event: Event) => void) | null = null;
}

/**
 * Setting an event handler IDL attribute. [LegacyTreatNonObjectAsNull]: a non-object becomes
 * null. A new callback replaces the old one in the same listener position, as HTML specifies.
 */
export function setEventHandler(target: EventTarget, type: string, slot: EventHandlerSlot, value: unknown): void {
  const callback = (typeof value === 'object' && value !== null) || typeof value === 'function' ? value : null;
  if (callback === null) {
    // Deactivate: remove the listener; a later set adds it anew, at the end of the list.
    if (slot.listener !== null) target.removeEventListener(type, slot.listener);
    slot.listener = null;
    slot.value = null;
    return;
  }
  slot.value = callback;
  if (slot.listener === null) {
    const listener = (event: Event): void => invokeEventHandler(slot, event);
    slot.listener = listener;
    target.addEventListener(type, listener);
  }
}

/** The event handler processing algorithm, for events that are not ErrorEvents. */
function invokeEventHandler(slot: EventHandlerSlot, event: Event): void {
  const callback = slot.value;
  if (callback === null) return;
  // WebIDL "invoke a callback function": a non-callable value (possible only through
  // [LegacyTreatNonObjectAsNull], e.g. `onmessage = { handleEvent() {} }`) returns undefined.
  if (typeof callback !== 'function') return;
  const returned: unknown = Reflect.apply(callback, event.currentTarget, [event]);
  if (returned === false) event.preventDefault();
}
