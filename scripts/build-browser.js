// The browser build (part of npm run build): the core (`entangle`) and `entangle/browser` as
// minified ESM in dist/bundle/ (the two share chunks, so a page that loads both has one
// MessagePort class). Prints each entry's size; fails on a Node built-in, or if the core is over
// its budget.
import { bundleForBrowser } from './browser-bundle.js';

/** The core's budget, gzipped: what a page pays for MessageChannel, MessagePort and structuredClone. */
const CORE_BUDGET_BYTES = 30 * 1024;

const kib = (bytes) => `${(bytes / 1024).toFixed(1)} KiB`;

let sizes;
try {
  sizes = await bundleForBrowser({ entangle: 'src/index.ts', 'entangle-browser': 'src/browser/index.ts' }, 'dist/bundle');
} catch (error) {
  console.error(`The browser build failed:\n${(error.errors ?? [error]).map((e) => `  ${e.text ?? e.message}`).join('\n')}`);
  process.exit(1);
}
console.log('browser build (dist/bundle/):');
for (const { name, minified, gzipped } of sizes) {
  console.log(`  ${`${name}.js`.padEnd(22)}${kib(minified).padStart(10)} minified${kib(gzipped).padStart(10)} gzipped`);
}
const core = sizes.find(({ name }) => name === 'entangle');
if (core.gzipped > CORE_BUDGET_BYTES) {
  console.error(`The core is ${kib(core.gzipped)} gzipped: over its budget of ${kib(CORE_BUDGET_BYTES)}.`);
  process.exit(1);
}
