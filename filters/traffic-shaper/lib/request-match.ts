/**
 * Request matching shared by rate-limit rules and priority classes. Conditions are ANDed; the
 * values inside one condition are ORed (e.g. `methods: ["GET","HEAD"]`). An empty match matches
 * every request. Matching is allocation-free and linear in the configured conditions.
 *
 * - `methods`: exact, case-sensitive (HTTP methods are).
 * - `path`: exact / prefix / glob on the path without query.
 * - `authority`: glob (`*.example.com`), case-insensitive as DNS names are: the config value is
 *   lowercased at parse time and `RequestAttributes.authority` is lowercase by contract.
 * - `headers`: each must hold: present / exact / prefix / glob on the first value.
 * - `sourceCidrs`: peer address in any range; an unknown peer never matches.
 * - `subjects`: glob on the verified subject (SPIFFE ID or JWT subject); "" (anonymous) matches
 *   only a pattern that matches the empty string (e.g. "*").
 * - `riskLevels` / `minRiskScore`: risk from the authz server; unknown risk never matches.
 */
import { Cidr } from "./cidr";
import { globMatch } from "./glob";
import { RequestAttributes } from "./request";

export enum StringMatchKind {
  Any = 0,
  Exact = 1,
  Prefix = 2,
  Glob = 3,
  Present = 4,
}

export class StringMatch {
  constructor(
    public kind: StringMatchKind,
    public value: string,
  ) {}

  test(s: string): bool {
    switch (this.kind) {
      case StringMatchKind.Exact:
        return s == this.value;
      case StringMatchKind.Prefix:
        return s.startsWith(this.value);
      case StringMatchKind.Glob:
        return globMatch(this.value, s);
      default:
        return true;
    }
  }

  kindName(): string {
    switch (this.kind) {
      case StringMatchKind.Exact:
        return "exact";
      case StringMatchKind.Prefix:
        return "prefix";
      case StringMatchKind.Glob:
        return "glob";
      case StringMatchKind.Present:
        return "present";
      default:
        return "any";
    }
  }
}

export class HeaderMatch {
  constructor(
    public name: string,
    public match: StringMatch,
  ) {}
}

export class RequestMatch {
  methods: Array<string> = new Array<string>();
  path: StringMatch = new StringMatch(StringMatchKind.Any, "");
  authority: string = "";
  headers: Array<HeaderMatch> = new Array<HeaderMatch>();
  sourceCidrs: Array<Cidr> = new Array<Cidr>();
  sourceCidrTexts: Array<string> = new Array<string>();
  subjects: Array<string> = new Array<string>();
  riskLevels: Array<string> = new Array<string>();
  /** −1: no condition. */
  minRiskScore: i32 = -1;

  matches(req: RequestAttributes): bool {
    if (this.methods.length > 0 && !this.methods.includes(req.method)) return false;
    if (!this.path.test(req.path)) return false;
    if (this.authority.length > 0 && !globMatch(this.authority, req.authority)) return false;
    for (let i = 0; i < this.headers.length; i++) {
      const h = this.headers[i];
      const v = req.header(h.name);
      if (v === null || !h.match.test(v)) return false;
    }
    if (this.sourceCidrs.length > 0 && !this.sourceMatches(req)) return false;
    if (this.subjects.length > 0 && !anyGlob(this.subjects, req.subject)) return false;
    if (this.riskLevels.length > 0 && !this.riskLevels.includes(req.riskLevel)) return false;
    if (this.minRiskScore >= 0 && req.riskScore < this.minRiskScore) return false;
    return true;
  }

  private sourceMatches(req: RequestAttributes): bool {
    const ip = req.sourceIp;
    if (ip === null) return false;
    for (let i = 0; i < this.sourceCidrs.length; i++) if (this.sourceCidrs[i].contains(ip)) return true;
    return false;
  }
}

function anyGlob(patterns: Array<string>, s: string): bool {
  for (let i = 0; i < patterns.length; i++) if (globMatch(patterns[i], s)) return true;
  return false;
}
