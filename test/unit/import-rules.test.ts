// The import boundaries ARCHITECTURE.md states, checked over the TypeScript and AssemblyScript
// sources, and no import cycles. Each rule is also run on a small made-up graph that breaks it, so
// a rule that can no longer fail is noticed.
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import ts from "typescript";
import { describe, expect, it } from "vitest";
import { repoRoot } from "../../scripts/lib/tools.ts";

/** Repository-relative file → what it imports: repository-relative files, or package names. */
type Graph = Map<string, string[]>;

function sourceFiles(dir: string): string[] {
  return readdirSync(join(repoRoot, dir)).flatMap((name) => {
    const path = `${dir}/${name}`;
    if (statSync(join(repoRoot, path)).isDirectory()) return name === "gen" ? [] : sourceFiles(path);
    return path.endsWith(".ts") && !path.endsWith(".d.ts") ? [path] : [];
  });
}

/** `./x.ts` as written in TypeScript, `../sdk` (a folder's index) or `./lib/json` in AssemblyScript. */
function resolveSpecifier(from: string, specifier: string): string {
  if (!specifier.startsWith("."))
    return specifier.startsWith("node:") ? specifier : (specifier.split("/")[0] as string);
  const base = relative(repoRoot, join(repoRoot, dirname(from), specifier));
  for (const candidate of [base, `${base}.ts`, `${base}/index.ts`])
    if (existsSync(join(repoRoot, candidate)) && statSync(join(repoRoot, candidate)).isFile()) return candidate;
  return base;
}

function importGraph(dirs: string[]): Graph {
  const graph: Graph = new Map();
  for (const file of dirs.flatMap(sourceFiles)) {
    const { importedFiles } = ts.preProcessFile(readFileSync(join(repoRoot, file), "utf8"), true, true);
    graph.set(
      file,
      importedFiles.map((i) => resolveSpecifier(file, i.fileName)),
    );
  }
  return graph;
}

interface Rule {
  name: string;
  /** Whether `file` may import `target`. */
  allows(file: string, target: string): boolean;
}

const RULES: Rule[] = [
  {
    name: "only authz-server/src/transport/ imports grpc-js or fastify",
    allows: (file, target) => !["@grpc", "fastify"].includes(target) || file.startsWith("authz-server/src/transport/"),
  },
  {
    name: "filter lib/ modules never import the SDK",
    allows: (file, target) => !/^filters\/(.+\/)?lib\//.test(file) || !target.startsWith("filters/sdk/"),
  },
  {
    // A filter's entry re-exports the callbacks (sdk/exports*.ts); everything else goes through the
    // index. The fixtures Envoy must refuse break this on purpose.
    name: "filters outside sdk/ reach the SDK through its public index",
    allows: (file, target) =>
      file.startsWith("filters/sdk/") ||
      file.startsWith("filters/conformance/fixtures/") ||
      !target.startsWith("filters/sdk/") ||
      /^filters\/sdk\/(index|exports|exports-headers)\.ts$/.test(target),
  },
  {
    name: "only the entry point imports the composition root (authz-server/src/app/)",
    allows: (file, target) =>
      !target.startsWith("authz-server/src/app/") ||
      file.startsWith("authz-server/src/app/") ||
      file === "authz-server/src/main.ts",
  },
];

function violations(graph: Graph): string[] {
  const found: string[] = [];
  for (const [file, targets] of graph)
    for (const target of targets)
      for (const rule of RULES) if (!rule.allows(file, target)) found.push(`${file} → ${target}: ${rule.name}`);
  return found;
}

/** Every import cycle's path, found by depth-first search over the files of the graph. */
function cycles(graph: Graph): string[] {
  const found: string[] = [];
  const state = new Map<string, "open" | "done">();
  const visit = (file: string, path: string[]) => {
    state.set(file, "open");
    for (const target of graph.get(file) ?? []) {
      if (state.get(target) === "open") found.push([...path.slice(path.indexOf(target)), target].join(" → "));
      else if (!state.has(target) && graph.has(target)) visit(target, [...path, target]);
    }
    state.set(file, "done");
  };
  for (const file of graph.keys()) if (!state.has(file)) visit(file, [file]);
  return found;
}

describe("import rules", () => {
  const graph = importGraph(["authz-server/src", "filters"]);

  it("reads the sources", () => {
    expect(graph.size).toBeGreaterThan(150);
    expect(graph.get("authz-server/src/app/server.ts")).toContain("authz-server/src/check/check-service.ts");
    expect(graph.get("filters/adaptive-lb/pick-header.ts")).toContain("filters/sdk/index.ts");
  });

  it("keeps the boundaries ARCHITECTURE.md states", () => {
    expect(violations(graph)).toEqual([]);
  });

  it("has no import cycles", () => {
    expect(cycles(graph)).toEqual([]);
  });

  it("fails on a graph that crosses each boundary or has a cycle", () => {
    const broken: Graph = new Map([
      ["authz-server/src/dashboard/page.ts", ["fastify"]],
      ["filters/adaptive-lb/lib/trend.ts", ["filters/sdk/index.ts"]],
      ["filters/adaptive-lb/pick-header.ts", ["filters/sdk/imports.ts"]],
      ["authz-server/src/check/check-service.ts", ["authz-server/src/app/server.ts"]],
      ["authz-server/src/risk/config.ts", ["authz-server/src/risk/config-checks.ts"]],
      ["authz-server/src/risk/config-checks.ts", ["authz-server/src/risk/config.ts"]],
    ]);
    expect(violations(broken).map((v) => v.split(":")[1]?.trim())).toEqual(RULES.map((r) => r.name));
    expect(cycles(broken)).toEqual([
      "authz-server/src/risk/config.ts → authz-server/src/risk/config-checks.ts → authz-server/src/risk/config.ts",
    ]);
  });
});
