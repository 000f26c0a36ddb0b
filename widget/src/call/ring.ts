/**
 * The ring, made with WebAudio (no sound file to fetch): the two tones of a phone ring, 2 s on,
 * 4 s off, until stopped. A site turns it off with `data-ring="off"` on the script tag or
 * `ring: 'off'` in window.ParleySettings (see docs/widget.md). Read here, not by parley.js (which
 * must not grow), so `Parley('init', { ring })` alone is not seen.
 */
export function ringAllowed(): boolean {
  const settings = (globalThis as { ParleySettings?: { ring?: unknown } }).ParleySettings;
  if (settings?.ring === 'off' || settings?.ring === false) return false;
  const tag = typeof document === 'undefined' ? null : document.querySelector<HTMLElement>('script[data-ring]');
  return tag?.dataset.ring !== 'off';
}

export function startRing(): () => void {
  if (!ringAllowed() || typeof AudioContext === 'undefined') return () => undefined;
  const audio = new AudioContext();
  const gain = audio.createGain();
  gain.gain.value = 0;
  gain.connect(audio.destination);
  const tones = [440, 480].map((frequency) => {
    const o = audio.createOscillator();
    o.frequency.value = frequency;
    o.connect(gain);
    o.start();
    return o;
  });
  // 2 s on, 4 s off, scheduled a minute ahead and again every minute.
  const schedule = (from: number) => {
    for (let t = from; t < from + 60; t += 6) {
      gain.gain.setValueAtTime(0.12, t);
      gain.gain.setValueAtTime(0, t + 2);
    }
  };
  schedule(audio.currentTime);
  const more = setInterval(() => schedule(audio.currentTime + 0.05), 60_000);
  // Browsers start an AudioContext suspended without a user gesture; it rings once one happens.
  void audio.resume().catch((err: unknown) => console.warn('[Parley] the ring could not start', err));
  return () => {
    clearInterval(more);
    for (const o of tones) o.stop();
    void audio.close();
  };
}
