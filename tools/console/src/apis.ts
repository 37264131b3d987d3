import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { create, toBinary, type DescFile } from "@bufbuild/protobuf";
import { FileDescriptorSetSchema } from "@bufbuild/protobuf/wkt";
import { createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { file_acme_auth_v1_auth_service } from "@acme/gen/acme/auth/v1/auth_service_pb";
import { file_acme_billing_v1_billing_service } from "@acme/gen/acme/billing/v1/billing_service_pb";
import { file_acme_profile_v1_profile_service } from "@acme/gen/acme/profile/v1/profile_service_pb";
import { ServerReflection } from "@acme/gen/grpc/reflection/v1/reflection_pb";
import { REPO_ROOT, type ServiceName, type SystemTarget } from "./config.js";

/**
 * The contracts with their .proto comments: `buf build` keeps source info
 * (the generated code drops it). Without buf (a console run outside the
 * repository), the generated descriptors, without comments.
 */
export function loadDescriptorSet(): Uint8Array {
  // `npm run build` (and npm start) write it beside the server bundle: no buf run at request time.
  const built = join(REPO_ROOT, "tools/console/dist/descriptors.binpb");
  if (existsSync(built)) return new Uint8Array(readFileSync(built));
  return buildDescriptorSet();
}

export function buildDescriptorSet(): Uint8Array {
  const buf = join(REPO_ROOT, "node_modules/.bin/buf");
  const run = spawnSync(buf, ["build", "-o", "-#format=binpb"], {
    cwd: REPO_ROOT,
    maxBuffer: 64 * 1024 * 1024,
    env: { ...process.env, BUF_CACHE_DIR: join(REPO_ROOT, ".buf-cache") },
  });
  if (run.status === 0 && run.stdout.length) return new Uint8Array(run.stdout);
  const files = new Map<string, DescFile>();
  const visit = (f: DescFile) => {
    if (files.has(f.proto.name)) return;
    files.set(f.proto.name, f);
    f.dependencies.forEach(visit);
  };
  [file_acme_auth_v1_auth_service, file_acme_profile_v1_profile_service, file_acme_billing_v1_billing_service].forEach(visit);
  return toBinary(FileDescriptorSetSchema, create(FileDescriptorSetSchema, { file: [...files.values()].map((f) => f.proto) }));
}

const BY_PACKAGE: Record<ServiceName, string> = {
  auth: "acme.auth.v1.",
  profile: "acme.profile.v1.",
  billing: "acme.billing.v1.",
  notifications: "acme.notifications.v1.",
};

/** Which RPC services each service serves: asked through its gRPC reflection; by package name when it does not answer. */
export async function servedRpcServices(
  system: SystemTarget,
  allServiceNames: string[],
): Promise<{ service: ServiceName; url: string; rpcServices: string[] }[]> {
  return Promise.all(
    system.services.map(async (s) => {
      try {
        const client = createClient(ServerReflection, createGrpcTransport({ baseUrl: s.url }));
        async function* ask() {
          yield { host: "", messageRequest: { case: "listServices" as const, value: "*" } };
        }
        for await (const answer of client.serverReflectionInfo(ask(), { timeoutMs: 2_000 })) {
          if (answer.messageResponse.case === "listServicesResponse") {
            const names = answer.messageResponse.value.service.map((x) => x.name).filter((n) => n.startsWith("acme."));
            return { service: s.name, url: s.url, rpcServices: names };
          }
        }
      } catch {
        // fall through: the package naming convention
      }
      return { service: s.name, url: s.url, rpcServices: allServiceNames.filter((n) => n.startsWith(BY_PACKAGE[s.name])) };
    }),
  );
}
