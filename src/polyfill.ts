// entangle/polyfill: importing it defines MessageChannel, MessagePort, MessageEvent and
// structuredClone on globalThis where the host lacks them (jsdom, edge runtimes, embedded engines).

import { MessageChannel, MessageEvent, MessagePort, structuredClone } from './index.ts';

export interface InstallOptions {
  /** Replace the host's own implementations too (so that libraries which create channels get entangle's). */
  force?: boolean;
}

const globals = { MessageChannel, MessagePort, MessageEvent, structuredClone } as const;

/** Define the globals; returns the names it defined. Safe to call more than once. */
export function install(options: InstallOptions = {}): string[] {
  const installed: string[] = [];
  for (const [name, value] of Object.entries(globals)) {
    const current = (globalThis as Record<string, unknown>)[name];
    if (current === value || (current !== undefined && options.force !== true)) continue;
    // As WebIDL exposes interfaces on the global: writable, configurable, not enumerable.
    Object.defineProperty(globalThis, name, { value, writable: true, configurable: true, enumerable: false });
    installed.push(name);
  }
  return installed;
}

install();
