/**
 * vitest globalSetup: makes `npm test` work on a fresh machine right after `npm ci`. The suites use real
 * services — Chromium at /usr/bin/chromium, prometheus + promtool, Redis at 127.0.0.1:6379, PostgreSQL at 127.0.0.1:5432 (db
 * `test`). Each is checked; a missing one is started (and installed with apt-get when running as root)
 * when that is possible here, otherwise the run stops at once with the one command that fixes it.
 * TOLLGATE_REDIS_URL / TOLLGATE_PG_URL point the suites at other servers (then nothing is started).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import { connect } from 'node:net';

const CHROMIUM = '/usr/bin/chromium';

class SetupError extends Error {
  constructor(what: string, fix: string) {
    super(`test setup: ${what}. Fix: ${fix}`);
  }
}

const isRoot = (): boolean => process.getuid?.() === 0;
const has = (cmd: string): boolean => spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
const run = (cmd: string, args: string[]): boolean => spawnSync(cmd, args, { stdio: 'ignore', timeout: 600_000 }).status === 0;

let aptUpdated = false;
function aptInstall(pkg: string): boolean {
  if (!isRoot() || !has('apt-get')) return false;
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  if (!aptUpdated) aptUpdated = spawnSync('apt-get', ['update', '-qq'], { stdio: 'ignore', env, timeout: 600_000 }).status === 0;
  return spawnSync('apt-get', ['install', '-y', '-qq', pkg], { stdio: 'ignore', env, timeout: 600_000 }).status === 0;
}

/** True when something accepts TCP connections at host:port within `ms`. */
function listening(host: string, port: number, ms = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const done = (ok: boolean): void => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(ms, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

async function waitListening(host: string, port: number, seconds: number): Promise<boolean> {
  for (let i = 0; i < seconds * 4; i++) {
    if (await listening(host, port, 250)) return true;
    await new Promise((r) => setTimeout(r, 250));
  }
  return false;
}

function ensureChromium(): void {
  if (existsSync(CHROMIUM)) return;
  if (aptInstall('chromium') && existsSync(CHROMIUM)) return;
  throw new SetupError(`Chromium is not installed at ${CHROMIUM} (the playground's browser test drives it)`, 'sudo apt-get update && sudo apt-get install -y chromium');
}

async function ensureRedis(): Promise<void> {
  if (process.env.TOLLGATE_REDIS_URL) return;
  if (await listening('127.0.0.1', 6379)) return;
  const fix = 'sudo apt-get install -y redis-server && redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save ""';
  if (!has('redis-server') && !aptInstall('redis-server')) throw new SetupError('Redis is not running at 127.0.0.1:6379 and redis-server is not installed', fix);
  const dir = '/tmp/tollgate-test-redis';
  mkdirSync(dir, { recursive: true });
  run('redis-server', ['--daemonize', 'yes', '--bind', '127.0.0.1', '--port', '6379', '--save', '', '--appendonly', 'no', '--dir', dir, '--logfile', `${dir}/redis.log`]);
  if (!(await waitListening('127.0.0.1', 6379, 10))) throw new SetupError('redis-server did not start on 127.0.0.1:6379', fix);
}

async function ensurePostgres(): Promise<void> {
  if (process.env.TOLLGATE_PG_URL) return;
  const start = 'pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start';
  if (!(await listening('127.0.0.1', 5432))) {
    if (!existsSync('/etc/postgresql') && !aptInstall('postgresql')) {
      throw new SetupError('PostgreSQL is not running at 127.0.0.1:5432 and is not installed', `sudo apt-get install -y postgresql && sudo ${start}`);
    }
    const versions = existsSync('/etc/postgresql') ? readdirSync('/etc/postgresql') : [];
    for (const v of versions) run('pg_ctlcluster', ['--skip-systemctl-redirect', v, 'main', 'start']);
    if (!(await waitListening('127.0.0.1', 5432, 20))) throw new SetupError('PostgreSQL did not start on 127.0.0.1:5432', `sudo ${start}`);
  }
  // The suites connect as postgres@127.0.0.1 to db `test` (test/support/postgres.ts); create it when missing.
  const pg = (await import('pg')).default;
  const client = new pg.Client({ connectionString: 'postgres://postgres@127.0.0.1:5432/postgres', connectionTimeoutMillis: 5000 });
  try {
    await client.connect();
    const exists = await client.query("SELECT 1 FROM pg_database WHERE datname = 'test'");
    if (!exists.rowCount) await client.query('CREATE DATABASE test');
  } catch (err) {
    throw new SetupError(
      `PostgreSQL at 127.0.0.1:5432 does not let postgres create or open db test (${(err as Error).message})`,
      "sudo -u postgres psql -c 'CREATE DATABASE test' (and trust local TCP connections for postgres in pg_hba.conf)",
    );
  } finally {
    await client.end().catch(() => undefined);
  }
}

function ensurePrometheus(): void {
  if (has('promtool') && has('prometheus')) return;
  if (aptInstall('prometheus') && has('promtool') && has('prometheus')) return;
  throw new SetupError('prometheus and promtool are not installed (the alert rules\' tests run them)', 'sudo apt-get update && sudo apt-get install -y prometheus');
}

export default async function setup(): Promise<void> {
  ensureChromium();
  ensurePrometheus();
  await ensureRedis();
  await ensurePostgres();
}
