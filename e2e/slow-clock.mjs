// A server clock for repeatable screenshots (tests/readme-screenshots.spec.ts), loaded into the
// server process with `node --import` (NODE_OPTIONS) when PARLEY_E2E_CLOCK_START is set: `Date`
// starts at that instant (ms since the epoch) and runs a thousand times slower than real time, so
// every message created over the wire during a run carries the same minute, whatever the machine's
// load. Timers (setTimeout, setInterval) are not touched: they keep real time.
const start = Number(process.env.PARLEY_E2E_CLOCK_START);
if (Number.isFinite(start) && start > 0) {
  const RealDate = Date;
  const realStart = RealDate.now();
  const now = () => Math.floor(start + (RealDate.now() - realStart) / 1000);
  class SlowDate extends RealDate {
    constructor(...args) {
      if (args.length === 0) super(now());
      else super(...args);
    }
    static now() {
      return now();
    }
  }
  globalThis.Date = SlowDate;
}
