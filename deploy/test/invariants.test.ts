import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
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

  it("generates every Secret it uses, with passwords that say they are for dev only", () => {
    const secrets = objects().filter((o) => o.kind === "Secret");
    expect(secrets.length).toBe(9);
    for (const s of secrets) {
      const data = s.data as Record<string, string>;
      // notifications-smtp holds a URL whose password says it, the others a password.
      if (data.password) expect(Buffer.from(data.password, "base64").toString()).toMatch(/^dev-only-/);
      else expect(new URL(Buffer.from(data.url!, "base64").toString()).password).toMatch(/^dev-only-/);
    }
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
        instances: number; bootstrap: { initdb: { database: string; owner: string } }; postgresql: { synchronous: { number: number } };
      };
      expect(spec.instances).toBe(3);
      expect(spec.bootstrap.initdb).toEqual({ database: svc, owner: svc });
      expect(spec.postgresql.synchronous.number).toBe(1);
    }
  });

  it("has two replicas and a PodDisruptionBudget per service, and one for NATS", () => {
    for (const name of [...SERVICES, "nats"]) {
      expect(find(objects(), "PodDisruptionBudget", name)).toBeDefined();
      if (name !== "nats") expect((find(objects(), "Deployment", name).spec as { replicas: number }).replicas).toBe(2);
    }
  });

  it("commits no Secret: they are external, and README.md says how to create each", () => {
    expect(objects().filter((o) => o.kind === "Secret")).toEqual([]);
    const readme = readFileSync(join(DEPLOY_DIR, "README.md"), "utf8");
    for (const name of EXTERNAL_SECRETS.prod) expect(readme).toContain(`secret generic ${name}`);
  });
});
