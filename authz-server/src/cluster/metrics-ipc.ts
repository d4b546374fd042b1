// /metrics in a multi-process server: a scrape reaches one worker (the listener is shared), which
// asks the primary; the primary collects every worker's registry over the cluster IPC channel and
// returns the sum (prom-client's AggregatorRegistry: counters and histograms add up, gauges use the
// aggregator each declares). A worker that does not answer within COLLECT_TIMEOUT_MS is left out
// of that scrape rather than stalling it.
import type { Worker } from "node:cluster";
import { AggregatorRegistry, type Registry } from "prom-client";

/** One registry's metrics as getMetricsAsJSON() returns them. */
type MetricsJson = object[];

const COLLECT_TIMEOUT_MS = 2000;

type Message =
  | { mw: "metrics-request"; id: number }
  | { mw: "metrics-collect"; id: number }
  | { mw: "metrics-part"; id: number; metrics: MetricsJson }
  | { mw: "metrics-response"; id: number; text?: string; error?: string };

function isMessage(value: unknown): value is Message {
  return typeof value === "object" && value !== null && typeof (value as { mw?: unknown }).mw === "string";
}

/** Worker side: answers the primary's collection requests and asks it for the aggregate. */
export function workerMetrics(registry: Registry, channel: NodeJS.Process = process): () => Promise<string> {
  let next = 0;
  const waiting = new Map<number, { resolve(text: string): void; reject(err: Error): void }>();
  channel.on("message", (message: unknown) => {
    if (!isMessage(message)) return;
    if (message.mw === "metrics-collect") {
      void registry
        .getMetricsAsJSON()
        .then((metrics) => channel.send?.({ mw: "metrics-part", id: message.id, metrics }));
    } else if (message.mw === "metrics-response") {
      const w = waiting.get(message.id);
      waiting.delete(message.id);
      if (message.text !== undefined) w?.resolve(message.text);
      else w?.reject(new Error(message.error ?? "metrics collection failed"));
    }
  });
  return () =>
    new Promise((resolve, reject) => {
      const id = next++;
      waiting.set(id, { resolve, reject });
      channel.send?.({ mw: "metrics-request", id });
      setTimeout(() => {
        if (waiting.delete(id)) reject(new Error("metrics collection timed out"));
      }, COLLECT_TIMEOUT_MS * 2).unref();
    });
}

/** Primary side: serves a worker's request by collecting from every live worker. */
export function primaryMetrics(workers: () => Worker[]): (from: Worker, message: unknown) => void {
  let next = 0;
  const collections = new Map<number, { parts: MetricsJson[]; expected: number; done(): void }>();
  return (from, message) => {
    if (!isMessage(message)) return;
    if (message.mw === "metrics-part") {
      const c = collections.get(message.id);
      if (!c) return;
      c.parts.push(message.metrics);
      if (c.parts.length === c.expected) c.done();
      return;
    }
    if (message.mw !== "metrics-request") return;
    const id = next++;
    const live = workers().filter((w) => w.isConnected());
    const parts: MetricsJson[] = [];
    let finished = false;
    const done = () => {
      if (finished) return;
      finished = true;
      collections.delete(id);
      clearTimeout(timer);
      AggregatorRegistry.aggregate(parts)
        .metrics()
        .then(
          (text) => from.send({ mw: "metrics-response", id: message.id, text }),
          (err: Error) => from.send({ mw: "metrics-response", id: message.id, error: err.message }),
        );
    };
    const timer = setTimeout(done, COLLECT_TIMEOUT_MS);
    collections.set(id, { parts, expected: live.length, done });
    for (const w of live) w.send({ mw: "metrics-collect", id });
    if (live.length === 0) done();
  };
}
