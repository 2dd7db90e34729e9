// Which spec tests do not run in Chromium, or not against the native API, each with its reason.
// (Tests that reach `dataOf` or `receiveMessageOnPort` are marked not applicable at run time,
// by native.ts; the e2e test checks that every name here still names a test.)

/** In a window `globalThis` is a WindowProxy, which MessageEventInit's `source` accepts. */
const WINDOW_PROXY = 'in a window globalThis is a WindowProxy, a valid MessageEventSource: the test states what holds on Node';

/** Skipped in both runs. */
export const skipInChromium: Readonly<Record<string, string>> = {
  'spec 22: source: globalThis (not a WindowProxy on Node) throws TypeError': WINDOW_PROXY,
  'spec 22 (Node §10): new MessageEvent("message", { source: globalThis }) throws TypeError': WINDOW_PROXY,
};

/** Not applicable to Chromium's native API, by exact name. */
const nativeNotApplicable: Readonly<Record<string, string>> = {
  'spec 1–3: the prototypes expose the IDL members and the documented extensions, nothing internal':
    'lists entangle\'s extensions (ref, bufferedAmount, …) and its own addEventListener as prototype members',
};

/**
 * Why `name` does not apply to the native API, or null when it does. Every test named
 * `extension: …` is about an entangle extension (receiveMessageOnPort, ref/unref/hasRef), which
 * Chromium does not have. ('spec 4: MessagePort methods called on a non-port throw TypeError'
 * stays applicable: its ref/unref/hasRef lines hold vacuously there, its postMessage/start/close
 * lines are real brand checks.)
 */
export function notApplicableNatively(name: string): string | null {
  if (name.startsWith('extension: ')) return 'an entangle extension (named after Node\'s), not in the HTML Standard; Chromium has none';
  return nativeNotApplicable[name] ?? null;
}

/** Every name the plan mentions, to check that each still names a test. */
export const plannedNames: readonly string[] = [...Object.keys(skipInChromium), ...Object.keys(nativeNotApplicable)];
