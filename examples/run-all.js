// `npm start`: run every example in order, each in its own process, and show its output.
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const examples = readdirSync(here).filter((name) => /^\d\d-.*\.js$/.test(name)).sort();
let failed = 0;
for (const name of examples) {
  console.log(`\n── examples/${name}`);
  const run = spawnSync(process.execPath, [join(here, name)], { stdio: 'inherit', timeout: 10_000 });
  if (run.status !== 0) {
    failed++;
    console.log(`   (exited with ${run.status ?? run.signal})`);
  }
}
process.exitCode = failed === 0 ? 0 : 1;
