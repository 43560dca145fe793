// Node module hooks (module.register) that run the TypeScript sources directly in plain Node — no
// vitest, no bundler — so a test can see exactly which packages an entry point loads: `.js` specifiers
// resolve to the `.ts` file beside them, `.ts` files are transpiled with TypeScript's transpileModule,
// and every resolved URL is posted to the main thread (see test/support/trace-imports.mjs).
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

let port;
export function initialize(data) {
  port = data.port;
}

export async function resolve(specifier, context, next) {
  if (specifier.endsWith('.js') && (specifier.startsWith('.') || specifier.startsWith('file:')) && context.parentURL?.startsWith('file:')) {
    const url = new URL(specifier.replace(/\.js$/, '.ts'), context.parentURL);
    if (existsSync(fileURLToPath(url)) && !existsSync(fileURLToPath(new URL(specifier, context.parentURL)))) {
      port?.postMessage(url.href);
      return { url: url.href, shortCircuit: true, format: 'module' };
    }
  }
  const result = await next(specifier, context);
  port?.postMessage(result.url);
  return result;
}

export async function load(url, context, next) {
  if (url.startsWith('file:') && url.endsWith('.ts')) {
    const source = await readFile(fileURLToPath(url), 'utf8');
    const out = ts.transpileModule(source, { fileName: fileURLToPath(url), compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022, verbatimModuleSyntax: false } });
    return { format: 'module', source: out.outputText, shortCircuit: true };
  }
  return next(url, context);
}
