import { containersOf, podsOf, selects, serviceSelects, type LabelSelector } from "./model.js";
import { dataOf, id, refsOf, workloads } from "./refs.js";
import type { K8sObject } from "./render.js";

/**
 * References resolve inside the render: Secrets and ConfigMaps (and their
 * keys), ServiceAccounts, Service selectors and target ports, probe ports,
 * PDB and NetworkPolicy selectors, and URLs in configuration. A Secret may
 * instead be external (created before apply) or made by CloudNativePG.
 */
export function crossReferenceProblems(objects: K8sObject[], externalSecrets: string[] = []): string[] {
  const problems: string[] = [];
  const clusters = objects.filter((o) => o.kind === "Cluster").map((o) => o.metadata.name);
  const pods = podsOf(objects);
  for (const { o, spec } of workloads(objects)) {
    for (const ref of refsOf(spec)) {
      const target = objects.find((t) => t.kind === ref.kind && t.metadata.name === ref.name);
      if (target) {
        if (ref.key && !(ref.key in dataOf(target))) problems.push(`${id(o)}: ${ref.kind} ${ref.name} has no key ${ref.key}`);
        continue;
      }
      const external = ref.kind === "Secret" && (externalSecrets.includes(ref.name) || clusters.some((c) => ref.name === `${c}-app`));
      if (!external && !ref.optional) problems.push(`${id(o)}: ${ref.kind} ${ref.name} is neither in the render nor declared external`);
    }
    const sa = spec.serviceAccountName;
    if (sa && sa !== "default" && !objects.some((t) => t.kind === "ServiceAccount" && t.metadata.name === sa)) {
      problems.push(`${id(o)}: ServiceAccount ${sa} is not in the render`);
    }
    for (const c of containersOf(spec)) {
      for (const [kind, probe] of [
        ["startup", c.startupProbe],
        ["liveness", c.livenessProbe],
        ["readiness", c.readinessProbe],
      ] as const) {
        const port = probe?.httpGet?.port ?? probe?.tcpSocket?.port ?? probe?.grpc?.port;
        if (port !== undefined && !(c.ports ?? []).some((p) => p.name === port || p.containerPort === port)) {
          problems.push(`${id(o)}: ${kind} probe of container ${c.name} uses port ${port}, which the container does not declare`);
        }
      }
    }
  }
  for (const svc of objects.filter((o) => o.kind === "Service")) {
    const spec = svc.spec as { selector?: Record<string, string>; ports?: { name?: string; port: number; targetPort?: string | number }[] };
    const matched = pods.filter((p) => serviceSelects(spec.selector, p.labels));
    if (!matched.length) {
      problems.push(`${id(svc)}: selector ${JSON.stringify(spec.selector)} matches no pod template`);
      continue;
    }
    for (const port of spec.ports ?? []) {
      const target = port.targetPort ?? port.port;
      for (const pod of matched) {
        if (!pod.ports.some((p) => p.name === target || p.port === target)) {
          problems.push(`${id(svc)}: port ${port.name ?? port.port} targets ${target}, which ${pod.source} does not declare`);
        }
      }
    }
  }
  for (const o of objects.filter((x) => x.kind === "PodDisruptionBudget" || x.kind === "NetworkPolicy")) {
    const selector = (o.spec as { selector?: LabelSelector; podSelector?: LabelSelector }).selector ?? (o.spec as { podSelector?: LabelSelector }).podSelector;
    if (!pods.some((p) => selects(selector, p.labels))) problems.push(`${id(o)}: its selector matches no pod`);
  }
  problems.push(...urlProblems(objects, clusters));
  return problems;
}

/** scheme://host:port in ConfigMaps and Secrets names a Service of the render that has that port. */
function urlProblems(objects: K8sObject[], clusters: string[]): string[] {
  const problems: string[] = [];
  for (const o of objects.filter((x) => x.kind === "ConfigMap" || x.kind === "Secret")) {
    for (const [key, value] of Object.entries(dataOf(o))) {
      for (const m of value.matchAll(/\b[a-z]+:\/\/(?:[^@/\s]*@)?([a-z0-9-]+):(\d+)/g)) {
        const [host, port] = [m[1]!, Number(m[2])];
        const svc = objects.find((s) => s.kind === "Service" && s.metadata.name === host);
        const ports = (svc?.spec as { ports?: { port: number }[] } | undefined)?.ports ?? [];
        const cnpg = clusters.some((c) => [`${c}-rw`, `${c}-ro`, `${c}-r`].includes(host)) && port === 5432;
        if (!cnpg && !ports.some((p) => p.port === port)) problems.push(`${id(o)}: ${key} points at ${host}:${port}, which no Service of the render serves`);
      }
    }
  }
  return problems;
}
