// filters/traffic-shaper/README.md stays true to the parser: every field its tables list is a field
// the filter's on_configure knows (a wrong-typed value is refused as wrong, not as unknown), and its
// example config is accepted.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { repoRoot } from "../../scripts/lib/tools.ts";
import { ConfigRejected, type ProxyWasmHost, proxyWasmHost } from "../host/index.ts";
import { SHAPER_WASM, startShaper, VM_ID } from "./shaper-host.ts";

const readme = readFileSync(join(repoRoot, "filters/traffic-shaper/README.md"), "utf8");

/** The first-column field names of the markdown table that follows `heading` text. */
function tableFields(after: string): string[] {
  const start = readme.indexOf(after);
  const lines = readme.slice(start).split("\n");
  const first = lines.findIndex((l) => l.startsWith("| field"));
  const fields: string[] = [];
  for (const line of lines.slice(first + 2)) {
    if (!line.startsWith("|")) break;
    const cell = line.split("|")[1] ?? "";
    const names = [...cell.matchAll(/`([^`]+)`/g)].map((m) => m[1] as string);
    // "`concurrency.minLimit` / `maxLimit`": the second name shares the first one's parent.
    const parent = names[0]?.includes(".") ? (names[0] as string).replace(/\.[^.]+$/, ".") : "";
    for (const [i, n] of names.entries()) fields.push(i > 0 && !n.includes(".") ? parent + n : n);
  }
  return fields;
}

/** Minimal valid array items, so that a probe inside them is the only problem. */
const ITEM: Record<string, Record<string, unknown>> = {
  rules: { name: "a", limit: { rate: 1 } },
  priorities: { name: "p" },
};

function configWith(path: string, value: unknown): Record<string, unknown> {
  const root: Record<string, unknown> = {};
  let at = root;
  const segments = path.split(".");
  segments.forEach((segment, i) => {
    const last = i === segments.length - 1;
    if (segment.endsWith("[]")) {
      const key = segment.slice(0, -2);
      const item = structuredClone(ITEM[key] ?? {});
      at[key] = last ? value : [item];
      at = item;
    } else if (last) at[segment] = value;
    else {
      at[segment] = { ...((at[segment] as Record<string, unknown>) ?? {}) };
      at = at[segment] as Record<string, unknown>;
    }
  });
  return root;
}

/** The log line of the refusal, or "accepted" when on_configure took the config. */
function refusal(witness: ProxyWasmHost, config: unknown): string {
  const before = witness.logs.length;
  try {
    proxyWasmHost(SHAPER_WASM).withPlugin(VM_ID).withConfig(JSON.stringify(config)).withSharedStateOf(witness).start();
    return "accepted";
  } catch (err) {
    if (!(err instanceof ConfigRejected)) throw err;
    return witness.logs.slice(before).find((l) => l.message.includes("invalid pluginConfig"))?.message ?? "";
  }
}

describe("README field tables", () => {
  const configFields = tableFields("## Configuration");
  const matchFields = tableFields("A **match** object").map((f) => `rules[].match.${f}`);

  it("lists the fields of both tables", () => {
    expect(configFields).toContain("concurrency.maxLimit");
    expect(configFields).toContain("rules[].limit.burst");
    expect(matchFields).toContain("rules[].match.minRiskScore");
    expect(configFields.length + matchFields.length).toBeGreaterThan(35);
  });

  it("names only fields the parser knows (a probe object is refused as the wrong type or for its own key)", () => {
    // null would not do: the reader takes null as "absent, use the default".
    const witness = startShaper({}, 1);
    const wrong: string[] = [];
    for (const field of [...configFields, ...matchFields]) {
      const message = refusal(witness, configWith(field, { probe: 1 }));
      const path = field.replaceAll("[]", "[0]");
      const known = message.includes(`${path}: expected`) || message.includes(`${path}.probe: unknown field`);
      if (!known || message.includes(`${path}: unknown field`)) wrong.push(`${field}: ${message}`);
    }
    expect(wrong).toEqual([]);
  });

  it("would notice a field the parser does not know", () => {
    const witness = startShaper({}, 1);
    expect(refusal(witness, configWith("concurrency.maxLimt", { probe: 1 }))).toContain(
      "concurrency.maxLimt: unknown field",
    );
  });

  it("has an example the filter accepts", () => {
    const example = /Example:\n\n```json\n([\s\S]*?)```/.exec(readme)?.[1];
    expect(example).toBeDefined();
    const host = startShaper(example as string, 1);
    expect(
      host.logs.some((l) => l.message.includes("configured 2 rule(s), concurrency on, 3 priority class(es)")),
    ).toBe(true);
  });

  it("has a two-tier worked example whose local config the filter accepts", () => {
    const section = readme.slice(readme.indexOf("## Two tiers"));
    const local = /```json\n([\s\S]*?)```/.exec(section)?.[1];
    expect(local).toBeDefined();
    const host = startShaper(local as string, 1);
    expect(host.logs.some((l) => l.message.includes("configured 2 rule(s), concurrency on"))).toBe(true);
  });
});
