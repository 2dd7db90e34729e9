// The two kinds of errors entangle throws: what the spec can observe is a DOMException with
// the spec's exact name, made here so messages stay consistent; everything else is an
// EntangleError with a stable `code` (transport, protocol and limit failures, in later layers).

// Captured at load: user code that deletes or replaces the global must not change our errors.
const DOMExceptionCtor = globalThis.DOMException;

/** `DataCloneError` DOMException: a value or transfer list the structured clone cannot take. */
export function dataCloneError(message: string): DOMException {
  return new DOMExceptionCtor(message, 'DataCloneError');
}

/** A `TypeError` as WebIDL conversions and brand checks throw it. */
export function typeError(message: string): TypeError {
  return new TypeError(message);
}

/** Brand-check failure, worded as browsers word it. */
export function illegalInvocation(): TypeError {
  return new TypeError('Illegal invocation');
}

/** Stable error codes; each later layer adds its own. */
export type EntangleErrorCode = 'ENTANGLE_DESERIALIZE_FAILED';

/** An error that is not the spec's to name: it carries a stable `code` for programs to test. */
export class EntangleError extends Error {
  readonly code: EntangleErrorCode;
  constructor(code: EntangleErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'EntangleError';
    this.code = code;
  }
}
