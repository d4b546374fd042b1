// How Meshward starts headless Chromium (the bootstrap's render probe and the page tests alike) on
// a machine with a closed network: no sandbox (tests run as root), no GPU, and none of the
// background connections (updates, sync, QUIC probes) Chromium would otherwise keep opening.
export const CHROMIUM_HEADLESS_FLAGS: readonly string[] = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];
