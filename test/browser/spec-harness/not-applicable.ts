// The mark a test leaves when it reaches something Chromium's native ports have no counterpart
// for (an entangle extension, entangle's internal state): the runner reports the test as not
// applicable instead of failed, even when an `assert.throws` swallowed the error.

let reasonInCurrentTest: string | null = null;

export class NotApplicableError extends Error {
  override name = 'NotApplicableError';
  constructor(reason: string) {
    super(reason);
    reasonInCurrentTest ??= reason;
  }
}

/** The first reason marked since the last call, and clear it (the runner calls it per test). */
export function takeNotApplicable(): string | null {
  const reason = reasonInCurrentTest;
  reasonInCurrentTest = null;
  return reason;
}
