// `npm run fuzz -- --seconds N`: the clone differential fuzzer (test/clone/fuzz.ts), then the wire
// fuzzer (test/wire/fuzz.ts), each in its own process for half of N. Each prints
// "N inputs tried, 0 failures"; exits non-zero if either fails.

import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const argv = process.argv.slice(2);
const i = argv.indexOf('--seconds');
const raw = i >= 0 ? argv[i + 1] : argv.find((a) => a.startsWith('--seconds='))?.slice('--seconds='.length);
const seconds = raw === undefined ? 20 : Number(raw);
if (!Number.isFinite(seconds) || seconds <= 0) throw new Error(`--seconds must be a positive number, got ${String(raw)}`);

let failed = false;
for (const name of ['clone', 'wire']) {
  const script = fileURLToPath(new URL(`./${name}/fuzz.ts`, import.meta.url));
  console.log(`${name} fuzzer, ${seconds / 2} s:`);
  const result = spawnSync(process.execPath, ['--import', 'tsx', script, '--seconds', String(seconds / 2)], { stdio: 'inherit' });
  if (result.status !== 0) failed = true;
}
process.exitCode = failed ? 1 : 0;
