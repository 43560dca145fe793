import { join } from 'node:path';
import { packageRoot } from '../index.js';

/**
 * `npm run bench`: runs every benchmark module, prints a table per module and writes
 * `bench/results/<module>.json`. Figures are ratios against a peer measured in the same run where
 * possible, because these machines are shared and noisy. `npm run bench -- core gateway` runs a subset.
 */
const MODULES: Record<string, { file: string; fn: string }> = {
  core: { file: './core.js', fn: 'runCoreBench' },
  simulate: { file: './simulate.js', fn: 'runSimulateBench' },
  tokens: { file: './tokens.js', fn: 'runTokensBench' },
  budgets: { file: './budgets.js', fn: 'runBudgetsBench' },
  embeddings: { file: './embeddings.js', fn: 'runEmbeddingsBench' },
  'semantic-cache': { file: './semantic-cache.js', fn: 'runSemanticCacheBench' },
  gateway: { file: './gateway.js', fn: 'runGatewayBench' },
  routing: { file: './routing.js', fn: 'runRoutingBench' },
  postgres: { file: './postgres.js', fn: 'runPostgresBench' },
  peer: { file: './peer.js', fn: 'runPeerBench' },
};

async function main(): Promise<void> {
  const outDir = join(packageRoot(), 'bench', 'results');
  const wanted = process.argv.slice(2).filter((a) => !a.startsWith('-'));
  const names = wanted.length ? wanted : Object.keys(MODULES);
  let failed = 0;
  for (const name of names) {
    const m = MODULES[name];
    if (!m) {
      console.error(`unknown bench "${name}" (have: ${Object.keys(MODULES).join(', ')})`);
      failed++;
      continue;
    }
    let mod: Record<string, unknown>;
    try {
      mod = (await import(m.file)) as Record<string, unknown>;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ERR_MODULE_NOT_FOUND' && String(err).includes(m.file.slice(2))) {
        console.log(`\n(${name}: no benchmark module yet)`);
        continue;
      }
      throw err;
    }
    const started = Date.now();
    try {
      await (mod[m.fn] as (dir: string) => Promise<unknown>)(outDir);
      console.log(`(${name}: ${((Date.now() - started) / 1000).toFixed(1)} s)`);
    } catch (err) {
      failed++;
      console.error(`bench ${name} failed: ${(err as Error).stack ?? err}`);
    }
  }
  console.log(`\nresults in ${outDir}`);
  process.exitCode = failed ? 1 : 0;
}

await main();
