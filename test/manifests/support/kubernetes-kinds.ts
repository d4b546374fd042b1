// Validation of Kubernetes built-in kinds with the npm package `kubernetes-models` (validators
// generated from the Kubernetes OpenAPI spec: types, enums, formats, required fields), plus a
// check for undeclared fields, which those validators let through: the manifests are typed
// against the package's TypeScript interfaces, whose excess-property check names a misspelt field
// (e.g. `readinesProbe`) the way `kubectl apply --validate=strict` would.
import ts from "typescript";

/** apiVersion/kind → module path inside kubernetes-models, for the kinds Meshward ships. */
const MODELS: Record<string, string> = {
  "v1/Namespace": "v1/Namespace",
  "v1/ServiceAccount": "v1/ServiceAccount",
  "v1/Service": "v1/Service",
  "v1/ConfigMap": "v1/ConfigMap",
  "apps/v1/Deployment": "apps/v1/Deployment",
  "autoscaling/v2/HorizontalPodAutoscaler": "autoscaling/v2/HorizontalPodAutoscaler",
  "policy/v1/PodDisruptionBudget": "policy/v1/PodDisruptionBudget",
  "networking.k8s.io/v1/NetworkPolicy": "networking.k8s.io/v1/NetworkPolicy",
};

export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata?: { name?: string; namespace?: string };
  [field: string]: unknown;
}

export const isBuiltinKind = (o: KubeObject): boolean => `${o.apiVersion}/${o.kind}` in MODELS;

/** Throws the package's validation error (with the JSON path) when `object` is invalid. */
export async function validateBuiltin(object: KubeObject): Promise<void> {
  const path = MODELS[`${object.apiVersion}/${object.kind}`];
  if (!path) throw new Error(`no kubernetes-models model for ${object.apiVersion} ${object.kind}`);
  const module = (await import(`kubernetes-models/${path}`)) as Record<string, new (data: unknown) => unknown>;
  const Model = module[object.kind];
  if (!Model) throw new Error(`kubernetes-models/${path} does not export ${object.kind}`);
  (new Model(object) as { validate(): void }).validate();
}

/** Type-checks every object against its `I<Kind>` interface in one in-memory program and returns
 *  the diagnostics as "<label>: <message>" (empty when all objects are well-typed). */
export function undeclaredFields(objects: { label: string; object: KubeObject }[]): string[] {
  const lines: string[] = [];
  const labels: string[] = [];
  const imports = new Set<string>();
  for (const { label, object } of objects) {
    const path = MODELS[`${object.apiVersion}/${object.kind}`];
    if (!path) continue;
    imports.add(`import type { I${object.kind} } from "kubernetes-models/${path}";`);
    lines.push(`export const object${lines.length}: I${object.kind} = ${JSON.stringify(object)};`);
    labels.push(label);
  }
  const fileName = `${process.cwd()}/__manifest_types__.ts`;
  const source = [...imports, ...lines].join("\n");
  const options: ts.CompilerOptions = {
    strict: true,
    noEmit: true,
    skipLibCheck: true,
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
  };
  const host = ts.createCompilerHost(options);
  const readFile = host.readFile.bind(host);
  const fileExists = host.fileExists.bind(host);
  host.readFile = (f) => (f === fileName ? source : readFile(f));
  host.fileExists = (f) => f === fileName || fileExists(f);
  const program = ts.createProgram([fileName], options, host);
  const file = program.getSourceFile(fileName);
  return ts.getPreEmitDiagnostics(program, file).map((d) => {
    const line = d.file && d.start !== undefined ? d.file.getLineAndCharacterOfPosition(d.start).line : -1;
    const label = labels[line - imports.size] ?? `line ${line}`;
    return `${label}: ${ts.flattenDiagnosticMessageText(d.messageText, "\n")}`;
  });
}
