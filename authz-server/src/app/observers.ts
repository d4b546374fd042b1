// Who hears about every finished check, in order: the metrics, the live page's recent decisions,
// and the decision log (redacted, sampled) when enabled. (The risk enricher hears the outcome of the
// checks it scored through its enrichment's onFinish.)
import type { CheckObserver } from "../check/check-record.ts";
import type { DecisionFeed } from "../dashboard/decision-feed.ts";
import { decisionLogger } from "../ops/decision-log.ts";
import { createRedactor } from "../ops/redact.ts";
import type { Wiring } from "./wiring.ts";

export function checkObservers({ config, logger, metrics }: Wiring, feed: DecisionFeed | undefined): CheckObserver[] {
  const observers: CheckObserver[] = [metrics.observeCheck];
  if (feed) observers.push(feed.observe);
  const decisions = config.logging.decisions;
  if (decisions.enabled) {
    const jwt = config.identity.jwt;
    const redact = createRedactor({
      headers: jwt ? [jwt.header] : [],
      paths: decisions.redactPaths,
      bodyPaths: decisions.bodyPaths,
    });
    observers.push(decisionLogger(logger, { sampleRate: decisions.sampleRate, redact }));
  }
  return observers;
}
