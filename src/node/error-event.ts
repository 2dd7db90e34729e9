// ErrorEvent, for a Worker's uncaught exceptions: the host's where there is one (Node ≥ 22 has
// none before 23), else the same shape (HTML's ErrorEvent: message, filename, lineno, colno, error).

export interface ErrorEventInit extends EventInit {
  message?: string;
  filename?: string;
  lineno?: number;
  colno?: number;
  error?: unknown;
}

class EntangleErrorEvent extends Event {
  readonly message: string;
  readonly filename: string;
  readonly lineno: number;
  readonly colno: number;
  readonly error: unknown;
  constructor(type: string, init: ErrorEventInit = {}) {
    super(type, init);
    this.message = init.message ?? '';
    this.filename = init.filename ?? '';
    this.lineno = init.lineno ?? 0;
    this.colno = init.colno ?? 0;
    this.error = init.error;
  }
}

const Host = (globalThis as unknown as { ErrorEvent?: typeof EntangleErrorEvent }).ErrorEvent;

export const ErrorEvent: typeof EntangleErrorEvent = Host ?? EntangleErrorEvent;
export type ErrorEvent = EntangleErrorEvent;
