// Bridges protobuf-es service descriptors to grpc-js: grpc-js only needs a path and four
// (de)serialisers per method, which protobuf-es provides from the generated schema.
import { type DescMessage, type DescService, fromBinary, type MessageShape, toBinary } from "@bufbuild/protobuf";
import type { MethodDefinition, ServiceDefinition } from "@grpc/grpc-js";

function codec<T extends DescMessage>(schema: T) {
  return {
    serialize: (message: MessageShape<T>): Buffer => {
      const bytes = toBinary(schema, message);
      return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    },
    deserialize: (bytes: Buffer): MessageShape<T> => fromBinary(schema, bytes),
  };
}

export function toGrpcServiceDefinition(service: DescService): ServiceDefinition {
  const definition: Record<string, MethodDefinition<unknown, unknown>> = {};
  for (const method of service.methods) {
    const input = codec(method.input);
    const output = codec(method.output);
    definition[method.name] = {
      path: `/${service.typeName}/${method.name}`,
      requestStream: method.methodKind === "client_streaming" || method.methodKind === "bidi_streaming",
      responseStream: method.methodKind === "server_streaming" || method.methodKind === "bidi_streaming",
      requestSerialize: input.serialize as (m: unknown) => Buffer,
      requestDeserialize: input.deserialize,
      responseSerialize: output.serialize as (m: unknown) => Buffer,
      responseDeserialize: output.deserialize,
      originalName: method.localName,
    };
  }
  return definition as ServiceDefinition;
}
