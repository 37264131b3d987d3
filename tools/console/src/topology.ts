import { readFileSync } from "node:fs";
import { create } from "@bufbuild/protobuf";
import { durationMs, timestampNow } from "@bufbuild/protobuf/wkt";
import { createClient } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import { AuthAdminService } from "@acme/gen/acme/admin/v1/auth_admin_pb";
import { GetTopologyResponseSchema, type GetTopologyResponse, type ServiceStatus } from "@acme/gen/acme/console/v1/console_pb";
import type { ServiceTarget, SystemTarget } from "./config.js";
import { DURABLES, STREAM, type EventTail } from "./event-tail.js";
import type { SpanRing } from "./span-ring.js";

/** Resident memory from /proc (Linux), when the process runs on this machine. */
function residentBytes(pid: number | undefined): bigint {
  if (!pid) return 0n;
  try {
    const kb = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1];
    return kb ? BigInt(kb) * 1024n : 0n;
  } catch {
    return 0n;
  }
}

async function serviceStatus(target: ServiceTarget): Promise<ServiceStatus> {
  const status = {
    name: target.name,
    url: target.url,
    adminUrl: target.adminUrl,
    alive: false,
    ready: false,
    readinessJson: "",
    residentBytes: residentBytes(target.pid),
    problem: "",
  };
  try {
    status.alive = (await fetch(`${target.url}/healthz`, { signal: AbortSignal.timeout(1_500) })).ok;
    const ready = await fetch(`${target.url}/readyz`, { signal: AbortSignal.timeout(2_500) });
    status.ready = ready.ok;
    status.readinessJson = await ready.text();
  } catch (error) {
    status.problem = `cannot reach ${target.url}: ${(error as Error).cause instanceof Error ? ((error as Error).cause as Error).message : (error as Error).message}`;
  }
  return status as ServiceStatus;
}

/** The system as a pipeline: each service's health, the stream, each durable's lag, auth's outbox (through its admin port). */
export async function topology(system: SystemTarget, tail: EventTail, ring: SpanRing): Promise<GetTopologyResponse> {
  const services = await Promise.all(system.services.map(serviceStatus));
  const problems = services.filter((s) => s.problem).map((s) => `${s.name}: ${s.problem}`);
  if (tail.problem) problems.push(tail.problem);

  const auth = system.services.find((s) => s.name === "auth")!;
  const outbox = { known: false, unsent: 0n, oldestUnsentSeconds: 0, problem: "" };
  try {
    const client = createClient(AuthAdminService, createConnectTransport({ baseUrl: auth.adminUrl, httpVersion: "1.1" }));
    const answer = await client.getOutboxStatus({}, { headers: auth.adminToken ? { authorization: `Bearer ${auth.adminToken}` } : {}, timeoutMs: 2_000 });
    Object.assign(outbox, { known: true, unsent: answer.unsent, oldestUnsentSeconds: answer.oldestUnsentAge ? durationMs(answer.oldestUnsentAge) / 1000 : 0 });
  } catch (error) {
    outbox.problem = `auth's admin port ${auth.adminUrl}: ${(error as Error).message}`;
  }

  const now = Date.now();
  return create(GetTopologyResponseSchema, {
    at: timestampNow(),
    services,
    streams: tail.stream
      ? [
          {
            name: STREAM,
            messages: BigInt(tail.stream.messages),
            bytes: BigInt(tail.stream.bytes),
            firstSequence: BigInt(tail.stream.firstSequence),
            lastSequence: BigInt(tail.stream.lastSequence),
          },
        ]
      : [],
    consumers: DURABLES.flatMap((durable) => {
      const info = tail.consumers.get(durable);
      if (!info) return [];
      const oldestUnacked = tail.publishedAt(info.ack_floor.stream_seq + 1);
      const behind = info.num_pending + info.num_ack_pending > 0 && oldestUnacked ? Math.max(0, (now - oldestUnacked) / 1000) : 0;
      return [
        {
          stream: STREAM,
          name: durable,
          pending: BigInt(info.num_pending),
          ackPending: BigInt(info.num_ack_pending),
          redelivered: BigInt(info.num_redelivered),
          ackFloorSequence: BigInt(info.ack_floor.stream_seq),
          deliveredSequence: BigInt(info.delivered.stream_seq),
          secondsBehind: behind,
          deadLetters: BigInt(tail.deadLetters.get(durable) ?? 0),
          deadLetterStream: `DLQ_${durable.toUpperCase()}`,
        },
      ];
    }),
    outbox,
    problems,
    spansHeld: BigInt(ring.size),
    spanLimit: BigInt(ring.limit),
  });
}
