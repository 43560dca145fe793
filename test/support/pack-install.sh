#!/usr/bin/env bash
# Packs a Tollgate source tree and installs the tarball into a fresh project outside it, with no flags
# (the source tree's .npmrc does not apply there), then imports `tollgate`, routes one request with the
# simulated adapter and prints node_modules size, import time and RSS. Used for docs/packaging.md.
#   test/support/pack-install.sh [SOURCE_DIR] [WORK_DIR]
set -euo pipefail
src="$(cd "${1:-$(dirname "$0")/../..}" && pwd)"
work="${2:-$(mktemp -d /tmp/tollgate-pack-XXXXXX)}"
mkdir -p "$work"
tarball="$(cd "$src" && npm pack --silent --pack-destination "$work" | tail -1)"
echo "tarball: $work/$tarball ($(du -h "$work/$tarball" | cut -f1))"
app="$work/app"
rm -rf "$app" && mkdir -p "$app" && cd "$app"
npm init -y >/dev/null && npm pkg set type=module >/dev/null
start=$(date +%s.%N)
npm install --no-audit --no-fund "$work/$tarball" >"$work/install.log" 2>&1 || { cat "$work/install.log"; exit 1; }
echo "npm install: $(echo "$(date +%s.%N) - $start" | bc) s, $(grep -Eo 'added [0-9]+ packages' "$work/install.log")"
echo "node_modules: $(du -sm node_modules | cut -f1) MB"
cat > route.mjs <<'JS'
const t0 = performance.now();
const { createTollgate, SimulatedAdapter } = await import('tollgate');
const importMs = performance.now() - t0;
const rssAfterImport = process.memoryUsage().rss;
const tollgate = createTollgate({
  policy: {
    name: 'measure',
    models: [
      { id: 'llama-3.1-8b-local', tier: 'local-gpu', adapter: 'simulated', contextWindow: 32768, quality: 0.7, infra: { gpuHourlyUsd: 2.5, gpus: 1, tokensPerSecond: 2400 } },
      { id: 'gpt-4o', tier: 'vendor', adapter: 'simulated', contextWindow: 128000, quality: 0.92 },
    ],
    rules: [{ name: 'everything', qualityFloor: 0.65 }],
  },
});
const res = await tollgate.complete({ tenant: 'acme', messages: [{ role: 'user', content: 'Summarise our refund policy in one line.' }] });
const native = process.moduleLoadList ? process.moduleLoadList.filter((m) => m.includes('.node')) : [];
const loaded = Object.keys((await import('node:module')).createRequire(import.meta.url).cache ?? {});
console.log(JSON.stringify({ importMs: Math.round(importMs), rssMB: Math.round(rssAfterImport / 2 ** 20), model: res.model, fullCostMicros: res.cost.full, heavy: loaded.filter((f) => /onnxruntime|lancedb|ioredis|bullmq|apache-arrow/.test(f)), native }));
JS
node route.mjs

# The README's library snippet, as written, in this fresh project.
node "$src/test/support/readme-snippet.mjs" "$src/README.md" > quickstart.mjs
node quickstart.mjs >"$work/quickstart.log" && echo "README snippet: ran ($(head -1 "$work/quickstart.log"))"

# Every subpath entry imports; the heavy ones fail only on first use, with the typed error.
for sub in embeddings redis postgres observers classifiers trace simulation learning billing reporting gateway; do
  node -e "import('tollgate/$sub').then(() => console.log('tollgate/$sub: ok'), (e) => console.log('tollgate/$sub: FAILED ' + e.message))"
done
node -e "import('tollgate/embeddings').then(({ createEmbedder }) => createEmbedder()).then(() => console.log('embedder loaded?!'), (e) => console.log('createEmbedder() without onnxruntime-node: ' + e.code + ': ' + e.message))"

# The CLI from the install: version, and the playground serves its built page.
npx tollgate --version
npx tollgate playground --port 0 >"$work/playground.log" 2>&1 &
pg=$!
for _ in $(seq 1 40); do grep -Eo 'http://[0-9.:]+' "$work/playground.log" >/dev/null 2>&1 && break; sleep 0.25; done
url=$(grep -Eo 'http://127.0.0.1:[0-9]+' "$work/playground.log" | head -1)
echo "playground: GET $url/ -> $(curl -s -o /dev/null -w '%{http_code}' "$url/")"
kill $pg 2>/dev/null || true

