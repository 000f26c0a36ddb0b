// Makes sure a Chromium for Playwright exists before the e2e tests run. Playwright's own browser
// download is not reachable from our machines, so we use the distribution's package
// (Debian: `chromium`, at /usr/bin/chromium) and install it when it is missing and we can.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';

const path = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
if (existsSync(path)) process.exit(0);

const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
const hasApt = existsSync('/usr/bin/apt-get');
if (!isRoot || !hasApt) {
  console.error(
    `e2e: Chromium is not at ${path}, and it cannot be installed from here (${!hasApt ? 'no apt-get' : 'not root'}).\n` +
      '     Install it (Debian/Ubuntu: `sudo apt-get install -y chromium`) or set CHROMIUM_PATH to a Chromium binary.',
  );
  process.exit(1);
}
console.log('e2e: installing Chromium with apt-get (once per machine)…');
try {
  execFileSync('apt-get', ['update', '-qq'], { stdio: 'inherit' });
  execFileSync('apt-get', ['install', '-y', '-qq', 'chromium'], {
    stdio: 'inherit',
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
  });
} catch (err) {
  console.error(`e2e: installing Chromium failed: ${err.message}`);
  process.exit(1);
}
if (!existsSync(path)) {
  console.error(`e2e: apt-get finished but ${path} is still missing.`);
  process.exit(1);
}
