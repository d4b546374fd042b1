// Typed access to the two CheckResponse variants in tests.
import type {
  CheckResponse,
  DeniedHttpResponse,
  OkHttpResponse,
} from "../../../authz-server/src/gen/envoy/service/auth/v3/external_auth_pb.ts";

export function okOf(response: CheckResponse): OkHttpResponse {
  if (response.httpResponse.case !== "okResponse")
    throw new Error(`expected okResponse, got ${response.httpResponse.case}`);
  return response.httpResponse.value;
}

export function deniedOf(response: CheckResponse): DeniedHttpResponse {
  if (response.httpResponse.case !== "deniedResponse") {
    throw new Error(`expected deniedResponse, got ${response.httpResponse.case}`);
  }
  return response.httpResponse.value;
}

export const headerPairsOf = (options: { header?: { key: string; value: string } }[]): [string, string][] =>
  options.map((o) => [o.header?.key ?? "", o.header?.value ?? ""]);
