// Request targets that try to leave /public/ (or reach a route by another spelling), and the oracle
// that says where a lenient upstream could take a received path. Pure; seeded.
//
// The oracle `loosestResolution` is deliberately more permissive than any one server: it decodes
// percent-escapes repeatedly (double encoding), IIS-style `%uXXXX`, and overlong UTF-8 for `.`, `/`
// and `\`; takes `\` as `/`; drops `;parameters` from every segment (Tomcat's `..;`); merges
// slashes; then resolves dot segments. A path the policy allowed must stay where the policy meant
// under this reading, or some upstream can be walked out of it.
import { Random } from "../reliability/random.ts";

/** Spellings of "." (each is one dot for some decoder). */
export const DOTS = [".", "%2e", "%2E", "%c0%ae", "%C0%AE", "%e0%80%ae", "%u002e", "%U002E", "%252e", "%25252e"];
/** Spellings of "/" (and "\", which Windows servers and Envoy's normaliser take as "/"). */
export const SLASHES = ["/", "//", "%2f", "%2F", "%5c", "%5C", "\\", "%c0%af", "%252f", "/./", "/;/"];
const PARAMS = ["", ";", ";x=1", ";jsessionid=a"];
const NOISE = ["", "%00", "%20", "%09", "#frag", "?q=/../x", "%0d%0a"];
const TARGETS = ["private/data", "admin", "healthz/../private", "PUBLIC/../private"];

/** The paths of the hostile review that reached the upstream through `npm start`'s Envoy. */
export const REPORTED_PATHS = [
  "/public/../private/data",
  "/public/%2e%2e/private",
  "/public/x/../../private",
  "/public//../private",
  "/public/..;/private",
  "/public%2F..%2Fprivate",
  "/public/x%00/../../private",
];

export interface PathVariant {
  /** The request target as sent (origin form, or absolute form with `absolute`). */
  target: string;
  absolute: boolean;
}

function escapeDecode(text: string): string {
  // %uXXXX (IIS), then overlong 2- and 3-byte UTF-8 of ".", "/", "\" (old decoders accept them).
  let out = text.replace(/%u([0-9a-fA-F]{4})/g, (_, hex: string) => String.fromCharCode(Number.parseInt(hex, 16)));
  out = out
    .replace(/%c0%ae|%e0%80%ae/gi, ".")
    .replace(/%c0%af|%e0%80%af/gi, "/")
    .replace(/%c1%9c|%e0%81%9c/gi, "\\");
  return out.replace(/%([0-9a-fA-F]{2})/g, (_, hex: string) => String.fromCharCode(Number.parseInt(hex, 16)));
}

/** Where the loosest plausible upstream takes `target` (a path, or an absolute-form URI). */
export function loosestResolution(target: string): string {
  let path = target.replace(/^[a-z][a-z0-9+.-]*:\/\/[^/]*/i, "");
  path = path.split(/[?#]/)[0] ?? "";
  for (let i = 0; i < 4; i++) {
    const decoded = escapeDecode(path);
    if (decoded === path) break;
    path = decoded.split(/[?#]/)[0] ?? "";
  }
  path = path.replace(/\\/g, "/");
  const trailing = path.endsWith("/");
  const out: string[] = [];
  for (const raw of path.split("/")) {
    const segment = raw.split(";")[0] ?? "";
    if (segment === "" || segment === ".") continue;
    if (segment === "..") out.pop();
    else out.push(segment);
  }
  return `/${out.join("/")}${trailing && out.length > 0 ? "/" : ""}`;
}

/** The fixed variants: every dot spelling × every slash spelling in the classic shapes. */
export function fixedVariants(): PathVariant[] {
  const out: string[] = [];
  for (const dot of DOTS) {
    const dd = `${dot}${dot}`;
    for (const slash of SLASHES) {
      out.push(`/public${slash}${dd}${slash}private/data`);
      out.push(`/public/x${slash}${dd}${slash}${dd}${slash}private`);
    }
    out.push(`/public/${dd};/private`, `/public/${dd}%00/private`, `/public/x%00/${dd}/${dd}/private`);
  }
  out.push(
    ...REPORTED_PATHS,
    "/PUBLIC/../private",
    "/Public/x",
    "/public/x#/../../private",
    "/public/x/..%2f..%2fprivate",
    "/public/./../private",
    "/public/.../private",
    "/public/%2e/%2e%2e/private",
    "//public/../private",
    "/./public/../private",
    "/public/x/..;x=y/..;/private",
  );
  return [
    ...out.map((target) => ({ target, absolute: false })),
    ...out.slice(0, 40).map((target) => ({ target: `http://example.test${target}`, absolute: true })),
  ];
}

/** `count` seeded random variants built from the same pieces. */
export function randomVariants(count: number, seed: number): PathVariant[] {
  const rand = new Random(seed);
  const out: PathVariant[] = [];
  for (let i = 0; i < count; i++) {
    let target = rand.pick(["/public", "/PUBLIC", "/public/x", "//public", "/public/a/b"]);
    const steps = rand.int(1, 4);
    for (let s = 0; s < steps; s++) {
      const dot = rand.pick(DOTS);
      target += rand.pick(SLASHES) + (rand.chance(0.8) ? `${dot}${dot}` : dot) + rand.pick(PARAMS);
      if (rand.chance(0.2)) target += rand.pick(NOISE);
    }
    target += rand.pick(SLASHES) + rand.pick(TARGETS);
    if (rand.chance(0.1)) target += rand.pick(NOISE);
    const absolute = rand.chance(0.15);
    out.push({ target: absolute ? `http://example.test${target}` : target, absolute });
  }
  return out;
}
