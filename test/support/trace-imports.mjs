// `node test/support/trace-imports.mjs <module path>`: imports the module under test/support/ts-hooks.mjs
// and prints JSON { resolved: [every URL the ESM loader resolved], required: [require.cache keys] }.
import { createRequire, register } from 'node:module';
import { MessageChannel } from 'node:worker_threads';
import { pathToFileURL } from 'node:url';

const { port1, port2 } = new MessageChannel();
const resolved = new Set();
port1.on('message', (url) => resolved.add(url));
port1.unref();
register('./ts-hooks.mjs', { parentURL: import.meta.url, data: { port: port2 }, transferList: [port2] });
await import(pathToFileURL(process.argv[2]).href);
await new Promise((r) => setTimeout(r, 50)); // let the hooks thread's last messages arrive
const required = Object.keys(createRequire(import.meta.url).cache);
console.log(JSON.stringify({ resolved: [...resolved], required }));
