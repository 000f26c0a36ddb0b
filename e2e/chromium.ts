/**
 * The flags Chromium runs with in the e2e tests, and in the benchmark's widget scenario (bench/
 * imports this, so both measure the same browser): no sandbox (root in containers), no GPU, and
 * none of the background traffic a fresh profile would start, and fake media devices (the voice
 * recorder's tests).
 */
export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  // A fake microphone and camera that need no permission prompt: voice messages record a tone.
  '--use-fake-device-for-media-stream',
  '--use-fake-ui-for-media-stream',
];
