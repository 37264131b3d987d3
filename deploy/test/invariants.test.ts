import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { autoscalingProblems } from "./lib/autoscaling.js";
import { tlsProblems } from "./lib/tls.js";
import { crossReferenceProblems, ownershipProblems, podSecurityProblems, serviceDeploymentProblems } from "./lib/checks.js";
import { EXTERNAL_SECRETS } from "./lib/external.js";
import { find, podSpecOf, SERVICES } from "./lib/model.js";
import { natsConfOf, natsPermissionProblems } from "./lib/nats-checks.js";
import type { NatsMap } from "./lib/nats-conf.js";
import { networkProblems } from "./lib/netpol.js";
import { DEPLOY_DIR, OVERLAYS, render } from "./lib/render.js";

describe.each(OVERLAYS)("overlay %s: invariants", (overlay) => {
  const objects = () => render(overlay).objects;

  it("references resolve (Secrets, ConfigMaps, ports, selectors, URLs); only the declared Secrets are external", () => {
    expect(crossReferenceProblems(objects(), EXTERNAL_SECRETS[overlay])).toEqual([]);
  });

  it("every pod meets Pod Security 'restricted' and has requests and a memory limit", () => {
    expect(podSecurityProblems(objects())).toEqual([]);
  });

  it("each service: port, /healthz and /readyz probes, preStop drain, <= 256Mi, migrate init container, runs the bundle (no tsx)", () => {
    expect(serviceDeploymentProblems(objects())).toEqual([]);
  });

  it("ownership: no workload reads another service's Secrets or ConfigMaps or names its database", () => {
    expect(ownershipProblems(objects())).toEqual([]);
  });

  it("each service reads its own database Secret and NATS user Secret", () => {
    for (const svc of SERVICES) {
      const env = podSpecOf(find(objects(), "Deployment", svc))!.containers[0]!.env ?? [];
      const secretOf = (name: string) => env.find((e) => e.name === name)?.valueFrom?.secretKeyRef?.name ?? "";
      expect(secretOf("DATABASE_URL")).toMatch(new RegExp(`^${svc}-db-app(-[a-z0-9]{10})?$`));
      expect(secretOf("NATS_PASSWORD")).toMatch(new RegExp(`^${svc}-nats(-[a-z0-9]{10})?$`));
    }
  });

  it("the OpenTelemetry Collector receives OTLP on its Service's ports and exports through defined exporters", () => {
    const config = parse((find(objects(), "ConfigMap", "otel-collector-config").data as Record<string, string>)["config.yaml"]!) as {
      receivers: { otlp: { protocols: { grpc: { endpoint: string }; http: { endpoint: string } } } };
      exporters: Record<string, { endpoint?: string }>;
      service: { pipelines: { traces: { receivers: string[]; exporters: string[] } } };
    };
    const ports = (find(objects(), "Service", "otel-collector").spec as { ports: { name: string; port: number }[] }).ports;
    expect(config.receivers.otlp.protocols.grpc.endpoint).toBe(`0.0.0.0:${ports.find((p) => p.name === "otlp-grpc")!.port}`);
    expect(config.receivers.otlp.protocols.http.endpoint).toBe(`0.0.0.0:${ports.find((p) => p.name === "otlp-http")!.port}`);
    expect(config.service.pipelines.traces.receivers).toEqual(["otlp"]);
    for (const exporter of config.service.pipelines.traces.exporters) expect(Object.keys(config.exporters)).toContain(exporter);
    // An exporter's ${env:X} comes from the collector's own environment ConfigMap.
    const env = objects().find((o) => o.kind === "ConfigMap" && o.metadata.name.startsWith("otel-collector-env"))?.data as Record<string, string> | undefined;
    for (const { endpoint } of Object.values(config.exporters)) {
      const variable = /^\$\{env:(\w+)\}$/.exec(endpoint ?? "")?.[1];
      if (variable) expect(env?.[variable], `${variable} for the collector`).toMatch(/^https?:\/\//);
    }
  });

  it("network: default deny; each service reaches only its database, NATS, DNS (and auth's JWKS)", () => {
    expect(networkProblems(objects())).toEqual([]);
  });

  it("NATS: one user per service; only auth publishes auth.events.>; passwords come from Secrets", () => {
    expect(natsPermissionProblems(objects())).toEqual([]);
  });
});

const jetstream = (overlay: "dev" | "prod") => natsConfOf(render(overlay).objects).jetstream as NatsMap;
const natsReplicas = (overlay: "dev" | "prod") => (find(render(overlay).objects, "StatefulSet", "nats").spec as { replicas: number }).replicas;

describe("overlay dev", () => {
  const objects = () => render("dev").objects;

  it("runs one NATS server, no cluster, with NATS's default fsync interval", () => {
    expect(natsReplicas("dev")).toBe(1);
    expect((find(objects(), "ConfigMap", "auth-config").data as Record<string, string>).AUTH_EVENTS_REPLICAS).toBeUndefined();
    expect(natsConfOf(objects()).cluster).toBeUndefined();
    expect(jetstream("dev").sync_interval).toBeUndefined();
  });

  it("runs a postgres:18 StatefulSet with its own volume per service", () => {
    for (const svc of SERVICES) {
      const sts = find(objects(), "StatefulSet", `${svc}-db`);
      expect(podSpecOf(sts)!.containers[0]!.image).toBe("postgres:18");
      expect((sts.spec as { volumeClaimTemplates?: unknown[] }).volumeClaimTemplates).toHaveLength(1);
    }
  });

  it("generates every Secret it uses, with values that say they are for dev only", () => {
    const secrets = objects().filter((o) => o.kind === "Secret");
    expect(secrets.length).toBe(14);
    for (const s of secrets) {
      const data = Object.fromEntries(Object.entries(s.data as Record<string, string>).map(([k, v]) => [k, Buffer.from(v, "base64").toString()]));
      // notifications-smtp holds a URL whose password says it.
      const secret =
        data.password ?? data.token ?? (data.url ? new URL(data.url).password : Buffer.from(data.AUTH_KEY_ENCRYPTION_KEY ?? "", "base64").toString());
      expect(secret, s.metadata.name).toMatch(/^dev-only-/);
    }
    // auth's key-encryption key is what auth parses: 32 bytes, base64.
    const key = (find(objects(), "Secret", "auth-key-encryption").data as Record<string, string>).AUTH_KEY_ENCRYPTION_KEY!;
    expect(Buffer.from(Buffer.from(key, "base64").toString(), "base64")).toHaveLength(32);
  });

  it("has no autoscalers and no TLS (a plain cluster: no KEDA or cert-manager needed)", () => {
    expect(objects().filter((o) => ["ScaledObject", "HorizontalPodAutoscaler", "Certificate", "Issuer"].includes(o.kind))).toEqual([]);
    expect(natsConfOf(objects()).tls).toBeUndefined();
  });
});

describe("overlay prod", () => {
  const objects = () => render("prod").objects;

  it("runs three NATS peers, routed to each other, fsync on every write; AUTH_EVENTS on all three", () => {
    expect(natsReplicas("prod")).toBe(3);
    expect((find(objects(), "ConfigMap", "auth-config").data as Record<string, string>).AUTH_EVENTS_REPLICAS).toBe("3");
    const routes = (natsConfOf(objects()).cluster as NatsMap).routes as string[];
    expect(routes).toEqual([0, 1, 2].map((i) => `nats://nats-${i}.nats-headless:6222`));
    expect(jetstream("prod").sync_interval).toBe("always");
  });

  it("runs a CloudNativePG Cluster per service: own database and owner role, synchronous standby", () => {
    for (const svc of SERVICES) {
      const spec = find(objects(), "Cluster", `${svc}-db`).spec as {
        instances: number;
        bootstrap: { initdb: { database: string; owner: string } };
        postgresql: { synchronous: { number: number } };
      };
      expect(spec.instances).toBe(3);
      expect(spec.bootstrap.initdb).toEqual({ database: svc, owner: svc });
      expect(spec.postgresql.synchronous.number).toBe(1);
    }
  });

  it("has a PodDisruptionBudget per service and one for NATS", () => {
    for (const name of [...SERVICES, "nats"]) expect(find(objects(), "PodDisruptionBudget", name)).toBeDefined();
  });

  // The scalers may run the consumers at any replica count because per-user
  // order holds with several instances sharing the durable consumer:
  // services/profile/test/integration/scale-out.test.ts.
  it("autoscales: KEDA on each consumer's JetStream lag (its stream, its durable, NATS's monitoring endpoint), an HPA on CPU for auth; minimums of 2 that the PDBs honour", () => {
    expect(autoscalingProblems(objects())).toEqual([]);
  });

  it("TLS: cert-manager issues NATS's server and client certificates; NATS requires client certificates; the services verify NATS and their database (verify-full, CloudNativePG's CA)", () => {
    expect(tlsProblems(objects())).toEqual([]);
  });

  it("the scale-out test the autoscalers rely on exists", () => {
    const test = readFileSync(join(DEPLOY_DIR, "..", "services/profile/test/integration/scale-out.test.ts"), "utf8");
    expect(test).toMatch(/two profile instances share the durable consumer/);
  });

  it("commits no Secret: they are external, and README.md says how to create each", () => {
    expect(objects().filter((o) => o.kind === "Secret")).toEqual([]);
    const readme = readFileSync(join(DEPLOY_DIR, "README.md"), "utf8");
    for (const name of EXTERNAL_SECRETS.prod) expect(readme).toContain(`secret generic ${name}`);
  });
});
