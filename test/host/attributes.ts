// Property lookup as Envoy's get_property sees it: values written with
// set_property (filter state `wasm.<path>`) first, then plugin properties (plugin_name,
// plugin_root_id, plugin_vm_id and whatever the test added with withProperty), then attributes
// derived from the stream (request.*, response.*, source.*, destination.*, connection.*).
// Header-derived request attributes read the request map Envoy still holds for the stream.
import type { Pair } from "./pairs.ts";
import { type PropertyValue, propertyKey, serializeProperty } from "./properties.ts";
import type { PluginSpec } from "./types.ts";
import type { StreamState } from "./vm.ts";

const header = (map: Pair[], name: string): string | undefined => map.find(([k]) => k === name)?.[1];

/** Envoy joins repeated header values with "," in request.headers. */
function joinedHeaders(map: Pair[]): Pair[] {
  const joined = new Map<string, string>();
  for (const [k, v] of map) joined.set(k, joined.has(k) ? `${joined.get(k)},${v}` : v);
  return [...joined];
}

function streamAttribute(path: string[], s: StreamState): PropertyValue | undefined {
  const [group, name, sub] = path;
  const request = s.requestSnapshot;
  const str = (v: string | undefined): PropertyValue | undefined =>
    v === undefined ? undefined : { kind: "string", value: v };
  if (group === "request") {
    if (name === "headers") {
      const all = joinedHeaders(request);
      if (sub === undefined) return { kind: "map", value: all };
      return str(all.find(([k]) => k === sub.toLowerCase())?.[1]);
    }
    const path = header(request, ":path");
    switch (name) {
      case "path":
        return str(path);
      case "url_path":
        return str(path?.split("?")[0]);
      case "query":
        return str(path?.includes("?") ? path.slice(path.indexOf("?") + 1) : "");
      case "host":
        return str(header(request, ":authority"));
      case "scheme":
        return str(header(request, ":scheme"));
      case "method":
        return str(header(request, ":method"));
      case "id":
        return str(header(request, "x-request-id"));
      case "useragent":
        return str(header(request, "user-agent"));
      case "referer":
        return str(header(request, "referer"));
      case "protocol":
        return str(s.info.protocol);
      case "time":
        return { kind: "nanos", value: s.info.startNs };
      default:
        return undefined;
    }
  }
  if (group === "response" && s.responseSnapshot.length > 0) {
    if (name === "code") {
      const code = header(s.responseSnapshot, ":status");
      return code === undefined ? undefined : { kind: "int64", value: BigInt(code) };
    }
    if (name === "headers") return { kind: "map", value: joinedHeaders(s.responseSnapshot) };
    return undefined;
  }
  if (group === "source" || group === "destination") {
    const address = group === "source" ? s.info.sourceAddress : s.info.destinationAddress;
    const port = group === "source" ? s.info.sourcePort : s.info.destinationPort;
    if (name === "address") return str(`${address}:${port}`);
    if (name === "port") return { kind: "int64", value: BigInt(port) };
    return undefined;
  }
  if (group === "connection") {
    if (name === "mtls") return { kind: "bool", value: false };
    if (name === "id") return { kind: "uint64", value: BigInt(s.id) };
  }
  return undefined;
}

/** Serialized value, or undefined for NotFound. */
export function resolveProperty(
  pathKey: string,
  spec: PluginSpec,
  stream: StreamState | undefined,
): Uint8Array | undefined {
  const written = stream?.filterState.get(pathKey);
  if (written) return written;
  const configured = spec.properties.get(pathKey);
  if (configured) return serializeProperty(configured);
  const path = pathKey.split("\0");
  if (path.length === 1) {
    if (path[0] === "plugin_name") return serializeProperty({ kind: "string", value: spec.name });
    if (path[0] === "plugin_root_id") return serializeProperty({ kind: "string", value: spec.rootId });
    if (path[0] === "plugin_vm_id") return serializeProperty({ kind: "string", value: spec.vmId });
  }
  if (!stream) return undefined;
  const value = streamAttribute(path, stream);
  return value ? serializeProperty(value) : undefined;
}

export { propertyKey };
