// Decision → CheckResponse in protobuf binary, written directly: the same bytes as
// `toBinary(CheckResponseSchema, toCheckResponse(decision, decisionId))` (response.ts), without
// building the message objects first. On the gRPC hot path those objects and the reflective
// encoder cost more than the policy's own result handling (bench/README.md). The equivalence is
// pinned byte for byte by test/authz/response-binary.test.ts. Pure.
//
// Field numbers (envoy/service/auth/v3/external_auth.proto and the messages it uses):
//   CheckResponse      1 status (google.rpc.Status: 1 code), 2 denied_response, 3 ok_response,
//                      4 dynamic_metadata (google.protobuf.Struct)
//   OkHttpResponse     2 headers, 5 headers_to_remove, 6 response_headers_to_add,
//                      7 query_parameters_to_set, 8 query_parameters_to_remove
//   DeniedHttpResponse 1 status (envoy.type.v3.HttpStatus: 1 code), 2 headers, 3 body
//   HeaderValueOption  1 header (HeaderValue: 1 key, 2 value); QueryParameter: 1 key, 2 value
//   Struct             1 fields: map entries (1 key, 2 Value)
//   Value              1 null_value, 2 number_value (double), 3 string_value, 4 bool_value,
//                      5 struct_value, 6 list_value (ListValue: 1 values)
import type { JsonObject, JsonValue } from "@bufbuild/protobuf";
import type { Decision, HeaderPair } from "./decision.ts";

const GRPC_PERMISSION_DENIED = 7;

/** Wire types: 0 varint, 1 64-bit, 2 length-delimited. */
const VARINT = 0;
const FIXED64 = 1;
const LENGTH = 2;

/**
 * An append-only protobuf writer over one growing buffer. `fork()` opens a length-delimited field
 * whose length is not yet known; `join()` closes it, moving the body right by the size of the
 * length varint (bodies here are small, so the move is cheap).
 */
class Writer {
  buf = Buffer.allocUnsafe(512);
  pos = 0;
  private readonly starts: number[] = [];

  private ensure(extra: number): void {
    if (this.pos + extra <= this.buf.length) return;
    const next = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.pos + extra));
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }

  varint(value: number): void {
    this.ensure(10);
    let v = value >>> 0;
    if (value < 0) {
      // Negative int32 (not used by the fields here, kept correct): ten bytes, two's complement.
      this.varint64Negative(value);
      return;
    }
    while (v > 0x7f) {
      this.buf[this.pos++] = (v & 0x7f) | 0x80;
      v >>>= 7;
    }
    this.buf[this.pos++] = v;
  }

  private varint64Negative(value: number): void {
    let lo = value >>> 0;
    let hi = Math.floor(value / 0x100000000) >>> 0;
    for (let i = 0; i < 9; i++) {
      this.buf[this.pos++] = (lo & 0x7f) | 0x80;
      lo = (lo >>> 7) | ((hi & 0x7f) << 25);
      hi >>>= 7;
    }
    this.buf[this.pos++] = lo & 0x01;
  }

  tag(field: number, wireType: number): void {
    this.varint((field << 3) | wireType);
  }

  string(field: number, value: string): void {
    this.tag(field, LENGTH);
    const max = value.length * 3;
    if (max < 128) {
      // The length fits one byte whatever the UTF-8 size: write in place.
      this.ensure(1 + max);
      const n = this.buf.write(value, this.pos + 1, "utf8");
      this.buf[this.pos] = n;
      this.pos += 1 + n;
      return;
    }
    const n = Buffer.byteLength(value, "utf8");
    this.varint(n);
    this.ensure(n);
    this.pos += this.buf.write(value, this.pos, "utf8");
  }

  double(field: number, value: number): void {
    this.tag(field, FIXED64);
    this.ensure(8);
    this.buf.writeDoubleLE(value, this.pos);
    this.pos += 8;
  }

  fork(field: number): void {
    this.tag(field, LENGTH);
    this.starts.push(this.pos);
  }

  join(): void {
    const start = this.starts.pop() as number;
    const length = this.pos - start;
    let size = 1;
    for (let v = length >>> 7; v > 0; v >>>= 7) size++;
    this.ensure(size);
    if (length > 0) this.buf.copyWithin(start + size, start, this.pos);
    const end = this.pos + size;
    this.pos = start;
    this.varint(length);
    this.pos = end;
  }

  finish(): Uint8Array {
    const out = new Uint8Array(this.pos);
    out.set(this.buf.subarray(0, this.pos));
    return out;
  }
}

function headerOptions(w: Writer, field: number, headers: readonly HeaderPair[]): void {
  for (const [key, value] of headers) {
    w.fork(field); // HeaderValueOption
    w.fork(1); // header: HeaderValue
    if (key !== "") w.string(1, key);
    if (value !== "") w.string(2, value);
    w.join();
    w.join();
  }
}

function strings(w: Writer, field: number, values: readonly string[]): void {
  for (const value of values) w.string(field, value);
}

function jsonValue(w: Writer, value: JsonValue | undefined): void {
  // Mirrors protobuf-es's JsonValue → google.protobuf.Value: anything else is an empty Value.
  switch (typeof value) {
    case "number":
      w.double(2, value);
      return;
    case "string":
      w.string(3, value);
      return;
    case "boolean":
      w.tag(4, VARINT);
      w.varint(value ? 1 : 0);
      return;
    case "object":
      if (value === null) {
        w.tag(1, VARINT);
        w.varint(0);
      } else if (Array.isArray(value)) {
        w.fork(6); // ListValue
        for (const item of value) {
          w.fork(1);
          jsonValue(w, item);
          w.join();
        }
        w.join();
      } else {
        w.fork(5);
        struct(w, value as JsonObject);
        w.join();
      }
      return;
  }
}

/** The fields of a google.protobuf.Struct (the caller opened the message). */
function struct(w: Writer, object: JsonObject): void {
  for (const key of Object.keys(object)) {
    w.fork(1); // map entry
    w.string(1, key); // a map entry's key is always written, "" included
    w.fork(2);
    jsonValue(w, object[key]);
    w.join();
    w.join();
  }
}

const writer = new Writer();

/** The CheckResponse for `decision`, as protobuf binary (see the top of this file). */
export function encodeCheckResponse(decision: Decision, decisionId: string): Uint8Array {
  const w = writer;
  w.pos = 0;
  w.fork(1); // status
  if (!decision.allowed) {
    w.tag(1, VARINT);
    w.varint(GRPC_PERMISSION_DENIED);
  }
  w.join();
  if (decision.allowed) {
    w.fork(3);
    headerOptions(w, 2, decision.headers);
    strings(w, 5, decision.requestHeadersToRemove);
    headerOptions(w, 6, decision.responseHeadersToAdd);
    for (const [key, value] of decision.queryParametersToSet) {
      w.fork(7);
      if (key !== "") w.string(1, key);
      if (value !== "") w.string(2, value);
      w.join();
    }
    strings(w, 8, decision.queryParametersToRemove);
    w.join();
  } else {
    w.fork(2);
    const status = decision.httpStatus ?? 403;
    w.fork(1);
    if (status !== 0) {
      w.tag(1, VARINT);
      w.varint(status);
    }
    w.join();
    headerOptions(w, 2, decision.headers);
    if (decision.body) w.string(3, decision.body);
    w.join();
  }
  w.fork(4);
  // `{ ...decision.dynamicMetadata, decision_id }`: the decision's keys in order, decision_id last
  // unless the policy already set it (then it keeps that position with Meshward's value).
  const metadata = decision.dynamicMetadata;
  if (metadata) {
    for (const key of Object.keys(metadata)) {
      w.fork(1);
      w.string(1, key);
      w.fork(2);
      jsonValue(w, key === "decision_id" ? decisionId : metadata[key]);
      w.join();
      w.join();
    }
  }
  if (!metadata || !Object.hasOwn(metadata, "decision_id")) {
    w.fork(1);
    w.string(1, "decision_id");
    w.fork(2);
    w.string(3, decisionId);
    w.join();
    w.join();
  }
  w.join();
  return w.finish();
}
