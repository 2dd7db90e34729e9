// `npm start`: run every example in order, each in its own process, and show its output; then
// the tour of Node boundaries (examples/tour/main.js: threads, processes, WebSocket).
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const examples = readdirSync(here).filter((name) => /^\d\d-.*\.js$/.test(name)).sort();
let failed = 0;
for (const [name, timeout] of [...examples.map((name) => [name, 10_000]), ['tour/main.js', 40_000]]) {
  console.log(`\n── examples/${name}`);
  const run = spawnSync(process.execPath, [join(here, name)], { stdio: 'inherit', timeout });
  if (run.status !== 0) {
    failed++;
    console.log(`   (exited with ${run.status ?? run.signal})`);
  }
}
process.exitCode = failed === 0 ? 0 : 1;
