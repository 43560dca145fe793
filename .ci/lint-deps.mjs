#!/usr/bin/env node
// `npm run lint:deps`: dependency-cruiser with .dependency-cruiser.cjs (one cruise, JSON), then the
// folder-cycle check over the same graph. Exit 1 on any violation. Paths default to every source folder.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';

const args = process.argv.slice(2);
const config = args[0] === '--config' ? (args.shift(), args.shift()) : '.dependency-cruiser.cjs';
const paths = args.length ? args : ['index.ts', 'compose.ts', 'policies', 'engine', 'adapters', 'embeddings', 'offline', 'cli', 'gateway', 'bench', 'playground/server', 'playground/web/src', 'testing'];
const out = join(mkdtempSync(join(tmpdir(), 'tollgate-deps-')), 'cruise.json');
try {
  const bin = fileURLToPath(new URL('../node_modules/dependency-cruiser/bin/dependency-cruise.mjs', import.meta.url));
  execFileSync(process.execPath, [bin, '--config', config, '--output-type', 'json', '--output-to', out, ...paths], { stdio: 'inherit' });
} catch {
  // depcruise exits non-zero on error-severity violations; they are in the JSON and reported below.
}
const result = JSON.parse(readFileSync(out, 'utf8'));
let failures = 0;
for (const v of result.summary.violations) {
  if (v.rule.severity !== 'error') continue;
  failures++;
  console.log(`error ${v.rule.name}: ${v.from} → ${v.to}`);
}

/** The folder a module belongs to, for the no-folder-cycles rule. */
const folder = (p) => {
  const m = /^(offline\/[^/]+|playground\/(?:server|web)|adapters|policies|engine|embeddings|cli|gateway|bench|examples|testing|test)\//.exec(p);
  if (m) return m[1];
  return /^(index|compose)\.ts$/.test(p) ? '(root entry)' : undefined;
};
const edges = new Map(); // folder -> Map(folder -> example "a → b")
for (const mod of result.modules) {
  const a = folder(mod.source);
  if (!a || a === 'test') continue;
  for (const d of mod.dependencies) {
    const b = folder(d.resolved);
    if (!b || b === a || b === 'test') continue;
    if (!edges.has(a)) edges.set(a, new Map());
    if (!edges.get(a).has(b)) edges.get(a).set(b, `${mod.source} → ${d.resolved}`);
  }
}
// Tarjan's strongly connected components over the folder graph.
let index = 0;
const idx = new Map(), low = new Map(), stack = [], on = new Set(), sccs = [];
const visit = (v) => {
  idx.set(v, index); low.set(v, index++); stack.push(v); on.add(v);
  for (const w of edges.get(v)?.keys() ?? []) {
    if (!idx.has(w)) { visit(w); low.set(v, Math.min(low.get(v), low.get(w))); }
    else if (on.has(w)) low.set(v, Math.min(low.get(v), idx.get(w)));
  }
  if (low.get(v) === idx.get(v)) {
    const scc = [];
    let w;
    do { w = stack.pop(); on.delete(w); scc.push(w); } while (w !== v);
    if (scc.length > 1) sccs.push(scc);
  }
};
for (const v of edges.keys()) if (!idx.has(v)) visit(v);
for (const scc of sccs) {
  failures++;
  console.log(`error no-folder-cycles: ${scc.join(' ⇄ ')}`);
  for (const a of scc) for (const [b, example] of edges.get(a) ?? []) if (scc.includes(b)) console.log(`    ${a} → ${b}: ${example}`);
}
console.log(failures ? `\n✘ ${failures} dependency-rule violation(s) (docs/architecture.md)` : `✔ dependency rules hold: ${result.summary.totalCruised} modules, ${result.summary.totalDependenciesCruised} dependencies, no folder cycles`);
process.exit(failures ? 1 : 0);
