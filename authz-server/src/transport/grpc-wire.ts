// gRPC over HTTP/2, the parts that are plain data (the protocol's PROTOCOL-HTTP2.md): status codes,
// the 5-byte message prefix, the `grpc-timeout` header and the percent-encoded `grpc-message`.
// Pure: no I/O, no clock.

/** google.rpc.Code as gRPC statuses carry it. */
export const GrpcStatus = {
  OK: 0,
  CANCELLED: 1,
  UNKNOWN: 2,
  INVALID_ARGUMENT: 3,
  DEADLINE_EXCEEDED: 4,
  NOT_FOUND: 5,
  RESOURCE_EXHAUSTED: 8,
  UNIMPLEMENTED: 12,
  INTERNAL: 13,
  UNAVAILABLE: 14,
} as const;

/** A call's failure as the client sees it: a status code and a message (`grpc-message`). */
export class GrpcError extends Error {
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
    this.name = "GrpcError";
  }
}

/** The length prefix of one message: 1 byte compressed flag, 4 bytes big-endian length. */
export const MESSAGE_PREFIX_BYTES = 5;

/** `payload` with its uncompressed-message prefix. */
export function frameMessage(payload: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(MESSAGE_PREFIX_BYTES + payload.byteLength);
  out[0] = 0;
  out.writeUInt32BE(payload.byteLength, 1);
  out.set(payload, MESSAGE_PREFIX_BYTES);
  return out;
}

/**
 * The single message of a unary request body (every DATA frame concatenated), or a GrpcError:
 * no message, more than one, a truncated one, or a compressed one (this server negotiates no
 * compression, so a set flag is a protocol violation: INTERNAL, as the protocol specifies).
 */
export function unaryMessage(body: Buffer): Buffer {
  if (body.length < MESSAGE_PREFIX_BYTES) {
    throw new GrpcError(GrpcStatus.INTERNAL, body.length === 0 ? "no request message" : "truncated message prefix");
  }
  if (body[0] !== 0) throw new GrpcError(GrpcStatus.INTERNAL, "compressed message without a negotiated encoding");
  const length = body.readUInt32BE(1);
  const end = MESSAGE_PREFIX_BYTES + length;
  if (body.length < end) throw new GrpcError(GrpcStatus.INTERNAL, "truncated message");
  if (body.length > end) throw new GrpcError(GrpcStatus.INTERNAL, "more than one request message for a unary method");
  return body.subarray(MESSAGE_PREFIX_BYTES, end);
}

const TIMEOUT_UNIT_MS: Record<string, number> = { H: 3_600_000, M: 60_000, S: 1000, m: 1, u: 0.001, n: 0.000001 };

/**
 * `grpc-timeout` in ms: 1 to 8 ASCII digits and a unit (H M S m u n). Undefined when absent or
 * malformed (a malformed value is ignored, as grpc-js and grpc-go do: the call has no deadline).
 */
export function parseGrpcTimeout(value: string | undefined): number | undefined {
  if (value === undefined || value.length < 2 || value.length > 9) return undefined;
  const unit = TIMEOUT_UNIT_MS[value[value.length - 1] as string];
  if (unit === undefined) return undefined;
  let n = 0;
  for (let i = 0; i < value.length - 1; i++) {
    const d = value.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return undefined;
    n = n * 10 + d;
  }
  return n * unit;
}

/**
 * `grpc-message` value: UTF-8, bytes outside printable ASCII (0x20–0x7E) and '%' percent-encoded.
 * Capped so a long error text cannot grow a trailer without bound.
 */
export function encodeGrpcMessage(message: string, maxChars = 1024): string {
  const text = message.length > maxChars ? `${message.slice(0, maxChars)}…` : message;
  let plain = true;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x20 || c > 0x7e || c === 0x25) {
      plain = false;
      break;
    }
  }
  if (plain) return text;
  let out = "";
  for (const byte of Buffer.from(text, "utf8")) {
    out +=
      byte < 0x20 || byte > 0x7e || byte === 0x25
        ? `%${byte.toString(16).toUpperCase().padStart(2, "0")}`
        : String.fromCharCode(byte);
  }
  return out;
}
