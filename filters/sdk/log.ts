// Logging through Envoy's `wasm` logger (`--component-log-level wasm:<level>`). Lines appear as
// `wasm log <plugin_name> <root_id> <vm_id>: <message>`. Levels above Critical are BadArgument.
import { LogLevel } from "./enums";
import { proxy_get_log_level, proxy_log } from "./imports";
import { encodeA, RETURN_U32, scratchSizeA } from "./memory";

/** Writes one line; the message is encoded into scratch memory (no allocation up to 2 KiB). */
export function log(level: LogLevel, message: string): void {
  const ptr = encodeA(message);
  proxy_log(<u32>level, ptr, scratchSizeA());
}

/** The host's current wasm log level (Trace 0 .. Critical 5); Trace when the host cannot say. */
export function hostLogLevel(): LogLevel {
  if (proxy_get_log_level(RETURN_U32) != 0) return LogLevel.Trace;
  return <LogLevel>load<u32>(RETURN_U32);
}

/** True when Envoy would print `level`: one host call and no allocation, so callers can skip
 *  building an expensive message. Errs on the side of true when the host cannot answer. */
export function logEnabled(level: LogLevel): bool {
  return <u32>level >= <u32>hostLogLevel();
}

export function logTrace(message: string): void {
  log(LogLevel.Trace, message);
}

export function logDebug(message: string): void {
  log(LogLevel.Debug, message);
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

export function logCritical(message: string): void {
  log(LogLevel.Critical, message);
}
