// Reading what istiod and pilot-agent gave an Envoy, from its admin API's config_dump.
import type { IstioProxy } from "./istio-processes.ts";

interface HttpFilter {
  name: string;
  config_discovery?: unknown;
}

interface ListenerDump {
  configs: {
    active_state?: {
      listener: {
        name: string;
        address?: { socket_address?: { address?: string; port_value?: number } };
        filter_chains?: { filters?: { name: string; typed_config?: { http_filters?: HttpFilter[] } }[] }[];
      };
    };
  }[];
}

/** The HTTP filter names, in order, of the listener bound to `address:port`. */
export async function httpFilterChain(proxy: IstioProxy, address: string, port: number): Promise<string[]> {
  const dump = await proxy.adminJson<ListenerDump>("/config_dump?resource=dynamic_listeners");
  const listener = dump.configs
    .map((c) => c.active_state?.listener)
    .find((l) => l?.address?.socket_address?.address === address && l.address.socket_address.port_value === port);
  if (!listener) return [];
  for (const chain of listener.filter_chains ?? []) {
    for (const filter of chain.filters ?? []) {
      const filters = filter.typed_config?.http_filters;
      if (filters) return filters.map((f) => f.name);
    }
  }
  return [];
}

export interface EcdsFilter {
  name: string;
  typed_config: {
    "@type": string;
    config?: { vm_config?: { code?: { local?: { filename?: string }; remote?: unknown } } };
  };
}

/** The filters Envoy received over ECDS (the Wasm filters, as pilot-agent rewrote them). */
export async function ecdsFilters(proxy: IstioProxy): Promise<EcdsFilter[]> {
  const dump = await proxy.adminJson<{ configs?: { ecds_filter?: EcdsFilter }[] }>(
    "/config_dump?resource=ecds_filters",
  );
  return (dump.configs ?? []).flatMap((c) => (c.ecds_filter ? [c.ecds_filter] : []));
}

export const WASM_TYPE = "type.googleapis.com/envoy.extensions.filters.http.wasm.v3.Wasm";
export const RBAC_TYPE = "type.googleapis.com/envoy.extensions.filters.http.rbac.v3.RBAC";
