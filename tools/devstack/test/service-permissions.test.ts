import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { parseNatsConf, subjectsOverlap, type NatsMap } from "../../../deploy/test/lib/nats-conf.js";
import { natsConfig } from "../src/nats-server.js";
import { NATS_PERMISSIONS, SERVICE_NATS_PERMISSIONS } from "../src/service-permissions.js";

/**
 * `npm start` and Kubernetes must grant each service the same NATS subjects:
 * one list in TypeScript (service-permissions.ts), one in
 * deploy/base/nats/authorization.conf. This test fails when they drift.
 */
const AUTHORIZATION_CONF = fileURLToPath(new URL("../../../deploy/base/nats/authorization.conf", import.meta.url));

function allowList(value: unknown): string[] {
  const allow = (value as NatsMap | undefined)?.allow;
  return (Array.isArray(allow) ? allow : allow === undefined ? [] : [allow]).map(String);
}

function deployedPermissions(): Record<string, { publish: string[]; subscribe: string[]; publishDeny?: string[] }> {
  const conf = parseNatsConf(readFileSync(AUTHORIZATION_CONF, "utf8"));
  const users = ((conf.authorization as NatsMap).users ?? []) as NatsMap[];
  return Object.fromEntries(
    users.map((u) => {
      const perms = (u.permissions ?? {}) as NatsMap;
      const deny = ((perms.publish as NatsMap | undefined)?.deny ?? []) as unknown[];
      return [
        String(u.user),
        {
          publish: allowList(perms.publish).sort(),
          subscribe: allowList(perms.subscribe).sort(),
          ...(deny.length ? { publishDeny: deny.map(String).sort() } : {}),
        },
      ];
    }),
  );
}

describe("NATS permissions of the launcher and of deploy/ agree", () => {
  it("grants every service the same publish and subscribe subjects", () => {
    // The console runs beside `npm start` only (not in Kubernetes), so deploy/ has no console user.
    const ours = Object.fromEntries(
      Object.entries(SERVICE_NATS_PERMISSIONS).map(([s, p]) => [
        s,
        { publish: [...p.publish].sort(), subscribe: [...p.subscribe].sort(), ...(p.publishDeny ? { publishDeny: [...p.publishDeny].sort() } : {}) },
      ]),
    );
    expect(ours).toEqual(deployedPermissions());
  });

  it("lets only auth publish auth.events.>", () => {
    for (const s of Object.keys(NATS_PERMISSIONS) as (keyof typeof NATS_PERMISSIONS)[]) {
      const may = NATS_PERMISSIONS[s].publish.some((p) => subjectsOverlap(p, "auth.events.>"));
      expect(may, s).toBe(s === "auth");
    }
  });

  it("makes a config nats-server accepts (nats-server -t)", () => {
    const dir = mkdtempSync(join(tmpdir(), "acme-devstack-conf-"));
    try {
      const file = join(dir, "nats-server.conf");
      const users = Object.entries(NATS_PERMISSIONS).map(([s, p]) => ({ user: s, password: `${s}-secret`, ...p }));
      writeFileSync(file, natsConfig({ dir, port: 4222, monitorPort: 8222, users }));
      const run = spawnSync("nats-server", ["-c", file, "-t"], { encoding: "utf8" });
      expect(`${run.stdout}${run.stderr}`).toContain("is valid");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
