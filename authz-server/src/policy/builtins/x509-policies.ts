// Certificate-policy validation of a chain, as Go's crypto/x509 (1.26, verify.go policiesValid)
// does it: RFC 5280 §6.1 with the policy graph of RFC 9618, with the options OPA passes (no user
// policy set, so any policy is acceptable; no inhibit flags). It refuses a chain only where the
// chain itself asks for explicit policy (policyConstraints requireExplicitPolicy, counted down the
// chain) and no valid policy remains, or where a CA maps anyPolicy. Pure.
const ANY_POLICY = "2.5.29.32.0";

export interface PolicyInfo {
  /** Certificate policy OIDs (dotted); empty without a certificatePolicies extension. */
  policies: string[];
  mappings: { issuer: string; subject: string }[];
  selfIssued: boolean;
  requireExplicitPolicy?: number;
  inhibitPolicyMapping?: number;
  inhibitAnyPolicy?: number;
}

interface PolicyNode {
  valid: string;
  expected: string[];
  parents: Set<PolicyNode>;
  children: Set<PolicyNode>;
}

function node(valid: string, parents: PolicyNode[]): PolicyNode {
  const n: PolicyNode = { valid, expected: [valid], parents: new Set(), children: new Set() };
  for (const p of parents) {
    p.children.add(n);
    n.parents.add(p);
  }
  return n;
}

class PolicyGraph {
  strata: Map<string, PolicyNode>[] = [new Map([[ANY_POLICY, node(ANY_POLICY, [])]])];
  parentIndex = new Map<string, PolicyNode[]>();
  depth = 0;

  insert(n: PolicyNode): void {
    (this.strata[this.depth] as Map<string, PolicyNode>).set(n.valid, n);
  }

  parentsWithExpected(expected: string): PolicyNode[] {
    return this.depth === 0 ? [] : (this.parentIndex.get(expected) ?? []);
  }

  parentWithAnyPolicy(): PolicyNode | undefined {
    return this.depth === 0 ? undefined : this.strata[this.depth - 1]?.get(ANY_POLICY);
  }

  parents(): PolicyNode[] {
    return this.depth === 0 ? [] : [...(this.strata[this.depth - 1] as Map<string, PolicyNode>).values()];
  }

  leaves(): Map<string, PolicyNode> {
    return this.strata[this.depth] as Map<string, PolicyNode>;
  }

  deleteLeaf(policy: string): void {
    const n = this.leaves().get(policy);
    if (!n) return;
    for (const p of n.parents) p.children.delete(n);
    for (const c of n.children) c.parents.delete(n);
    this.leaves().delete(policy);
  }

  validPolicyNodes(): PolicyNode[] {
    const out: PolicyNode[] = [];
    for (let i = this.depth; i >= 0; i--) {
      for (const n of (this.strata[i] as Map<string, PolicyNode>).values()) {
        if (n.valid === ANY_POLICY || n.parents.size !== 1) continue;
        if ([...n.parents][0]?.valid === ANY_POLICY) out.push(n);
      }
    }
    return out;
  }

  prune(): void {
    for (let i = this.depth - 1; i > 0; i--) {
      const stratum = this.strata[i] as Map<string, PolicyNode>;
      for (const [key, n] of stratum) {
        if (n.children.size > 0) continue;
        for (const p of n.parents) p.children.delete(n);
        stratum.delete(key);
      }
    }
  }

  incrementDepth(): void {
    this.parentIndex = new Map();
    for (const n of this.leaves().values()) {
      for (const e of n.expected) this.parentIndex.set(e, [...(this.parentIndex.get(e) ?? []), n]);
    }
    this.depth++;
    this.strata.push(new Map());
  }
}

/** Whether `chain` (leaf first, trust anchor last) passes policy validation. */
export function policiesValid(chain: PolicyInfo[]): boolean {
  if (chain.length === 1) return true;
  const n = chain.length - 1;
  let graph: PolicyGraph | undefined = new PolicyGraph();
  let inhibitAnyPolicy = n + 1;
  let explicitPolicy = n + 1;
  let policyMapping = n + 1;
  for (let i = n - 1; i >= 0; i--) {
    const cert = chain[i] as PolicyInfo;
    if (cert.policies.length === 0) graph = undefined;
    if (explicitPolicy === 0 && graph === undefined) return false;
    if (graph) {
      const pg: PolicyGraph = graph;
      pg.incrementDepth();
      const policies = new Set<string>();
      for (const policy of cert.policies) {
        policies.add(policy);
        if (policy === ANY_POLICY) continue;
        let parents = pg.parentsWithExpected(policy);
        if (parents.length === 0) {
          const any = pg.parentWithAnyPolicy();
          if (any) parents = [any];
        }
        if (parents.length > 0) pg.insert(node(policy, parents));
      }
      if (policies.has(ANY_POLICY) && (inhibitAnyPolicy > 0 || (n - i < n && cert.selfIssued))) {
        const missing = new Map<string, PolicyNode[]>();
        const leaves = pg.leaves();
        for (const p of pg.parents()) {
          for (const expected of p.expected) {
            if (!leaves.has(expected)) missing.set(expected, [...(missing.get(expected) ?? []), p]);
          }
        }
        for (const [policy, parents] of missing) pg.insert(node(policy, parents));
      }
      pg.prune();
      if (i !== 0 && cert.mappings.length > 0) {
        const mappings = new Map<string, string[]>();
        for (const m of cert.mappings) {
          if (policyMapping > 0) {
            if (m.issuer === ANY_POLICY || m.subject === ANY_POLICY) return false;
            mappings.set(m.issuer, [...(mappings.get(m.issuer) ?? []), m.subject]);
          } else pg.deleteLeaf(m.issuer);
        }
        pg.prune();
        for (const [issuer, subjects] of mappings) {
          const matching = pg.leaves().get(issuer);
          if (matching) matching.expected = subjects;
          else {
            const any = pg.leaves().get(ANY_POLICY);
            if (any) {
              const mapped = node(issuer, [any]);
              mapped.expected = subjects;
              pg.insert(mapped);
            }
          }
        }
      }
    }
    if (i !== 0) {
      if (!cert.selfIssued) {
        if (explicitPolicy > 0) explicitPolicy--;
        if (policyMapping > 0) policyMapping--;
        if (inhibitAnyPolicy > 0) inhibitAnyPolicy--;
      }
      if (cert.requireExplicitPolicy !== undefined && cert.requireExplicitPolicy < explicitPolicy) {
        explicitPolicy = cert.requireExplicitPolicy;
      }
      if (cert.inhibitPolicyMapping !== undefined && cert.inhibitPolicyMapping < policyMapping) {
        policyMapping = cert.inhibitPolicyMapping;
      }
      if (cert.inhibitAnyPolicy !== undefined && cert.inhibitAnyPolicy < inhibitAnyPolicy) {
        inhibitAnyPolicy = cert.inhibitAnyPolicy;
      }
    }
  }
  if (explicitPolicy > 0) explicitPolicy--;
  if (chain[0]?.requireExplicitPolicy === 0) explicitPolicy = 0;
  const valid = graph ? graph.validPolicyNodes() : [];
  const anyLeaf = graph?.leaves().get(ANY_POLICY);
  if (anyLeaf) valid.push(anyLeaf);
  return !(explicitPolicy === 0 && valid.length === 0);
}
