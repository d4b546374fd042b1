// Compiled rate-limit rules of one domain and the lookup of a request descriptor, with
// envoyproxy/ratelimit's matching: a descriptor (e1, …, en) walks one config level per entry,
// preferring at each level the exact `key`+`value` node, then the first wildcard value that
// matches (config order), then the `key`-only node (any value); a limit applies only when the walk
// ends on a node with a `rate_limit` after exactly n levels. Pure.
//
// Each matched descriptor also gets its bucket identity: the entries with the values that select
// the bucket (the request's value, or the wildcard pattern under `share_threshold`), escaped so
// that no value can forge another bucket's identity. A rule whose walk went through a key-only or
// a non-shared wildcard node takes its bucket from request values (`perValue`): the number of such
// buckets is capped (`maxValues`, see memory-store.ts / redis-script.ts).
import { type GcraLimit, gcraLimit } from "./gcra.ts";
import { type DescriptorSpec, type DomainSpec, type LimitUnit, UNIT_SECONDS } from "./rules-schema.ts";

export interface CompiledRule {
  /** The rule's config path (`route=orders|subject`), unique in its domain. */
  readonly id: string;
  readonly domain: string;
  /** `rate_limit.name`, else the id made printable: the RateLimit policy name and metric label. */
  readonly name: string;
  readonly explicitName: string | undefined;
  readonly unit: LimitUnit;
  readonly requestsPerUnit: number;
  readonly burst: number;
  /** null when requests_per_unit is 0: every request is refused, no state is kept. */
  readonly limit: GcraLimit | null;
  readonly shadow: boolean;
  readonly replaces: readonly string[];
  readonly perValue: boolean;
  readonly maxValues: number;
}

export type DescriptorMatch =
  | { readonly kind: "none" }
  | { readonly kind: "unlimited" }
  | { readonly kind: "limited"; readonly rule: CompiledRule; readonly bucket: string };

interface Node {
  readonly exact: Map<string, Node>;
  readonly wildcards: { key: string; parts: string[]; pattern: string; shared: boolean; node: Node }[];
  readonly any: Map<string, Node>;
  rule?: CompiledRule;
  unlimited: boolean;
}

export interface CompiledDomain {
  readonly domain: string;
  readonly failureModeDeny: boolean;
  readonly fallbackShare: number;
  readonly rules: readonly CompiledRule[];
  readonly root: Node;
}

const NONE: DescriptorMatch = { kind: "none" };
const UNLIMITED: DescriptorMatch = { kind: "unlimited" };

/** Escapes the separators of bucket identities (`%`, `|`, `=`, `~`) as %XX. */
export function escapePart(s: string): string {
  return /[%|=~]/.test(s) ? s.replace(/[%|=~]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`) : s;
}

function newNode(): Node {
  return { exact: new Map(), wildcards: [], any: new Map(), unlimited: false };
}

function exactKey(key: string, value: string): string {
  return `${key}\u0000${value}`;
}

/** Printable ASCII only (RFC 9651 sf-string and Prometheus label value): others become `_`. */
function printable(s: string): string {
  return s.replace(/[^\x20-\x7e]/g, "_");
}

/** `*` matches any run of characters (also empty), anywhere in the pattern. */
export function wildcardMatch(parts: readonly string[], value: string): boolean {
  const first = parts[0] as string;
  const last = parts[parts.length - 1] as string;
  if (value.length < first.length + last.length || !value.startsWith(first) || !value.endsWith(last)) return false;
  let from = first.length;
  const end = value.length - last.length;
  for (let i = 1; i < parts.length - 1; i++) {
    const part = parts[i] as string;
    const found = value.indexOf(part, from);
    if (found === -1 || found + part.length > end) return false;
    from = found + part.length;
  }
  return true;
}

function compileLevel(
  specs: readonly DescriptorSpec[],
  parent: Node,
  domain: DomainSpec,
  path: string,
  perValue: boolean,
  rules: CompiledRule[],
): void {
  for (const spec of specs) {
    const node = newNode();
    let part: string;
    let variable = perValue;
    if (spec.value === undefined) {
      parent.any.set(spec.key, node);
      part = escapePart(spec.key);
      variable = true;
    } else if (spec.value.includes("*")) {
      parent.wildcards.push({
        key: spec.key,
        parts: spec.value.split("*"),
        pattern: spec.value,
        shared: spec.shareThreshold,
        node,
      });
      part = `${escapePart(spec.key)}~${escapePart(spec.value)}`;
      variable ||= !spec.shareThreshold;
    } else {
      parent.exact.set(exactKey(spec.key, spec.value), node);
      part = `${escapePart(spec.key)}=${escapePart(spec.value)}`;
    }
    const id = path === "" ? part : `${path}|${part}`;
    node.unlimited = spec.unlimited;
    const limit = spec.rateLimit;
    if (limit) {
      const rule: CompiledRule = {
        id,
        domain: domain.domain,
        name: limit.name ?? printable(id),
        explicitName: limit.name,
        unit: limit.unit,
        requestsPerUnit: limit.requestsPerUnit,
        burst: limit.burst,
        limit:
          limit.requestsPerUnit > 0 ? gcraLimit(limit.requestsPerUnit, UNIT_SECONDS[limit.unit], limit.burst) : null,
        shadow: spec.shadowMode,
        replaces: limit.replaces,
        perValue: variable,
        maxValues: limit.maxValues,
      };
      node.rule = rule;
      rules.push(rule);
    }
    compileLevel(spec.descriptors, node, domain, id, variable, rules);
  }
}

export function compileDomain(spec: DomainSpec): CompiledDomain {
  const root = newNode();
  const rules: CompiledRule[] = [];
  compileLevel(spec.descriptors, root, spec, "", false, rules);
  return {
    domain: spec.domain,
    failureModeDeny: spec.failureModeDeny,
    fallbackShare: spec.fallbackShare,
    rules,
    root,
  };
}

export interface Entry {
  readonly key: string;
  readonly value: string;
}

/** The rule and bucket a request descriptor falls into (see the file comment for the order). */
export function matchDescriptor(domain: CompiledDomain, entries: readonly Entry[]): DescriptorMatch {
  if (entries.length === 0) return NONE;
  let node = domain.root;
  let bucket = "";
  for (let i = 0; i < entries.length; i++) {
    const { key, value } = entries[i] as Entry;
    let next = node.exact.get(exactKey(key, value));
    let part: string | undefined;
    if (next === undefined) {
      for (const w of node.wildcards) {
        if (w.key === key && wildcardMatch(w.parts, value)) {
          next = w.node;
          if (w.shared) part = `${escapePart(key)}~${escapePart(w.pattern)}`;
          break;
        }
      }
      next ??= node.any.get(key);
      if (next === undefined) return NONE;
    }
    part ??= `${escapePart(key)}=${escapePart(value)}`;
    bucket = i === 0 ? part : `${bucket}|${part}`;
    node = next;
  }
  if (node.unlimited) return UNLIMITED;
  return node.rule ? { kind: "limited", rule: node.rule, bucket } : NONE;
}
