// The builtins Meshward supplies to policies compiled to Wasm: those OPA's Wasm documentation marks
// "SDK-dependent" (builtin_metadata.json entries with `"wasm": false`, OPA 1.22.4), which the Wasm
// module imports from its host instead of implementing. The OPA Wasm SDK ships six of them
// (wasm-host.ts takes those from it); the rest are here, one module per family, with OPA's
// semantics (topdown/*.go) and checked against the OPA CLI (test/authz/builtins-parity.test.ts).
// A bundle whose module needs a builtin in neither list is refused at load (evaluator.ts) with the
// reason REFUSED gives, never at request time.
import { type RegoValue, toJsonValue } from "../rego-value.ts";
import type { Builtin, BuiltinSpec } from "../wasm-host.ts";
import { awsBuiltins } from "./aws-sigv4.ts";
import { cryptoBuiltins } from "./crypto.ts";
import { encodingBuiltins } from "./encoding.ts";
import { graphqlBuiltins } from "./graphql.ts";
import { jsonPatchBuiltins } from "./json-patch.ts";
import { jsonSchemaBuiltins } from "./json-schema.ts";
import { decodeVerify, jwtBuiltins } from "./jwt.ts";
import { jwtSignBuiltins } from "./jwt-sign.ts";
import { miscBuiltins } from "./misc.ts";
import { netBuiltins } from "./net.ts";
import { privateKeyBuiltins } from "./private-keys.ts";
import { regexBuiltins } from "./regex.ts";
import { regoParseBuiltins } from "./rego-parse.ts";
import { runtimeBuiltins } from "./runtime.ts";
import { stringBuiltins } from "./strings.ts";
import { templateBuiltins } from "./template.ts";
import { parseRfc3339Ns, timeBuiltins } from "./time.ts";
import { uriBuiltins } from "./uri.ts";
import { versionBuiltins } from "./versions.ts";
import { x509Builtins } from "./x509.ts";
import { x509KeyPairBuiltins } from "./x509-keypair.ts";
import { x509RequestBuiltins } from "./x509-request.ts";
import { x509VerifyBuiltins } from "./x509-verify.ts";

/** Builtins Meshward does not provide, and why: named in the load error. */
export const REFUSED: Readonly<Record<string, string>> = {
  "http.send":
    "a Wasm builtin runs synchronously on the check's thread, and a blocking HTTP call would stall every check; " +
    "fetch the data outside the policy (bundle data, or an enricher that adds it under input.meshward)",
  "net.lookup_ip_addr": "DNS lookups cannot run synchronously without blocking every check; resolve outside the policy",
};

const plain = (table: Record<string, Builtin>): Record<string, BuiltinSpec> =>
  Object.fromEntries(Object.entries(table).map(([name, impl]) => [name, { impl }]));

/** Builtins that take nanosecond timestamps: integers arrive as bigints, digit for digit. */
const exactIntegers = (table: Record<string, Builtin>): Record<string, BuiltinSpec> =>
  Object.fromEntries(Object.entries(table).map(([name, impl]) => [name, { impl, bigIntegers: true }]));

/** Builtins that compare numbers exactly: every number arrives as its literal text. */
const exactNumbers = (table: Record<string, Builtin>): Record<string, BuiltinSpec> =>
  Object.fromEntries(Object.entries(table).map(([name, impl]) => [name, { impl, numberLiterals: true }]));

/** The io.jwt.* builtins take JSON values and throw on failure (→ undefined). */
function jwt(): Record<string, BuiltinSpec> {
  const table: Record<string, BuiltinSpec> = {};
  for (const [name, impl] of Object.entries(jwtBuiltins())) {
    table[name] = { impl: (args) => impl(...args.map(toJsonValue)) as ReturnType<Builtin> };
  }
  table["io.jwt.decode_verify"] = {
    impl: ([token, constraints], context) =>
      decodeVerify(
        toJsonValue(token ?? null),
        toJsonValue(constraints ?? null),
        Number(context.nowNs),
      ) as ReturnType<Builtin>,
  };
  return table;
}

export interface BuiltinOptions {
  /** What opa.runtime() answers (runtime.ts); OPA's answer without runtime information is {}. */
  runtime?: RegoValue;
}

export function meshwardBuiltins(options: BuiltinOptions = {}): Record<string, BuiltinSpec> {
  return {
    ...jwt(),
    ...timeBuiltins,
    ...plain(cryptoBuiltins),
    ...plain(encodingBuiltins),
    ...plain(stringBuiltins),
    ...templateBuiltins,
    ...plain(netBuiltins),
    ...plain(versionBuiltins),
    ...plain(jsonPatchBuiltins),
    ...exactNumbers(jsonSchemaBuiltins),
    ...plain(miscBuiltins),
    ...plain(x509Builtins),
    ...plain(regexBuiltins),
    ...plain(regoParseBuiltins),
    ...plain(uriBuiltins),
    ...plain(jwtSignBuiltins),
    ...plain(privateKeyBuiltins),
    ...exactIntegers(x509VerifyBuiltins),
    ...plain(x509RequestBuiltins),
    ...plain(x509KeyPairBuiltins),
    ...exactIntegers(awsBuiltins),
    ...plain(graphqlBuiltins),
    ...plain(runtimeBuiltins(options.runtime)),
  };
}

export { parseRfc3339Ns };
