import { Code, ConnectError, type ConnectRouter } from "@connectrpc/connect";
import { Health, HealthCheckResponse_ServingStatus } from "@acme/gen/grpc/health/v1/health_pb";

/** A dependency the service needs to do work (database, NATS); throws when unusable. */
export type ReadinessChecks = Record<string, () => Promise<void>>;

export interface ReadinessReport {
  ready: boolean;
  checks: Record<string, string>;
}

export async function checkReadiness(checks: ReadinessChecks, timeoutMs = 2_000): Promise<ReadinessReport> {
  const entries = await Promise.all(
    Object.entries(checks).map(async ([name, check]) => {
      try {
        await withTimeout(check(), timeoutMs, `${name} did not answer within ${timeoutMs} ms`);
        return [name, "ok"] as const;
      } catch (error) {
        return [name, (error as Error).message || "failed"] as const;
      }
    }),
  );
  return { ready: entries.every(([, status]) => status === "ok"), checks: Object.fromEntries(entries) };
}

async function withTimeout<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(message)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** grpc.health.v1.Health: the empty service name stands for the whole server. */
export function healthRoutes(serviceNames: string[], checks: ReadinessChecks, isShuttingDown: () => boolean) {
  return (router: ConnectRouter) => {
    router.service(Health, {
      async check(request) {
        if (request.service !== "" && !serviceNames.includes(request.service)) {
          throw new ConnectError(`unknown service "${request.service}"`, Code.NotFound);
        }
        const { ready } = await checkReadiness(checks);
        const serving = ready && !isShuttingDown();
        return { status: serving ? HealthCheckResponse_ServingStatus.SERVING : HealthCheckResponse_ServingStatus.NOT_SERVING };
      },
    });
  };
}
