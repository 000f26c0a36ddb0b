// Makes sure the system packages the e2e tests need exist before they run, and installs the
// missing ones when it can (CI machines start without them):
//   - a Chromium for Playwright. Playwright's own browser download is not reachable from our
//     machines, so we use the distribution's package (Debian: `chromium`, at /usr/bin/chromium);
//   - a CJK font (Debian: `fonts-noto-cjk`), so the zh-CN screenshots of the screen matrix
//     (tests/matrix.spec.ts) show characters, not boxes, and an emoji font
//     (`fonts-noto-color-emoji`) for the emoji and reactions in the README's screenshots
//     (tests/readme-screenshots.spec.ts). Without them the tests still pass.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';

const chromium = process.env.CHROMIUM_PATH || '/usr/bin/chromium';

/** Whether fontconfig knows a font that covers Chinese (or, without fc-list, Debian's Noto CJK file). */
function hasCjkFont() {
  try {
    return execFileSync('fc-list', [':lang=zh', 'family'], { encoding: 'utf8' }).trim() !== '';
  } catch {
    return existsSync('/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc');
  }
}

const wanted = [
  { pkg: 'chromium', required: true, present: () => existsSync(chromium), where: chromium },
  { pkg: 'fonts-noto-cjk', required: false, present: hasCjkFont, where: 'a CJK font for zh-CN screenshots' },
  {
    pkg: 'fonts-noto-color-emoji',
    required: false,
    present: () => existsSync('/usr/share/fonts/truetype/noto/NotoColorEmoji.ttf'),
    where: 'an emoji font for the screenshots',
  },
];
const missing = wanted.filter((w) => !w.present());
if (missing.length === 0) process.exit(0);

/** Says what is missing and how to get it; exits with failure only if something required is missing. */
function giveUp(reason) {
  for (const w of missing) {
    const line = `e2e: ${w.pkg} (${w.where}) is missing and cannot be installed from here (${reason}).`;
    if (w.required)
      console.error(
        `${line}\n     Install it (Debian/Ubuntu: \`sudo apt-get install -y ${w.pkg}\`) or set CHROMIUM_PATH to a Chromium binary.`,
      );
    else
      console.warn(
        `${line}\n     The tests run without it, but screenshots show boxes for its characters: \`sudo apt-get install -y ${w.pkg}\`.`,
      );
  }
  process.exit(missing.some((w) => w.required) ? 1 : 0);
}

const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
const hasApt = existsSync('/usr/bin/apt-get');
if (!isRoot || !hasApt) giveUp(!hasApt ? 'no apt-get' : 'not root');

const names = missing.map((w) => w.pkg);
console.log(`e2e: installing ${names.join(' and ')} with apt-get (once per machine)…`);
// Another test run on this machine may be installing right now: wait for its dpkg lock.
const lock = ['-o', 'DPkg::Lock::Timeout=600'];
try {
  execFileSync('apt-get', [...lock, 'update', '-qq'], { stdio: 'inherit' });
  execFileSync('apt-get', [...lock, 'install', '-y', '-qq', ...names], {
    stdio: 'inherit',
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
  });
} catch (err) {
  giveUp(`apt-get failed: ${err.message}`);
}
for (const w of missing) {
  if (w.present()) continue;
  if (w.required) {
    console.error(`e2e: apt-get finished but ${w.pkg} (${w.where}) is still missing.`);
    process.exit(1);
  }
  console.warn(`e2e: apt-get finished but ${w.pkg} (${w.where}) is still missing; screenshots will show boxes.`);
}
