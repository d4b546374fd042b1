// Benchmark baseline (bench/sdk-microbench.ts): the SDK with no filter logic, so the measured cost
// is the host + dispatch overhead of one HTTP stream.
export * from "../sdk/exports";
