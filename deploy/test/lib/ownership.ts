import { baseName, containersOf, ownerOf } from "./model.js";
import { dataOf, id, refsOf, workloads } from "./refs.js";
import type { K8sObject } from "./render.js";

const DB_HOST = /\b(auth|profile|billing|notifications)-db(?:-rw|-ro|-r)?\b/g;
const ROLE = /^(auth|profile|billing|notifications)-(db|nats|smtp)\b/;

/**
 * Ownership: a workload of service X reads no Secret or ConfigMap of another
 * service, names no other service's database host, and connects to NATS as
 * X. Database Secrets are read by their own service only; NATS user
 * Secrets by their own service and the NATS server.
 */
export function ownershipProblems(objects: K8sObject[]): string[] {
  const problems: string[] = [];
  for (const { o, spec } of workloads(objects)) {
    const owner = ownerOf(o.metadata.name);
    const isNats = o.kind === "StatefulSet" && o.metadata.name === "nats";
    const texts: string[] = [];
    for (const ref of refsOf(spec)) {
      const refOwner = ownerOf(baseName(ref.name));
      const role = ROLE.exec(baseName(ref.name))?.[2];
      const allowed = refOwner === owner || (isNats && role === "nats") || (!refOwner && !role);
      if (!allowed) problems.push(`${id(o)} reads ${ref.kind} ${ref.name}, which belongs to ${refOwner ?? "no service"}`);
      const target = objects.find((t) => t.kind === ref.kind && t.metadata.name === ref.name);
      if (target?.kind === "ConfigMap") texts.push(...Object.entries(dataOf(target)).map(([k, v]) => `${k}=${v}`));
    }
    for (const c of containersOf(spec)) {
      texts.push(...(c.env ?? []).map((e) => `${e.name}=${e.value ?? ""}`), ...(c.command ?? []), ...(c.args ?? []));
    }
    for (const text of texts) {
      for (const m of text.matchAll(DB_HOST)) {
        if (m[1] !== owner) problems.push(`${id(o)} names ${m[1]}'s database host ${m[0]} (in "${text.slice(0, 80)}")`);
      }
      const natsUser = /^NATS_USER=(.*)$/.exec(text)?.[1];
      if (natsUser !== undefined && natsUser !== owner) problems.push(`${id(o)} connects to NATS as ${natsUser}`);
    }
  }
  // A database Secret's URI leads to its own service's database, as its own role.
  for (const secret of objects.filter((o) => o.kind === "Secret")) {
    const svc = /^(auth|profile|billing|notifications)-db-app$/.exec(baseName(secret.metadata.name))?.[1];
    const uri = svc && dataOf(secret).uri;
    if (!svc || !uri) continue;
    const url = new URL(uri);
    if (!url.hostname.startsWith(`${svc}-db`) || url.username !== svc || url.pathname !== `/${svc}`) {
      problems.push(`Secret ${secret.metadata.name}: uri leads to ${url.username}@${url.hostname}${url.pathname}, not ${svc}'s own database`);
    }
  }
  return problems;
}
