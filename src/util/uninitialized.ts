// New byte arrays whose every byte the caller writes at once, without zeroing them first where
// the host can (Node and Bun's Buffer.allocUnsafeSlow: a fresh, unpooled ArrayBuffer of exactly
// the size). Elsewhere, and for small sizes, a plain (zeroed) Uint8Array. Zeroing then copying a
// 1 MiB buffer took about twice as long as copying alone (measured for the wire codec).
//
// Only for bytes that are entirely overwritten before anyone can read them: an uninitialized
// byte left unwritten could expose old memory of this process.

const allocUnsafeSlow = (globalThis as { Buffer?: { allocUnsafeSlow?: (n: number) => Uint8Array } }).Buffer?.allocUnsafeSlow;

/** Below this size a zeroed array costs about the same. */
export const UNINITIALIZED_FROM = 4096;

/** Whether the host can allocate without zeroing (else uninitializedBytes zeroes too). */
export const canSkipZeroing = typeof allocUnsafeSlow === 'function';

/** `n` bytes over an ArrayBuffer of exactly n bytes, not zeroed when n ≥ UNINITIALIZED_FROM and the host allows: the caller must write every one. */
export function uninitializedBytes(n: number): Uint8Array<ArrayBuffer> {
  if (n < UNINITIALIZED_FROM || allocUnsafeSlow === undefined) return new Uint8Array(n);
  const bytes = allocUnsafeSlow(n);
  // Callers may hand out the ArrayBuffer itself: it must be exactly these n bytes (an unpooled
  // Buffer's is). A plain Uint8Array over it: a Buffer's methods are not wanted here.
  if (bytes.byteOffset !== 0 || bytes.buffer.byteLength !== n) return new Uint8Array(n);
  return new Uint8Array(bytes.buffer as ArrayBuffer, 0, n);
}
