// Debian's Chromium, driven by playwright-core: no browser download. The flags keep it off the
// network (this machine's and CI's closed network refuses its background connections).

import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

export const CHROMIUM_PATH = process.env.ENTANGLE_CHROMIUM ?? '/usr/bin/chromium';

/** Why browser tests cannot run here, or null when they can (for `test(..., { skip })`). */
export function chromiumMissing(): string | null {
  return existsSync(CHROMIUM_PATH) ? null : `no Chromium at ${CHROMIUM_PATH} (.ci/run installs Debian's chromium)`;
}

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--disable-dev-shm-usage',
    ],
  });
}
