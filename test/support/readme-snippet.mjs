// `node test/support/readme-snippet.mjs README.md`: prints the README's library snippet (the first ```js
// block importing from 'tollgate'), for test/support/pack-install.sh to run in a fresh project.
import { readFileSync } from 'node:fs';

const readme = readFileSync(process.argv[2], 'utf8');
const block = /```js\n(import [^\n]*from 'tollgate';\n[\s\S]*?)```/.exec(readme);
if (!block) throw new Error('no ```js block importing from tollgate');
process.stdout.write(block[1]);
