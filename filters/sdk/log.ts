import { LogLevel } from "./enums";
import { proxy_get_log_level, proxy_log } from "./imports";
import { RETURN_U32 } from "./memory";

/** Writes one line to Envoy's `wasm` logger (`--component-log-level wasm:<level>` shows it). */
export function log(level: LogLevel, message: string): void {
  const bytes = String.UTF8.encode(message);
  proxy_log(<u32>level, changetype<usize>(bytes), <usize>bytes.byteLength);
}

/** True when Envoy's wasm logger would print `level`: lets callers skip building a message. */
export function logEnabled(level: LogLevel): bool {
  if (proxy_get_log_level(RETURN_U32) != 0) return true;
  return <u32>level >= load<u32>(RETURN_U32);
}

export function logInfo(message: string): void {
  log(LogLevel.Info, message);
}

export function logWarn(message: string): void {
  log(LogLevel.Warn, message);
}

export function logError(message: string): void {
  log(LogLevel.Error, message);
}
