// JSON Schemas for the custom resources Meshward ships, made from the vendored sources in
// manifests/schemas/:
// - the openAPIV3Schema of each CRD version in istio-crds.yaml and prometheus-operator-crds.yaml;
// - meshConfig's ext_authz provider messages, derived from the config.proto excerpt.
// Both are made strict the way `kubectl apply` (server-side field validation, Strict by default
// since Kubernetes 1.27) treats objects: a field the schema does not declare is an error, except
// under `x-kubernetes-preserve-unknown-fields` (e.g. a WasmPlugin's free-form pluginConfig).
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parseAllDocuments } from "yaml";
import { repoRoot } from "../../../scripts/lib/tools.ts";

export type JsonSchema = Record<string, unknown>;

const SCHEMA_DIR = join(repoRoot, "manifests/schemas");

/** A Go (RE2) `pattern` as JavaScript reads it: a `(?i)` group, which prometheus-operator's CRDs use
 *  for whole patterns, becomes case-insensitive letters (`a` → `[aA]`; JavaScript has no inline
 *  flag). Letters inside a character class or after a backslash are left alone. */
export function jsPattern(pattern: string): string {
  if (!pattern.includes("(?i)")) return pattern;
  let out = "";
  let inClass = false;
  const rest = pattern.replace("(?i)", "");
  for (let i = 0; i < rest.length; i++) {
    const c = rest[i] as string;
    if (c === "\\") {
      out += c + (rest[++i] ?? "");
      continue;
    }
    if (c === "[") inClass = true;
    else if (c === "]") inClass = false;
    out += !inClass && /[a-z]/i.test(c) ? `[${c.toLowerCase()}${c.toUpperCase()}]` : c;
  }
  return out;
}

/** Returns a copy in which every object schema with `properties` rejects undeclared fields. */
export function strictObjects(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(strictObjects);
  if (schema === null || typeof schema !== "object") return schema;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(schema)) {
    if (key === "pattern" && typeof value === "string") {
      out[key] = jsPattern(value);
      continue;
    }
    // `properties` maps field names to schemas: recurse into the values, keep the names.
    out[key] =
      key === "properties" && value && typeof value === "object"
        ? Object.fromEntries(Object.entries(value).map(([name, s]) => [name, strictObjects(s)]))
        : strictObjects(value);
  }
  const preserve = out["x-kubernetes-preserve-unknown-fields"] === true;
  if (out.properties && out.additionalProperties === undefined && !preserve) out.additionalProperties = false;
  return out;
}

/** Some CRD schemas (AuthorizationPolicy) declare only spec/status: the API server always accepts
 *  apiVersion, kind and metadata at the root (metadata is validated as ObjectMeta, not here). */
function withObjectMeta(root: JsonSchema): JsonSchema {
  const properties = {
    apiVersion: { type: "string" },
    kind: { type: "string" },
    metadata: { type: "object", "x-kubernetes-preserve-unknown-fields": true },
    ...(root.properties as JsonSchema),
  };
  return { ...root, properties };
}

/** `group/version/Kind` → strict JSON Schema of the whole object, for every served version of the
 *  CRDs in every vendored CRD file. */
export function crdSchemas(files = ["istio-crds.yaml", "prometheus-operator-crds.yaml"]): Map<string, JsonSchema> {
  const schemas = new Map<string, JsonSchema>();
  for (const file of files) for (const [key, schema] of crdFileSchemas(file)) schemas.set(key, schema);
  return schemas;
}

function crdFileSchemas(file: string): Map<string, JsonSchema> {
  const text = readFileSync(join(SCHEMA_DIR, file), "utf8");
  const schemas = new Map<string, JsonSchema>();
  for (const doc of parseAllDocuments(text)) {
    if (doc.contents === null) continue;
    const crd = doc.toJS() as {
      spec: {
        group: string;
        names: { kind: string };
        versions: { name: string; served: boolean; schema: { openAPIV3Schema: unknown } }[];
      };
    };
    for (const version of crd.spec.versions) {
      if (!version.served) continue;
      const key = `${crd.spec.group}/${version.name}/${crd.spec.names.kind}`;
      schemas.set(key, strictObjects(withObjectMeta(version.schema.openAPIV3Schema as JsonSchema)) as JsonSchema);
    }
  }
  return schemas;
}

interface ProtoField {
  name: string;
  type: string;
  repeated: boolean;
  map: boolean;
}

/** Reads `message X { ... }` blocks of a proto file whose messages are not nested in one another
 *  (true of the excerpt), skipping comments; returns message name → fields. */
export function protoMessages(source: string): Map<string, ProtoField[]> {
  const messages = new Map<string, ProtoField[]>();
  const lines = source.split("\n").map((l) => l.replace(/\/\/.*$/, "").trim());
  let current: ProtoField[] | undefined;
  for (const line of lines) {
    const open = /^message (\w+) \{$/.exec(line);
    if (open) {
      current = [];
      messages.set(open[1] as string, current);
      continue;
    }
    if (line === "}") {
      current = undefined;
      continue;
    }
    const field = /^(repeated\s+)?(map<\s*string\s*,\s*string\s*>|[\w.]+)\s+(\w+)\s*=\s*\d+/.exec(line);
    if (current && field) {
      current.push({
        name: field[3] as string,
        type: field[2] as string,
        repeated: field[1] !== undefined,
        map: (field[2] as string).startsWith("map<"),
      });
    }
  }
  return messages;
}

const lowerCamel = (snake: string) => snake.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());

function fieldSchema(field: ProtoField, messages: Map<string, ProtoField[]>): JsonSchema {
  let schema: JsonSchema;
  if (field.map) schema = { type: "object", additionalProperties: { type: "string" } };
  else if (field.type === "string") schema = { type: "string" };
  else if (field.type === "bool") schema = { type: "boolean" };
  else if (field.type === "uint32") schema = { type: "integer", minimum: 0, maximum: 4294967295 };
  // Durations are written as protobuf JSON does: decimal seconds with an `s` suffix ("0.5s").
  else if (field.type === "google.protobuf.Duration") schema = { type: "string", pattern: "^[0-9]+(\\.[0-9]{1,9})?s$" };
  else if (messages.has(field.type)) schema = messageSchema(field.type, messages);
  else throw new Error(`protoMessages: no schema for field type ${field.type} (${field.name})`);
  return field.repeated ? { type: "array", items: schema } : schema;
}

export function messageSchema(name: string, messages: Map<string, ProtoField[]>): JsonSchema {
  const fields = messages.get(name);
  if (!fields) throw new Error(`no message ${name} in the proto source`);
  return {
    type: "object",
    additionalProperties: false,
    properties: Object.fromEntries(fields.map((f) => [lowerCamel(f.name), fieldSchema(f, messages)])),
  };
}

/** Schema of `meshConfig.extensionProviders[]` limited to the ext_authz providers: a name and
 *  exactly one of envoyExtAuthzGrpc / envoyExtAuthzHttp. */
export function extAuthzProviderSchema(): JsonSchema {
  const messages = protoMessages(readFileSync(join(SCHEMA_DIR, "istio-mesh-ext-authz.proto"), "utf8"));
  return {
    type: "object",
    additionalProperties: false,
    required: ["name"],
    properties: {
      name: { type: "string", minLength: 1 },
      envoyExtAuthzGrpc: messageSchema("EnvoyExternalAuthorizationGrpcProvider", messages),
      envoyExtAuthzHttp: messageSchema("EnvoyExternalAuthorizationHttpProvider", messages),
    },
    oneOf: [{ required: ["envoyExtAuthzGrpc"] }, { required: ["envoyExtAuthzHttp"] }],
  };
}
