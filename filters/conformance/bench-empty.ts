// Benchmark baseline (bench/sdk-microbench.ts, the Envoy tier of `npm run bench`): the SDK with no
// filter logic, exporting the same headers-only callback set as Meshward's filters
// (sdk/exports-headers.ts), so the measured cost is what any such Wasm filter pays per HTTP stream:
// the host + dispatch overhead of context create, headers, log and delete.
export * from "../sdk/exports-headers";
