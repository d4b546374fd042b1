/**
 * Classifies how an upstream request ended, from what the glue can read on the response / in
 * `on_log`: the HTTP status (0 if none was received) and Envoy's `response.flags` property.
 *
 * `response.flags` is Envoy's legacy 64-bit response-flag bitmask (StreamInfo::ResponseFlag in
 * envoy/stream_info/stream_info.h; access-log letters in brackets): UpstreamRequestTimeout 0x4
 * [UT], LocalReset 0x8 [LR], UpstreamRemoteReset 0x10 [UR], UpstreamConnectionFailure 0x20 [UF],
 * UpstreamConnectionTermination 0x40 [UC], UpstreamOverflow 0x80 [UO].
 *
 * Failures are what the endpoint is to blame for: a 5xx status, a reset, a connection failure or
 * a timeout. 4xx responses are the client's business and count as successes for balancing.
 * UpstreamOverflow (circuit breaker) is Envoy's own limit and is neither (ignored).
 */

export const FLAG_UPSTREAM_REQUEST_TIMEOUT: u64 = 0x4;
export const FLAG_LOCAL_RESET: u64 = 0x8;
export const FLAG_UPSTREAM_REMOTE_RESET: u64 = 0x10;
export const FLAG_UPSTREAM_CONNECTION_FAILURE: u64 = 0x20;
export const FLAG_UPSTREAM_CONNECTION_TERMINATION: u64 = 0x40;
export const FLAG_UPSTREAM_OVERFLOW: u64 = 0x80;

export enum Outcome {
  Success = 0,
  /** 5xx from the upstream. */
  ServerError = 1,
  /** Reset or connection failure/termination. */
  Reset = 2,
  Timeout = 3,
  /** Not attributable to the endpoint; record nothing. */
  Ignored = 4,
}

export function classifyOutcome(status: i32, responseFlags: u64): Outcome {
  if (responseFlags & FLAG_UPSTREAM_OVERFLOW) return Outcome.Ignored;
  if (responseFlags & FLAG_UPSTREAM_REQUEST_TIMEOUT) return Outcome.Timeout;
  const resetMask =
    FLAG_LOCAL_RESET |
    FLAG_UPSTREAM_REMOTE_RESET |
    FLAG_UPSTREAM_CONNECTION_FAILURE |
    FLAG_UPSTREAM_CONNECTION_TERMINATION;
  if (responseFlags & resetMask) return Outcome.Reset;
  if (status >= 500 && status <= 599) return Outcome.ServerError;
  if (status >= 100 && status <= 499) return Outcome.Success;
  return Outcome.Ignored;
}

export function isFailure(outcome: Outcome): bool {
  return outcome == Outcome.ServerError || outcome == Outcome.Reset || outcome == Outcome.Timeout;
}
