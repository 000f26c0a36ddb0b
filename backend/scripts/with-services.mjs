// Runs a test command that needs the PostgreSQL and Redis of docs/deployment.md#tests, after
// checking that both answer. Where one is missing the command is skipped with a loud message;
// in CI (CI=true) a missing service fails the run instead, so CI never passes by skipping.
//
//   node backend/scripts/with-services.mjs "<what>" <command> [args...]
import { spawn } from 'node:child_process';
import { Redis } from 'ioredis';
import pg from 'pg';

const [what, command, ...args] = process.argv.slice(2);
if (!what || !command) {
  console.error('usage: with-services.mjs "<what>" <command> [args...]');
  process.exit(2);
}
const pgUrl = process.env.PARLEY_TEST_PG_URL || 'postgresql://postgres@127.0.0.1:5432/postgres';
const redisUrl = process.env.PARLEY_TEST_REDIS_URL || 'redis://127.0.0.1:6379';
const inCi = ['1', 'true'].includes(String(process.env.CI).toLowerCase());

function redact(url) {
  const u = new URL(url);
  if (u.password) u.password = '***';
  return u.toString();
}

async function probePostgres() {
  const client = new pg.Client({ connectionString: pgUrl, connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
    await client.query('SELECT 1');
    return null;
  } catch (err) {
    return `PostgreSQL at ${redact(pgUrl)}: ${err.message}`;
  } finally {
    await client.end().catch(() => {});
  }
}

async function probeRedis() {
  const redis = new Redis(redisUrl, {
    lazyConnect: true,
    connectTimeout: 3000,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  let cause = '';
  redis.on('error', (err) => (cause = err.message)); // reported below with connect()'s rejection
  try {
    await redis.connect();
    await redis.ping();
    return null;
  } catch (err) {
    return `Redis at ${redact(redisUrl)}: ${cause || err.message}`;
  } finally {
    redis.disconnect();
  }
}

const problems = (await Promise.all([probePostgres(), probeRedis()])).filter(Boolean);
if (problems.length > 0) {
  const bar = '!'.repeat(78);
  const lines = [
    bar,
    `${inCi ? 'FAILED' : 'SKIPPED'}: ${what}`,
    ...problems.map((p) => `  unreachable: ${p}`),
    inCi
      ? '  CI must run these tests: start the services (PARLEY_TEST_PG_URL, PARLEY_TEST_REDIS_URL).'
      : '  Start PostgreSQL and Redis (or set PARLEY_TEST_PG_URL / PARLEY_TEST_REDIS_URL) to run them.',
    bar,
  ];
  console.error(lines.join('\n'));
  process.exit(inCi ? 1 : 0);
}

const child = spawn(command, args, { stdio: 'inherit' });
child.on('error', (err) => {
  console.error(`could not start ${command}: ${err.message}`);
  process.exit(1);
});
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
