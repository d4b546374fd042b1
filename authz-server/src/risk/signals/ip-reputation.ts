// Signal 1 — IP reputation: the source address against three CIDR lists.
//
// Config (`ipReputation`): `deny`, `anonymizer`, `suspect` — arrays of IPv4/IPv6 CIDR blocks (from
// bundle data or a file; the server passes them in), and one weight per list in score points.
// Formula: contribution = weight of the most severe list containing the address (deny > anonymizer >
// suspect); strength is 1 on a match, 0 otherwise. Defaults: deny 100 (a deny-listed address alone
// reaches the top of the scale), anonymizer 50 (Tor exits / anonymising VPNs, as Entra's "anonymous
// IP" detection), suspect 30 (e.g. threat-intel "seen scanning").
// Edge cases: a missing or unparseable source IP matches nothing; IPv4-mapped IPv6 matches IPv4 lists.
import { CidrTable } from "../net/cidr.ts";
import { addReason, type Signal } from "./signal.ts";

export interface IpReputationConfig {
  deny: string[];
  anonymizer: string[];
  suspect: string[];
  weights: { deny: number; anonymizer: number; suspect: number };
}

export const IP_REPUTATION_DEFAULTS: IpReputationConfig = {
  deny: [],
  anonymizer: [],
  suspect: [],
  weights: { deny: 100, anonymizer: 50, suspect: 30 },
};

type ListName = "deny" | "anonymizer" | "suspect";
const SEVERITY: readonly ListName[] = ["deny", "anonymizer", "suspect"];

export function createIpReputation(config: IpReputationConfig): Signal {
  const tables = SEVERITY.map((name) => {
    const table = new CidrTable<string>();
    for (const cidr of config[name]) table.add(cidr, cidr);
    return { name, table, weight: config.weights[name] };
  }).filter((t) => t.table.size > 0);
  return ({ ctx, ipWords }, out) => {
    if (ipWords === null || tables.length === 0) return;
    for (const { name, table, weight } of tables) {
      const block = table.lookup(ipWords);
      if (block !== undefined) {
        addReason(out, "ip-reputation", weight, 1, `${ctx.sourceIp} is in the ${name} list (${block})`);
        return;
      }
    }
  };
}
