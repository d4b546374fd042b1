// regex.replace, regex.find_n and regex.template_match with Go's regexp semantics (topdown/regex.go): RE2 syntax and
// linear-time matching (re2js, a port of RE2, so no pattern can make a check backtrack for ever),
// Go's FindAll rule (an empty match right after the previous match is skipped) and Go's Expand
// template ($1, ${1}, $name, ${name}, $$; a name is the longest run of letters, digits and `_`,
// so `$1x` names group "1x"; an unknown or unmatched group is empty; a malformed `$` is kept).
// regex.globs_match is glob-intersection.ts.
import { RE2JS } from "re2js";
import type { Builtin } from "../wasm-host.ts";
import { globsIntersect } from "./glob-intersection.ts";
import { fail, int, str } from "./operands.ts";

interface Match {
  start: number;
  end: number;
  groups: (string | undefined)[];
}

/** Compiled patterns by text, least recently used first (a Map keeps insertion order): a policy's
 *  fixed patterns stay compiled however many one-off patterns pass through. */
const compiled = new Map<string, RE2JS>();
const CACHE_LIMIT = 256;

export function compile(pattern: string): RE2JS {
  let re = compiled.get(pattern);
  if (re) {
    compiled.delete(pattern); // move to the most recently used end
  } else {
    try {
      re = RE2JS.compile(pattern);
    } catch (err) {
      return fail(`regex: ${(err as Error).message}`);
    }
    if (compiled.size >= CACHE_LIMIT) compiled.delete(compiled.keys().next().value as string);
  }
  compiled.set(pattern, re);
  return re;
}

/** Go's FindAll: successive non-overlapping matches, at most `n` (n < 0: all). */
function findAll(re: RE2JS, text: string, n: number): Match[] {
  const matcher = re.matcher(text);
  const out: Match[] = [];
  let position = 0;
  let previousEnd = -1;
  while ((n < 0 || out.length < n) && position <= text.length && matcher.find(position)) {
    const start = matcher.start();
    const end = matcher.end();
    if (start === end && start === previousEnd) {
      position =
        start + (text.codePointAt(start) !== undefined && (text.codePointAt(start) as number) > 0xffff ? 2 : 1);
      continue;
    }
    const groups: (string | undefined)[] = [];
    for (let g = 0; g <= re.groupCount(); g++)
      groups.push(matcher.start(g) === -1 ? undefined : (matcher.group(g) ?? undefined));
    out.push({ start, end, groups });
    previousEnd = end;
    position = end > start ? end : end + ((text.codePointAt(end) ?? 0) > 0xffff ? 2 : 1);
  }
  return out;
}

const NAME = /^[A-Za-z0-9_]+/;

/** Go's Regexp.Expand of `template` for one match. */
function expand(template: string, match: Match, names: Record<string, number>): string {
  let out = "";
  for (let i = 0; i < template.length; ) {
    const dollar = template.indexOf("$", i);
    if (dollar === -1) {
      out += template.slice(i);
      break;
    }
    out += template.slice(i, dollar);
    const rest = template.slice(dollar + 1);
    if (rest.startsWith("$")) {
      out += "$";
      i = dollar + 2;
      continue;
    }
    let name: string | undefined;
    let length = 0;
    if (rest.startsWith("{")) {
      const close = rest.indexOf("}");
      const inner = close === -1 ? "" : rest.slice(1, close);
      if (close !== -1 && inner !== "" && /^[A-Za-z0-9_]+$/.test(inner)) {
        name = inner;
        length = close + 1;
      }
    } else {
      const m = NAME.exec(rest);
      if (m) {
        name = m[0];
        length = m[0].length;
      }
    }
    if (name === undefined) {
      out += "$"; // malformed: the $ is text
      i = dollar + 1;
      continue;
    }
    const numeric = /^\d+$/.test(name) && !(name.length > 1 && name[0] === "0") && name.length < 9;
    const index = numeric ? Number(name) : names[name];
    if (index !== undefined) out += match.groups[index] ?? "";
    i = dollar + 1 + length;
  }
  return out;
}

/** Go's regexp.QuoteMeta. */
function quoteMeta(text: string): string {
  return text.replace(/[\\.+*?()|[\]{}^$]/g, "\\$&");
}

/** OPA's template: literal text quoted, each delimited part a group of its own regex (which must
 *  compile alone), the whole anchored; delimiters nest, and must balance. */
function templatePattern(template: string, open: string, close: string): string {
  const bounds: number[] = [];
  let level = 0;
  let start = 0;
  for (let i = 0; i < template.length; i++) {
    if (template[i] === open && ++level === 1) start = i;
    else if (template[i] === close) {
      if (--level === 0) bounds.push(start, i + 1);
      else if (level < 0) fail(`unbalanced braces in ${JSON.stringify(template)}`);
    }
  }
  if (level !== 0) fail(`unbalanced braces in ${JSON.stringify(template)}`);
  let pattern = "^";
  let end = 0;
  for (let i = 0; i < bounds.length; i += 2) {
    const inner = template.slice((bounds[i] as number) + 1, (bounds[i + 1] as number) - 1);
    pattern += `${quoteMeta(template.slice(end, bounds[i]))}(${inner})`;
    compile(`^${inner}$`);
    end = bounds[i + 1] as number;
  }
  return `${pattern}${quoteMeta(template.slice(end))}$`;
}

function delimiter(value: Parameters<Builtin>[0][number] | undefined, which: string): string {
  const d = str(value, "regex.template_match");
  if (Buffer.byteLength(d) !== 1) fail(`${which} delimiter has to be exactly one character long`);
  return d;
}

export const regexBuiltins: Record<string, Builtin> = {
  "regex.globs_match": ([a, b]) => globsIntersect(str(a, "regex.globs_match"), str(b, "regex.globs_match")),
  "regex.template_match": ([template, value, open, close]) => {
    const text = str(value, "regex.template_match");
    const pattern = templatePattern(
      str(template, "regex.template_match"),
      delimiter(open, "start"),
      delimiter(close, "end"),
    );
    return compile(pattern).matcher(text).find();
  },
  "regex.find_n": ([pattern, value, n]) =>
    findAll(compile(str(pattern, "regex.find_n")), str(value, "regex.find_n"), int(n, "regex.find_n")).map(
      (m) => m.groups[0] as string,
    ),
  "regex.replace": ([base, pattern, value]) => {
    const text = str(base, "regex.replace");
    const re = compile(str(pattern, "regex.replace"));
    const template = str(value, "regex.replace");
    const names = re.namedGroups() as Record<string, number>;
    let out = "";
    let last = 0;
    for (const m of findAll(re, text, -1)) {
      out += text.slice(last, m.start) + expand(template, m, names);
      last = m.end;
    }
    return out + text.slice(last);
  },
};
