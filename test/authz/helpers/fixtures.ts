// Loads CheckRequest fixtures (protojson, as opa-envoy-plugin's own tests write them).
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { fromJson, type JsonValue } from "@bufbuild/protobuf";
import {
  type CheckRequest,
  CheckRequestSchema,
} from "../../../authz-server/src/gen/envoy/service/auth/v3/external_auth_pb.ts";
import { repoRoot } from "../../../scripts/lib/tools.ts";

export function fixture(name: string): CheckRequest {
  const json = JSON.parse(readFileSync(join(repoRoot, "test/authz/fixtures", `${name}.json`), "utf8")) as JsonValue;
  return fromJson(CheckRequestSchema, json);
}
