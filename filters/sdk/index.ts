// Public surface of Meshward's proxy-wasm SDK for filter authors.
export * from "./enums";
export * from "./context";
export * from "./headers";
export * from "./log";
export { BUILD_GIT_SHA, MESHWARD_VERSION } from "./build_info";
