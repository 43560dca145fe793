import { Session } from 'node:inspector/promises';

/** Self time per module (npm package, node: built-in, or our file) as a share of the profile. */
export interface ProfileShare {
  module: string;
  ms: number;
  share: number;
}

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string };
}

/**
 * CPU-profiles `fn` with the V8 inspector and returns the top modules by self time: which package
 * (xstate, zod, …), built-in (`node:internal/crypto/hash`) or source file the time went to.
 */
export async function profileByModule(fn: () => Promise<unknown>, top = 15): Promise<ProfileShare[]> {
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.setSamplingInterval', { interval: 200 });
  await session.post('Profiler.start');
  let profile: { nodes: ProfileNode[]; samples: number[]; timeDeltas: number[] };
  try {
    await fn();
  } finally {
    profile = ((await session.post('Profiler.stop')) as { profile: typeof profile }).profile;
    session.disconnect();
  }
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const agg = new Map<string, number>();
  let total = 0;
  profile.samples.forEach((id, i) => {
    const dt = profile.timeDeltas[i] ?? 0;
    const key = moduleOf(byId.get(id)!.callFrame);
    agg.set(key, (agg.get(key) ?? 0) + dt);
    total += dt;
  });
  return [...agg]
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .map(([module, us]) => ({ module, ms: Math.round(us / 1000), share: Math.round((1000 * us) / total) / 1000 }));
}

function moduleOf(frame: ProfileNode['callFrame']): string {
  const url = frame.url;
  if (!url) return frame.functionName || '(native)';
  if (url.startsWith('node:')) return url;
  const nm = url.lastIndexOf('node_modules/');
  if (nm >= 0) {
    const parts = url.slice(nm + 13).split('/');
    return parts[0]!.startsWith('@') ? `${parts[0]}/${parts[1]}` : parts[0]!;
  }
  const m = /\/(?:dist\/)?((?:engine|adapters|policies|cli|bench)\/.*)$/.exec(url);
  return m ? m[1]! : url;
}
