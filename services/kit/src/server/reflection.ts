import { create, createRegistry, fromBinary, toBinary, type DescFile, type DescService } from "@bufbuild/protobuf";
import { FileDescriptorProtoSchema } from "@bufbuild/protobuf/wkt";
import type { ConnectRouter } from "@connectrpc/connect";
import * as v1 from "@acme/gen/grpc/reflection/v1/reflection_pb";
import * as v1alpha from "@acme/gen/grpc/reflection/v1alpha/reflection_pb";

/**
 * gRPC server reflection (grpc.reflection.v1 and the older v1alpha that many
 * tools still ask for), so grpcurl, grpcui and Postman can call a service
 * without its .proto files. connect-es has none upstream (connectrpc/connect-es#507).
 * It describes exactly what the router serves, from the generated
 * descriptors the handlers were registered with.
 */
export function reflectionRoutes(router: ConnectRouter): void {
  const served = [...new Map(router.handlers.map((h) => [h.service.typeName, h.service])).values()];
  const answer = reflectionAnswers(served);
  router.service(v1.ServerReflection, {
    async *serverReflectionInfo(requests) {
      for await (const request of requests) {
        yield create(v1.ServerReflectionResponseSchema, { validHost: request.host, originalRequest: request, messageResponse: answer(request) });
      }
    },
  });
  // v1alpha has the same messages, field for field, under another package: translate through the wire form.
  router.service(v1alpha.ServerReflection, {
    async *serverReflectionInfo(requests) {
      for await (const request of requests) {
        const asV1 = fromBinary(v1.ServerReflectionRequestSchema, toBinary(v1alpha.ServerReflectionRequestSchema, request));
        const response = create(v1.ServerReflectionResponseSchema, { validHost: request.host, originalRequest: asV1, messageResponse: answer(asV1) });
        yield fromBinary(v1alpha.ServerReflectionResponseSchema, toBinary(v1.ServerReflectionResponseSchema, response));
      }
    },
  });
}

/** Answers one reflection request about the `served` services (and reflection itself). */
function reflectionAnswers(served: DescService[]): (request: v1.ServerReflectionRequest) => v1.ServerReflectionResponse["messageResponse"] {
  const names = [...served.map((s) => s.typeName), v1.ServerReflection.typeName, v1alpha.ServerReflection.typeName];
  const files = withDependencies([...served.map((s) => s.file), v1.file_grpc_reflection_v1_reflection, v1alpha.file_grpc_reflection_v1alpha_reflection]);
  const registry = createRegistry(...files);
  const byName = new Map(files.map((f) => [f.proto.name, f]));

  /** The file defining a symbol: a message, enum, service, extension, or a method or field of one. */
  const fileContaining = (symbol: string): DescFile | undefined => {
    const desc = registry.get(symbol) ?? registry.get(symbol.slice(0, symbol.lastIndexOf(".")));
    return desc?.file;
  };
  const encode = (file: DescFile) => withDependencies([file]).map((f) => toBinary(FileDescriptorProtoSchema, f.proto));

  return (request) => {
    const notFound = (what: string) => ({
      case: "errorResponse" as const,
      value: create(v1.ErrorResponseSchema, { errorCode: 5, errorMessage: `${what} not found` }),
    });
    const req = request.messageRequest;
    switch (req.case) {
      case "listServices":
        return { case: "listServicesResponse", value: create(v1.ListServiceResponseSchema, { service: names.map((name) => ({ name })) }) };
      case "fileByFilename": {
        const file = byName.get(req.value);
        return file
          ? { case: "fileDescriptorResponse", value: create(v1.FileDescriptorResponseSchema, { fileDescriptorProto: encode(file) }) }
          : notFound(`file ${req.value}`);
      }
      case "fileContainingSymbol": {
        const file = fileContaining(req.value);
        return file
          ? { case: "fileDescriptorResponse", value: create(v1.FileDescriptorResponseSchema, { fileDescriptorProto: encode(file) }) }
          : notFound(`symbol ${req.value}`);
      }
      case "fileContainingExtension":
        return notFound(`extension ${req.value.extensionNumber} of ${req.value.containingType}`);
      case "allExtensionNumbersOfType":
        return registry.getMessage(req.value)
          ? { case: "allExtensionNumbersResponse", value: create(v1.ExtensionNumberResponseSchema, { baseTypeName: req.value, extensionNumber: [] }) }
          : notFound(`type ${req.value}`);
      default:
        return { case: "errorResponse", value: create(v1.ErrorResponseSchema, { errorCode: 3, errorMessage: "empty request" }) };
    }
  };
}

/** The files and everything they import, each once. */
function withDependencies(files: DescFile[]): DescFile[] {
  const seen = new Map<string, DescFile>();
  const visit = (file: DescFile) => {
    if (seen.has(file.proto.name)) return;
    seen.set(file.proto.name, file);
    file.dependencies.forEach(visit);
  };
  files.forEach(visit);
  return [...seen.values()];
}
