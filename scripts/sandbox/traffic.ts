// The sandbox's optional traffic generator: a bounded stream of requests to the Envoy listener on
// loopback, mixing what the default policy allows and denies and what the sandbox's risk settings
// score low to critical (scripts/sandbox/authz-sandbox.yaml), so every chart on the live page moves.
//
// Bounds: a fixed rate (at most MAX_RATE_PER_SECOND), at most MAX_IN_FLIGHT requests outstanding
// (a tick is skipped rather than queued when Envoy is slow), each request aborted after
// REQUEST_TIMEOUT_MS, and the generator stops by itself after `maxDurationMs`. Time (the timer) and
// randomness are parameters.

export const MAX_RATE_PER_SECOND = 50;
export const MAX_IN_FLIGHT = 16;
export const REQUEST_TIMEOUT_MS = 2000;

export interface TrafficRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
}

/** One request kind and its share of the mix (weights sum to 1). */
interface Kind {
  weight: number;
  request: TrafficRequest;
}

/** What each kind exercises with the default policy (allow GET /public/*) and the sandbox's risk
 *  config: device posture headers and the sensitive /public/admin prefix raise the risk level. */
export const TRAFFIC_MIX: readonly Kind[] = [
  { weight: 0.5, request: { method: "GET", path: "/public/items", headers: {} } },
  {
    weight: 0.15,
    request: { method: "GET", path: "/public/telemetry", headers: { "x-device-firmware": "2.1.0" } },
  },
  {
    weight: 0.1,
    request: { method: "GET", path: "/public/telemetry", headers: { "x-device-firmware": "1.0.3" } },
  },
  {
    weight: 0.05,
    request: { method: "GET", path: "/public/admin/settings", headers: { "x-device-firmware": "1.0.3" } },
  },
  { weight: 0.15, request: { method: "GET", path: "/private/data", headers: {} } },
  { weight: 0.05, request: { method: "POST", path: "/public/items", headers: {} } },
];

/** The kind whose cumulative weight first exceeds `u` ∈ [0, 1); the last kind for u ≥ Σ weights. */
export function pickRequest(u: number, mix: readonly Kind[] = TRAFFIC_MIX): TrafficRequest {
  let acc = 0;
  for (const kind of mix) {
    acc += kind.weight;
    if (u < acc) return kind.request;
  }
  return (mix[mix.length - 1] as Kind).request;
}

export interface TrafficStatus {
  running: boolean;
  ratePerSecond: number;
  maxDurationMs: number;
  sent: number;
  /** Answers by status class ("2xx", "4xx", "5xx") and "error" (timeout, connection failure). */
  answers: Record<string, number>;
  /** Ticks skipped because MAX_IN_FLIGHT requests were outstanding. */
  skipped: number;
}

export interface TrafficOptions {
  /** Envoy's listener; must be a loopback http URL. */
  target: string;
  ratePerSecond: number;
  maxDurationMs: number;
  random: () => number;
  /** Timer functions (tests pass fakes). */
  setInterval?: (fn: () => void, ms: number) => unknown;
  clearInterval?: (handle: unknown) => void;
  nowMs?: () => number;
  send?: (url: string, request: TrafficRequest) => Promise<number>;
}

async function sendOverFetch(url: string, request: TrafficRequest): Promise<number> {
  const response = await fetch(url, {
    method: request.method,
    headers: request.headers,
    signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
  });
  await response.arrayBuffer();
  return response.status;
}

export class TrafficGenerator {
  private readonly counters: TrafficStatus;
  private handle: unknown;
  private startedAt = 0;
  private inFlight = 0;

  constructor(private readonly options: TrafficOptions) {
    const url = new URL(options.target);
    if (url.protocol !== "http:" || url.hostname !== "127.0.0.1")
      throw new Error(`traffic: target must be http://127.0.0.1:<port>, got ${options.target}`);
    if (!(options.ratePerSecond > 0 && options.ratePerSecond <= MAX_RATE_PER_SECOND))
      throw new Error(`traffic: rate must be in (0, ${MAX_RATE_PER_SECOND}] requests/s`);
    this.counters = {
      running: false,
      ratePerSecond: options.ratePerSecond,
      maxDurationMs: options.maxDurationMs,
      sent: 0,
      answers: {},
      skipped: 0,
    };
  }

  status(): TrafficStatus {
    return { ...this.counters, answers: { ...this.counters.answers } };
  }

  start(): void {
    if (this.counters.running) return;
    const now = this.options.nowMs ?? Date.now;
    this.startedAt = now();
    this.counters.running = true;
    const every = (this.options.setInterval ?? setInterval) as (fn: () => void, ms: number) => unknown;
    this.handle = every(() => {
      if (now() - this.startedAt >= this.options.maxDurationMs) this.stop();
      else this.tick();
    }, 1000 / this.options.ratePerSecond);
  }

  stop(): void {
    if (!this.counters.running) return;
    this.counters.running = false;
    const clear = (this.options.clearInterval ?? clearInterval) as (handle: unknown) => void;
    clear(this.handle);
  }

  private tick(): void {
    if (this.inFlight >= MAX_IN_FLIGHT) {
      this.counters.skipped++;
      return;
    }
    const request = pickRequest(this.options.random());
    const send = this.options.send ?? sendOverFetch;
    this.inFlight++;
    this.counters.sent++;
    send(`${this.options.target}${request.path}`, request).then(
      (status) => this.count(`${Math.floor(status / 100)}xx`),
      () => this.count("error"),
    );
  }

  private count(key: string): void {
    this.inFlight--;
    this.counters.answers[key] = (this.counters.answers[key] ?? 0) + 1;
  }
}
