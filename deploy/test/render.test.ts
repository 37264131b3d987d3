import { readFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { describe, expect, it } from "vitest";
import { baseName } from "./lib/model.js";
import { DEPLOY_DIR, kubectlAvailable, OVERLAYS, parseYamlDocs, render, yamlFilesUnder, type K8sObject } from "./lib/render.js";
import { schemaProblems } from "./lib/schema.js";

const KUBECTL = kubectlAvailable();
if (!KUBECTL) {
  console.warn(
    "deploy tests: kubectl is not on the PATH (or DEPLOY_RENDER=files), so the overlays are rendered from the files " +
      "(resources, generators, replicas, namespace; no patches, images or labels). " +
      "Every check below still runs on that render. Install kubectl for the exact render.",
  );
}

describe.each(OVERLAYS)("overlay %s renders valid manifests", (overlay) => {
  const objects = () => render(overlay).objects;

  it(`renders (${KUBECTL ? "kubectl kustomize" : "from the files"})`, () => {
    const { notes } = render(overlay);
    if (notes.length) console.warn(`${overlay}: ${notes.join("\n")}`);
    expect(objects().length).toBeGreaterThan(20);
  });

  it("every object validates against its Kubernetes schema (CloudNativePG Cluster: by shape)", () => {
    expect(schemaProblems(objects())).toEqual([]);
  });

  it("no two objects share a kind and name", () => {
    const ids = objects().map((o) => `${o.kind}/${o.metadata.name}`);
    expect(ids.filter((x, i) => ids.indexOf(x) !== i)).toEqual([]);
  });

  it("everything lives in one namespace that enforces Pod Security 'restricted'", () => {
    const [ns, ...more] = objects().filter((o) => o.kind === "Namespace");
    expect(more).toEqual([]);
    expect(ns?.metadata.labels?.["pod-security.kubernetes.io/enforce"]).toBe("restricted");
    const elsewhere = objects().filter((o) => o.kind !== "Namespace" && o.metadata.namespace !== ns?.metadata.name);
    expect(elsewhere.map((o) => `${o.kind}/${o.metadata.name}`)).toEqual([]);
  });
});

describe("the files under deploy/", () => {
  const files = yamlFilesUnder(DEPLOY_DIR);
  const kustomizations = files.filter((f) => f.endsWith("kustomization.yaml"));

  it("every YAML file parses", () => {
    for (const file of files) expect(() => parseYamlDocs(readFileSync(file, "utf8"), file)).not.toThrow();
  });

  it("every manifest file is used by a kustomization (nothing is silently left out)", () => {
    const used = new Set<string>();
    for (const k of kustomizations) {
      const text = readFileSync(k, "utf8");
      const doc = parseYamlDocs(text, k)[0] as { resources?: string[]; configMapGenerator?: { files?: string[] }[] };
      for (const r of doc.resources ?? []) used.add(join(dirname(k), r));
      // Files a generator reads (the collector's config.yaml) are used too.
      for (const g of doc.configMapGenerator ?? []) for (const f of g.files ?? []) used.add(join(dirname(k), f.split("=").at(-1)!));
    }
    const unused = files.filter((f) => !f.endsWith("kustomization.yaml") && !used.has(f));
    expect(unused.map((f) => relative(DEPLOY_DIR, f))).toEqual([]);
  });

  it("each file-based render validates on its own too", () => {
    for (const overlay of OVERLAYS) expect(schemaProblems(render(overlay, "files").objects)).toEqual([]);
  });

  // Keeps the fallback honest: where kubectl exists, both renders must agree.
  it(`the file-based render agrees with kubectl's${KUBECTL ? "" : " (kubectl missing: compared with itself only)"}`, () => {
    for (const overlay of OVERLAYS) {
      const files = render(overlay, "files").objects;
      const reference = KUBECTL ? render(overlay, "kubectl").objects : files;
      expect(summary(files)).toEqual(summary(reference));
    }
  });
});

/** Identity, generated data and replicas: what the fallback is meant to reproduce. */
function summary(objects: K8sObject[]) {
  return objects
    .map((o) => ({
      id: `${o.kind}/${o.metadata.namespace}/${baseName(o.metadata.name)}`,
      data: o.kind === "ConfigMap" || o.kind === "Secret" ? o.data : undefined,
      replicas: (o.spec as { replicas?: number } | undefined)?.replicas,
    }))
    .sort((a, b) => a.id.localeCompare(b.id));
}
