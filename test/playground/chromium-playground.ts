import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { build } from 'vite';
import { afterAll, beforeAll } from 'vitest';
import { packageRoot } from '../../policies/bundled-files.js';
import { startPlayground, type PlaygroundOptions, type PlaygroundServer } from '../../playground/server/index.js';

const CHROMIUM = '/usr/bin/chromium';
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

/** A playground server on a fresh Vite build of the page, and a Debian Chromium page (playwright-core). */
export interface ChromiumPlayground {
  server: PlaygroundServer;
  browser: Browser;
  page: Page;
  close(): Promise<void>;
}

/**
 * Builds the page into a temporary folder, starts the playground on a spare port and opens Chromium
 * (1400×1000). Throws, with the command that fixes it, when Chromium is missing: browser tests never skip.
 */
export async function startChromiumPlayground(options: Omit<PlaygroundOptions, 'port' | 'distDir'> = {}): Promise<ChromiumPlayground> {
  if (!existsSync(CHROMIUM)) throw new Error(`Chromium is not installed at ${CHROMIUM}: install it with \`apt-get update && apt-get install -y chromium\`. The browser test never skips.`);
  const distDir = await mkdtemp(join(tmpdir(), 'tollgate-playground-dist-'));
  await build({ configFile: join(packageRoot(), 'playground', 'vite.config.ts'), logLevel: 'warn', build: { outDir: distDir, emptyOutDir: true } });
  const server = await startPlayground({ ...options, port: 0, distDir });
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS });
  const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
  return {
    server,
    browser,
    page,
    async close() {
      await browser.close();
      await server.close();
      await rm(distDir, { recursive: true, force: true });
    },
  };
}

/**
 * Registers `beforeAll`/`afterAll` hooks that start and close a {@link ChromiumPlayground} for the file's
 * tests; read `page` and `url` inside the tests (they are set once the hook has run).
 */
export function useChromiumPlayground(options: Omit<PlaygroundOptions, 'port' | 'distDir'> = {}): { readonly page: Page; readonly url: string } {
  let pg: ChromiumPlayground | undefined;
  beforeAll(async () => {
    pg = await startChromiumPlayground(options);
  }, 90_000);
  afterAll(async () => {
    await pg?.close();
  });
  return {
    get page() {
      return pg!.page;
    },
    get url() {
      return pg!.server.url;
    },
  };
}
