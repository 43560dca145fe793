import { execFileSync } from 'node:child_process';

/** Absolute path of a Prometheus tool, or a thrown error saying how to install it (tests never skip). */
export function prometheusTool(name: 'prometheus' | 'promtool'): string {
  try {
    return execFileSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' }).trim();
  } catch {
    throw new Error(`${name} not found: install Debian's Prometheus with \`apt-get install -y prometheus\` (.ci/run does this)`);
  }
}
