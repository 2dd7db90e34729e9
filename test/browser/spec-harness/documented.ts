// The differences docs/deviations.md lists under "In Chromium": which spec tests fail on
// entangle in Chromium (its documented browser deviations) and which fail on Chromium's native
// MessageChannel. The document is the one source of truth; the e2e test compares it with what
// Chromium does and fails when they part.

import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Mode } from './build.ts';

const deviationsPath = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'docs', 'deviations.md');

/** One line of the section: - **native** `close.test.ts`: `spec 7: …` */
const entry = /^- \*\*(entangle|native)\*\* `([\w.-]+\.test\.ts)`: `(.+)`$/;

/** `<file>: <test name>` keys of the tests documented to fail in `mode`. */
export async function documentedFailures(): Promise<Record<Mode, Set<string>>> {
  const text = await readFile(deviationsPath, 'utf8');
  const start = text.indexOf('\n## In Chromium\n');
  if (start < 0) throw new Error('docs/deviations.md has no "## In Chromium" section');
  const end = text.indexOf('\n## ', start + 1);
  const section = text.slice(start, end < 0 ? undefined : end);
  const failures: Record<Mode, Set<string>> = { entangle: new Set(), native: new Set() };
  for (const line of section.split('\n')) {
    const match = entry.exec(line);
    if (match !== null) failures[match[1] as Mode].add(`${match[2]}: ${match[3]}`);
  }
  return failures;
}
