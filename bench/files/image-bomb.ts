// `npm run bench:image-bomb`: how much memory the server takes while it refuses a PNG "image bomb"
// (10000×5000 pixels of one colour: a few hundred KB that would decode to 150 MB of pixels), next
// to a real upload of an image under the cap (4000×3000, which it decodes and re-encodes).
//
// One server process (`backend/src/main.ts`, SQLite, local file storage in a temporary folder);
// alice (demo user) uploads to bob over tus. The server's RSS is read from /proc: before each
// upload, its peak while the upload is handled (VmHWM, reset before through clear_refs), and after.
// Writes bench/results/image-bomb.md.
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { login, solidPng, spawnServer, tempDir, TestClient, uploadFile } from '@parley/backend/testing';
import { repoRoot } from '../lib/servers.ts';

const MB = 1024 * 1024;

function memory(pid: number): { rss: number; peak: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN) * 1024;
  return { rss: kb('VmRSS'), peak: kb('VmHWM') };
}

/** Resets the peak RSS (VmHWM) to the current RSS (Linux: clear_refs 5, allowed on one's own child). */
function resetPeak(pid: number) {
  writeFileSync(`/proc/${pid}/clear_refs`, '5');
}

const dir = tempDir();
const server = await spawnServer(join(dir, 'db'), { FILE_DIR: join(dir, 'files') });
const pid = server.child.pid!;
const rows: string[] = [];
try {
  const { token } = await login(server.url, 'alice');
  const client = await TestClient.connect(server.url, token);
  const bob = client.ready.roster.find((e) => e.user.username === 'bob')!.user.id;
  client.close();
  const meta = (name: string) => ({ name, conversation: `direct:${bob}` });

  // Warm-up: sharp and file-type loaded, one small image through the whole path.
  const warm = await uploadFile(server, token, await solidPng(64, 64), meta('warm.png'));
  if (warm.status !== 204) throw new Error(`warm-up upload answered ${warm.status}`);

  const cases: [string, Buffer, number][] = [
    ['PNG bomb 10000×5000 (50 MP, refused)', await solidPng(10_000, 5_000), 422],
    ['PNG 4000×3000 (12 MP, stored)', await solidPng(4_000, 3_000), 204],
  ];
  for (const [label, bytes, expected] of cases) {
    await new Promise((resolve) => setTimeout(resolve, 500));
    const before = memory(pid);
    resetPeak(pid);
    const started = performance.now();
    const answer = await uploadFile(server, token, bytes, meta('image.png'));
    const ms = performance.now() - started;
    const after = memory(pid);
    if (answer.status !== expected) throw new Error(`${label}: answered ${answer.status}, expected ${expected}`);
    const line =
      `| ${label} | ${(bytes.length / 1024).toFixed(0)} KB | ${answer.status}${answer.error ? ` ${answer.error.code}` : ''} ` +
      `| ${(before.rss / MB).toFixed(1)} | ${(after.peak / MB).toFixed(1)} (+${((after.peak - before.rss) / MB).toFixed(1)}) ` +
      `| ${(after.rss / MB).toFixed(1)} | ${ms.toFixed(0)} |`;
    console.log(line);
    rows.push(line);
  }
} finally {
  if (server.child.exitCode === null) server.child.kill('SIGTERM');
  await server.exited;
  rmSync(dir, { recursive: true, force: true });
}

const report = [
  '# Image bomb: server memory',
  '',
  `Run ${new Date().toISOString()} by \`npm run bench:image-bomb\` (bench/files/image-bomb.ts): one server`,
  'process on SQLite with local file storage; each image uploaded over tus in one PATCH. RSS of the',
  'server process from /proc, in MB; the peak is VmHWM, reset just before the upload.',
  '',
  '| upload | size | answer | RSS before | peak RSS (growth) | RSS after | ms |',
  '| --- | ---: | --- | ---: | ---: | ---: | ---: |',
  ...rows,
  '',
  'The bomb is refused from its header (sharp `metadata()`, before anything is decoded): the growth is',
  'the upload buffered for inspection, not its 150 MB of pixels. The 12 MP image below the cap shows',
  'what a real decode and re-encode costs for comparison.',
  '',
].join('\n');
const file = join(repoRoot, 'bench', 'results', 'image-bomb.md');
const prettier = await import('prettier');
writeFileSync(file, await prettier.format(report, { ...(await prettier.resolveConfig(file)), filepath: file }));
console.log(`\nwritten to bench/results/image-bomb.md`);
