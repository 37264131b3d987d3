import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { stages } from "./lib/dockerfile.js";
import { find, SERVICES } from "./lib/model.js";
import { DEPLOY_DIR, OVERLAYS, render } from "./lib/render.js";

/**
 * The memory settings (docs/performance.md, "Memory (P8)") are in two places
 * of a deployment: the image's ENV (for `docker run`) and the ConfigMap (which
 * Kubernetes sets over it). They must say the same; the launcher's test checks
 * that `npm start` passes the ConfigMap's.
 */
const SETTINGS = ["NODE_OPTIONS", "UV_THREADPOOL_SIZE"] as const;

/** The final stage's ENV variables: NAME=value or NAME="value with spaces". */
function imageEnvironment(service: string): Record<string, string> {
  const text = readFileSync(join(DEPLOY_DIR, "..", "services", service, "Dockerfile"), "utf8");
  const envs = stages(text)
    .at(-1)!
    .instructions.filter((i) => i.keyword === "ENV");
  return Object.fromEntries(envs.flatMap((i) => [...i.args.matchAll(/([A-Z_]+)=("([^"]*)"|\S+)/g)].map((m) => [m[1]!, m[3] ?? m[2]!] as const)));
}

describe.each(OVERLAYS)("overlay %s: Node settings", (overlay) => {
  it.each(SERVICES)("%s: the ConfigMap's NODE_OPTIONS and UV_THREADPOOL_SIZE are the image's", (service) => {
    const configMap = find(render(overlay).objects, "ConfigMap", `${service}-config`).data as Record<string, string>;
    const image = imageEnvironment(service);
    expect(configMap.NODE_OPTIONS).toMatch(/--max-old-space-size=\d+/);
    // auth's thread pool bounds the argon2id hashes in flight (19 MiB each).
    if (service === "auth") expect(configMap.UV_THREADPOOL_SIZE).toMatch(/^\d+$/);
    for (const name of SETTINGS) expect(configMap[name], name).toBe(image[name]);
  });
});
