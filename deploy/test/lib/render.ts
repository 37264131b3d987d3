import { spawnSync } from "node:child_process";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { basename, join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseAllDocuments } from "yaml";

/** A manifest as parsed from YAML: typed access goes through the kubernetes-models interfaces. */
export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; [key: string]: unknown };
  [key: string]: unknown;
}

export type Overlay = "dev" | "prod";
export const OVERLAYS: Overlay[] = ["dev", "prod"];
export const DEPLOY_DIR = fileURLToPath(new URL("../..", import.meta.url));

export interface Rendered {
  overlay: Overlay;
  via: "kubectl" | "files";
  objects: K8sObject[];
  /** What this render did not apply (files mode), to print. */
  notes: string[];
}

/** DEPLOY_RENDER=files forces the fallback, so both paths can be run where kubectl exists. */
export function kubectlAvailable(): boolean {
  if (process.env.DEPLOY_RENDER === "files") return false;
  return spawnSync("kubectl", ["version", "--client"], { stdio: "ignore" }).status === 0;
}

export function parseYamlDocs(text: string, source: string): K8sObject[] {
  return parseAllDocuments(text).flatMap((doc) => {
    if (doc.errors.length) throw new Error(`${source}: ${doc.errors.map((e) => e.message).join("; ")}`);
    const value = doc.toJS() as K8sObject | null;
    return value ? [value] : [];
  });
}

const cache = new Map<string, Rendered>();

/** The overlay as `kubectl apply -k` would send it, or, without kubectl, read from the files. */
export function render(overlay: Overlay, via: Rendered["via"] = kubectlAvailable() ? "kubectl" : "files"): Rendered {
  const key = `${overlay}:${via}`;
  const hit = cache.get(key);
  if (hit) return { ...hit, objects: structuredClone(hit.objects) };
  const dir = join(DEPLOY_DIR, "overlays", overlay);
  let result: Rendered;
  if (via === "kubectl") {
    const run = spawnSync("kubectl", ["kustomize", dir], { encoding: "utf8", maxBuffer: 64 * 1024 * 1024 });
    if (run.status !== 0) throw new Error(`kubectl kustomize ${dir} failed:\n${run.stderr}`);
    const objects = parseYamlDocs(run.stdout, `kubectl kustomize ${dir}`);
    // kustomize wraps long base64 values over lines; the API server's decoder ignores line breaks.
    for (const o of objects) {
      if (o.kind === "Secret" && o.data) o.data = Object.fromEntries(Object.entries(o.data).map(([k, v]) => [k, String(v).replace(/\s+/g, "")]));
    }
    result = { overlay, via, objects, notes: [] };
  } else {
    const notes: string[] = [];
    result = { overlay, via, objects: loadKustomization(dir, notes), notes };
  }
  cache.set(key, result);
  return { ...result, objects: structuredClone(result.objects) };
}

interface Kustomization {
  namespace?: string;
  resources?: string[];
  replicas?: { name: string; count: number }[];
  configMapGenerator?: Generator[];
  secretGenerator?: Generator[];
  [field: string]: unknown;
}
interface Generator {
  name: string;
  behavior?: "create" | "merge" | "replace";
  literals?: string[];
  files?: string[];
  envs?: string[];
}

/** Fields that change nothing the checks look at; anything else unknown is refused. */
const IGNORED_FIELDS = ["apiVersion", "kind", "images", "labels"];

/**
 * The fallback when kubectl is missing: the union of the `resources:` files,
 * generated ConfigMaps and Secrets (without hash suffixes), `replicas:` and
 * `namespace:`. It applies no patches: should an overlay ever use them, this
 * refuses, with a note to install kubectl, instead of checking something else.
 */
export function loadKustomization(dir: string, notes: string[]): K8sObject[] {
  const file = join(dir, "kustomization.yaml");
  const k = parseYamlDocs(readFileSync(file, "utf8"), file)[0] as unknown as Kustomization;
  for (const field of Object.keys(k)) {
    const known = ["namespace", "resources", "replicas", "configMapGenerator", "secretGenerator"].includes(field);
    if (known) continue;
    if (!IGNORED_FIELDS.includes(field)) {
      throw new Error(`${file}: the file-based render cannot apply "${field}"; install kubectl to render this overlay`);
    }
    if (field !== "apiVersion" && field !== "kind") notes.push(`${file}: "${field}" not applied (no effect on the checks)`);
  }
  const objects: K8sObject[] = [];
  for (const entry of k.resources ?? []) {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) objects.push(...loadKustomization(path, notes));
    else objects.push(...parseYamlDocs(readFileSync(path, "utf8"), path));
  }
  for (const gen of k.configMapGenerator ?? []) applyGenerator(objects, dir, gen, "ConfigMap");
  for (const gen of k.secretGenerator ?? []) applyGenerator(objects, dir, gen, "Secret");
  for (const { name, count } of k.replicas ?? []) {
    const target = objects.find((o) => o.metadata.name === name && ["Deployment", "StatefulSet"].includes(o.kind));
    if (!target) throw new Error(`${file}: replicas for unknown workload ${name}`);
    (target.spec as { replicas?: number }).replicas = count;
  }
  if (k.namespace) for (const o of objects) if (o.kind !== "Namespace") o.metadata.namespace = k.namespace;
  return objects;
}

function applyGenerator(objects: K8sObject[], dir: string, gen: Generator, kind: "ConfigMap" | "Secret") {
  const data: Record<string, string> = {};
  for (const literal of gen.literals ?? []) {
    const at = literal.indexOf("=");
    data[literal.slice(0, at)] = literal.slice(at + 1);
  }
  for (const entry of gen.files ?? []) {
    const [key, path] = entry.includes("=") ? (entry.split("=", 2) as [string, string]) : [basename(entry), entry];
    data[key] = readFileSync(join(dir, path), "utf8");
  }
  for (const envFile of gen.envs ?? []) {
    for (const line of readFileSync(join(dir, envFile), "utf8").split("\n")) {
      if (!line.trim() || line.startsWith("#")) continue;
      const at = line.indexOf("=");
      data[line.slice(0, at)] = line.slice(at + 1);
    }
  }
  const encode = (d: Record<string, string>) =>
    kind === "Secret" ? Object.fromEntries(Object.entries(d).map(([k, v]) => [k, Buffer.from(v).toString("base64")])) : d;
  const existing = objects.find((o) => o.kind === kind && o.metadata.name === gen.name);
  if (gen.behavior === "merge" || gen.behavior === "replace") {
    if (!existing) throw new Error(`${dir}: ${gen.behavior} of unknown ${kind} ${gen.name}`);
    existing.data = { ...(gen.behavior === "merge" ? (existing.data as object) : {}), ...encode(data) };
    return;
  }
  if (existing) throw new Error(`${dir}: ${kind} ${gen.name} generated twice`);
  objects.push({ apiVersion: "v1", kind, metadata: { name: gen.name }, ...(kind === "Secret" ? { type: "Opaque" } : {}), data: encode(data) });
}

/** Every YAML file under deploy/, for the checks that read files directly. */
export function yamlFilesUnder(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      const path = join(d, name);
      if (name === "node_modules") continue;
      if (statSync(path).isDirectory()) walk(path);
      else if (/\.ya?ml$/.test(name)) out.push(path);
    }
  };
  walk(dir);
  return out.sort();
}
