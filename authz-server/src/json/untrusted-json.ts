// JSON from outside the process (bundles, config, JWKS, admin and broadcast events, the sandbox's
// control bodies), parsed so that a key named `__proto__`, `constructor` or `prototype` can never
// reach an object's prototype. JSON.parse itself stores such a key as an own property, but the first
// merge, `target[key] = value` or Object.assign over the result walks into Object.prototype: a bundle
// whose data.json held `"__proto__"` polluted every object in the process and took it down.
// Two flavours, by what the document is:
//   parseJsonData    documents whose keys are data (bundle data, manifests): every object has a null
//                    prototype, so those keys are ordinary keys and stay available to the policy;
//   parseJsonStrict  documents with a schema that never has such keys (config, JWKS, events): the
//                    key is refused, naming where it was.
// Request bodies are not parsed here: the policy input keeps JSON.parse's own properties (what
// opa-envoy-plugin's policies see), and no Meshward code merges or assigns over them. Pure.

/** Keys that name or lead to a prototype when used as a property name. */
export const PROTOTYPE_KEYS: ReadonlySet<string> = new Set(["__proto__", "constructor", "prototype"]);

export class UntrustedJsonError extends Error {}

type Json = Record<string, unknown>;

function withoutPrototype(_key: string, value: unknown): unknown {
  if (value === null || typeof value !== "object" || Array.isArray(value)) return value;
  const out = Object.create(null) as Json;
  // An own `__proto__` property (JSON.parse makes one) is read as data and written as data.
  for (const key of Object.keys(value)) out[key] = (value as Json)[key];
  return out;
}

function refusingPrototypeKeys(key: string, value: unknown): unknown {
  if (PROTOTYPE_KEYS.has(key)) throw new UntrustedJsonError(`the key ${JSON.stringify(key)} is not allowed`);
  return value;
}

/** JSON.parse with every object built without a prototype. Throws SyntaxError on malformed text. */
export function parseJsonData(text: string): unknown {
  return JSON.parse(text, withoutPrototype);
}

/** JSON.parse that throws UntrustedJsonError on a `__proto__`, `constructor` or `prototype` key. */
export function parseJsonStrict(text: string): unknown {
  return JSON.parse(text, refusingPrototypeKeys);
}

/** The dotted path of the first prototype key in an already parsed document (YAML config), or
 *  undefined. Iterative, so a deeply nested document cannot exhaust the stack. */
export function findPrototypeKey(document: unknown): string | undefined {
  const stack: [unknown, string][] = [[document, ""]];
  while (stack.length > 0) {
    const [node, path] = stack.pop() as [unknown, string];
    if (node === null || typeof node !== "object") continue;
    if (Array.isArray(node)) {
      node.forEach((item, i) => {
        stack.push([item, `${path}[${i}]`]);
      });
      continue;
    }
    for (const key of Object.keys(node)) {
      const at = path ? `${path}.${key}` : key;
      if (PROTOTYPE_KEYS.has(key)) return at;
      stack.push([(node as Json)[key], at]);
    }
  }
  return undefined;
}
