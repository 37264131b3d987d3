import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { SERVICE_PORTS } from "./lib/checks.js";
import { SERVICES } from "./lib/model.js";
import { DEPLOY_DIR } from "./lib/render.js";

/** No Docker engine here: the Dockerfiles are read, not built. */
const ROOT = join(DEPLOY_DIR, "..");

describe.each(SERVICES)("services/%s/Dockerfile", (svc) => {
  const text = () => readFileSync(join(ROOT, "services", svc, "Dockerfile"), "utf8");
  const finalStage = () => text().split(/^FROM /m).at(-1)!;

  it("installs only production dependencies of its own workspace", () => {
    expect(text()).toMatch(new RegExp(`npm ci --omit=dev --workspace @acme/${svc}\\b`));
  });

  it("final stage: node:20-slim, user node, the service's port, tsx entry point", () => {
    expect(text()).toMatch(/^ARG NODE_IMAGE=node:20-slim$/m);
    expect(finalStage()).toMatch(/^\$\{NODE_IMAGE\}\s*$/m);
    expect(finalStage()).toMatch(/^USER node$/m);
    expect(finalStage()).toContain(`EXPOSE ${SERVICE_PORTS[svc]}`);
    expect(finalStage()).toContain(`WORKDIR /app/services/${svc}`);
    expect(finalStage()).toMatch(/^CMD \["node", "--import", "tsx", "src\/main.ts"\]$/m);
  });

  it("copies no other service into the image", () => {
    for (const other of SERVICES.filter((s) => s !== svc)) expect(text()).not.toContain(`services/${other}/`);
  });
});

describe(".dockerignore", () => {
  const lines = () => readFileSync(join(ROOT, ".dockerignore"), "utf8").split("\n");

  it("keeps node_modules, git and env files out of the build context", () => {
    for (const pattern of ["**/node_modules", ".git", "**/.env"]) expect(lines()).toContain(pattern);
  });

  it("keeps every workspace's package.json in it (npm ci checks them against the lockfile)", () => {
    const workspaces = (JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { workspaces: string[] }).workspaces;
    const excluded = lines().filter((l) => l.endsWith("/**")).map((l) => l.slice(0, -3));
    for (const ws of workspaces) {
      const top = ws.split("/")[0]!;
      if (excluded.includes(top)) expect(lines()).toContain(ws.startsWith(`${top}/`) ? `!${top}/*/package.json` : `!${top}/package.json`);
      else expect(lines()).not.toContain(ws);
    }
  });
});
