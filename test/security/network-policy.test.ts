// Regression: the authz server's NetworkPolicy let every pod of every mesh namespace reach ports 9001
// and 8080, and its 15020 rule had no `from` at all. Every ingress rule must now name its peers by
// namespace AND pod label (one peer, so both must match), and each port only the callers that need it.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { INetworkPolicy } from "kubernetes-models/networking.k8s.io/v1/NetworkPolicy";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { repoRoot } from "../../scripts/lib/tools.ts";

const policy = parse(
  readFileSync(join(repoRoot, "manifests/authz-server/base/networkpolicy.yaml"), "utf8"),
) as INetworkPolicy;
const rules = policy.spec?.ingress ?? [];

/** "namespace label=value / pod label=value" for every peer allowed on `port`. */
function peersOn(port: number): string[] {
  const out: string[] = [];
  for (const rule of rules) {
    if (!rule.ports?.some((p) => p.port === port)) continue;
    for (const peer of rule.from ?? []) {
      const labels = (selector?: { matchLabels?: Record<string, string> }) =>
        Object.entries(selector?.matchLabels ?? {})
          .map(([k, v]) => `${k}=${v}`)
          .join(",");
      out.push(`${labels(peer.namespaceSelector)} / ${labels(peer.podSelector)}`);
    }
  }
  return out.sort();
}

describe("authz server NetworkPolicy", () => {
  it("has a `from` on every ingress rule, each peer narrowed by namespace and pod, no IP blocks", () => {
    expect(rules.length).toBeGreaterThan(0);
    for (const rule of rules) {
      expect(rule.from?.length, JSON.stringify(rule)).toBeGreaterThan(0);
      for (const peer of rule.from ?? []) {
        expect(peer.ipBlock).toBeUndefined();
        expect(Object.keys(peer.namespaceSelector?.matchLabels ?? {}).length, JSON.stringify(peer)).toBeGreaterThan(0);
        expect(Object.keys(peer.podSelector?.matchLabels ?? {}).length, JSON.stringify(peer)).toBeGreaterThan(0);
      }
    }
  });

  it("admits each port from the callers that need it only", () => {
    expect(peersOn(9001)).toEqual(["istio-injection=enabled / meshward.io/ext-authz=client"]);
    expect(peersOn(8080)).toEqual([
      "kubernetes.io/metadata.name=istio-ingress / istio=ingressgateway",
      "kubernetes.io/metadata.name=monitoring / app.kubernetes.io/name=prometheus",
    ]);
    expect(peersOn(15020)).toEqual(["kubernetes.io/metadata.name=monitoring / app.kubernetes.io/name=prometheus"]);
  });
});
