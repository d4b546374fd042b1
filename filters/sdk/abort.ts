// Abort handler wired in with `--use abort=filters/sdk/abort/proxyAbort` (asconfig.json).
// AssemblyScript calls it on a failed assertion, a bounds check or `throw`; the compiler appends
// `unreachable`, so the VM still traps and Envoy applies the plugin's failure_policy. What this adds
// is a critical log line naming the message and source position. It writes into a static buffer and
// never allocates, because an abort can come from the allocator itself (out of memory). It keeps no
// global state either: the abort may fire before module globals are initialised.
import { proxy_log } from "./imports";

const CAPACITY: usize = 512;

// Each writer takes the current length and returns the new one.
function putChar(buffer: usize, at: usize, code: i32): usize {
  if (at >= CAPACITY) return at;
  // The log line is ASCII; anything else becomes '?' rather than needing a UTF-8 encoder here.
  store<u8>(buffer + at, code >= 0x20 && code < 0x7f ? <u8>code : 0x3f);
  return at + 1;
}

function putString(buffer: usize, at: usize, s: string | null): usize {
  if (s === null) return at;
  for (let i = 0, n = s.length; i < n; i++) at = putChar(buffer, at, s.charCodeAt(i));
  return at;
}

function putNumber(buffer: usize, at: usize, value: u32): usize {
  let divisor: u32 = 1;
  while (value / divisor >= 10) divisor *= 10;
  while (divisor > 0) {
    at = putChar(buffer, at, 0x30 + <i32>((value / divisor) % 10));
    divisor /= 10;
  }
  return at;
}

export function proxyAbort(message: string | null, fileName: string | null, line: u32, column: u32): void {
  const buffer = memory.data(<i32>CAPACITY);
  let at: usize = 0;
  at = putString(buffer, at, "meshward abort: ");
  at = putString(buffer, at, message);
  at = putString(buffer, at, " at ");
  at = putString(buffer, at, fileName);
  at = putChar(buffer, at, 0x3a);
  at = putNumber(buffer, at, line);
  at = putChar(buffer, at, 0x3a);
  at = putNumber(buffer, at, column);
  proxy_log(5, buffer, at);
}
