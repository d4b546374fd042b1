// Public surface of Meshward's proxy-wasm SDK for filter authors. Every wrapper returns errors as
// values (null / a fallback / a WasmResult) and records the host's status for lastStatus().
export * from "./enums";
export * from "./status";
export * from "./context";
export * from "./pairs";
export * from "./headers";
export * from "./buffers";
export * from "./properties";
export * from "./shared-data";
export * from "./queues";
export * from "./metrics";
export * from "./http-call";
export * from "./stream";
export * from "./foreign";
export * from "./time";
export * from "./log";
export { BUILD_SOURCE_DIGEST, MESHWARD_VERSION } from "./build_info";
