import type { IContainer } from "kubernetes-models/v1/Container";
import type { IProbe } from "kubernetes-models/v1/Probe";
import { containersOf, podSpecOf, SERVICES, type ServiceName } from "./model.js";
import { id, workloads } from "./refs.js";
import type { K8sObject } from "./render.js";

/** Pod Security "restricted", and what a read-only root filesystem needs. */
export function podSecurityProblems(objects: K8sObject[]): string[] {
  const problems: string[] = [];
  for (const { o, spec } of workloads(objects)) {
    const pod = spec.securityContext ?? {};
    if (spec.hostNetwork || spec.hostPID || spec.hostIPC) problems.push(`${id(o)}: uses the host's namespaces`);
    if ((spec.volumes ?? []).some((v) => v.hostPath)) problems.push(`${id(o)}: mounts a hostPath`);
    for (const c of containersOf(spec)) {
      const sc = c.securityContext ?? {};
      const where = `${id(o)} container ${c.name}`;
      if ((sc.runAsNonRoot ?? pod.runAsNonRoot) !== true) problems.push(`${where}: runAsNonRoot is not true`);
      if ((sc.runAsUser ?? pod.runAsUser) === 0) problems.push(`${where}: runs as uid 0`);
      if ((sc.seccompProfile ?? pod.seccompProfile)?.type !== "RuntimeDefault") problems.push(`${where}: seccomp profile is not RuntimeDefault`);
      if (sc.allowPrivilegeEscalation !== false) problems.push(`${where}: allowPrivilegeEscalation is not false`);
      if (sc.privileged) problems.push(`${where}: is privileged`);
      if (sc.readOnlyRootFilesystem !== true) problems.push(`${where}: root filesystem is writable`);
      if (!sc.capabilities?.drop?.includes("ALL")) problems.push(`${where}: does not drop ALL capabilities`);
      if (sc.capabilities?.add?.length) problems.push(`${where}: adds capabilities ${sc.capabilities.add.join(",")}`);
      if (!c.resources?.requests?.memory || !c.resources.requests.cpu) problems.push(`${where}: no cpu/memory requests`);
      if (!c.resources?.limits?.memory) problems.push(`${where}: no memory limit`);
    }
  }
  return problems;
}

function mebibytes(quantity: string | number | undefined): number {
  const m = /^(\d+(?:\.\d+)?)(Ki|Mi|Gi|M|G)?$/.exec(String(quantity ?? ""));
  if (!m) return Number.NaN;
  const factor = { Ki: 1 / 1024, Mi: 1, Gi: 1024, M: 1e6 / 2 ** 20, G: 1e9 / 2 ** 20 }[m[2] ?? ""] ?? 1 / 2 ** 20;
  return Number(m[1]) * factor;
}

export const SERVICE_PORTS: Record<ServiceName, number> = { auth: 8081, profile: 8082, billing: 8083, notifications: 8084 };

function httpProbe(probe: IProbe | undefined, path: string, c: IContainer): boolean {
  const port = probe?.httpGet?.port;
  return probe?.httpGet?.path === path && typeof port === "string" && (c.ports ?? []).some((p) => p.name === port);
}

/** How each service runs: port, probes, drain on shutdown, memory, migrations, its Service. */
export function serviceDeploymentProblems(objects: K8sObject[]): string[] {
  const problems: string[] = [];
  for (const svc of SERVICES) {
    const deployment = objects.find((o) => o.kind === "Deployment" && o.metadata.name === svc);
    const spec = deployment && podSpecOf(deployment);
    if (!spec) {
      problems.push(`Deployment/${svc} is missing`);
      continue;
    }
    const c = spec.containers.find((x) => x.name === svc);
    if (!c) {
      problems.push(`Deployment/${svc}: no container named ${svc}`);
      continue;
    }
    const where = `Deployment/${svc}`;
    if (!(c.ports ?? []).some((p) => p.name === "grpc" && p.containerPort === SERVICE_PORTS[svc])) problems.push(`${where}: no port grpc = ${SERVICE_PORTS[svc]}`);
    if (!httpProbe(c.livenessProbe, "/healthz", c)) problems.push(`${where}: liveness probe is not GET /healthz on a named port`);
    if (!httpProbe(c.readinessProbe, "/readyz", c)) problems.push(`${where}: readiness probe is not GET /readyz on a named port`);
    const sleep = Number(c.lifecycle?.preStop?.exec?.command?.[1] ?? c.lifecycle?.preStop?.sleep?.seconds ?? 0);
    if (!(sleep > 0)) problems.push(`${where}: no preStop sleep to let endpoints drain`);
    if (!((spec.terminationGracePeriodSeconds ?? 30) > sleep + 10)) problems.push(`${where}: terminationGracePeriodSeconds leaves no time to drain after the preStop sleep`);
    for (const x of containersOf(spec)) {
      // The image holds the bundle (dist/*.mjs) on plain node: no tsx, no TypeScript sources.
      const argv = [...(x.command ?? []), ...(x.args ?? []), ...(x.env ?? []).map((e) => e.value ?? "")];
      if (argv.some((a) => /\btsx\b|\.ts$/.test(a))) problems.push(`${where} container ${x.name}: runs TypeScript (${argv.join(" ")}); the image has only dist/*.mjs`);
      const limit = mebibytes(x.resources?.limits?.memory);
      if (!(limit <= 256)) problems.push(`${where} container ${x.name}: memory limit ${x.resources?.limits?.memory} is not <= 256Mi`);
      const tmp = (x.volumeMounts ?? []).find((m) => m.mountPath === "/tmp");
      if (!tmp || !(spec.volumes ?? []).some((v) => v.name === tmp.name && v.emptyDir)) problems.push(`${where} container ${x.name}: no emptyDir at /tmp`);
    }
    const migrate = (spec.initContainers ?? []).find((x) => x.name === "migrate");
    if (!migrate?.command?.includes("dist/migrate.mjs")) problems.push(`${where}: no migrate init container running dist/migrate.mjs`);
    if (spec.automountServiceAccountToken !== false) problems.push(`${where}: mounts a Kubernetes API token it does not need`);
    const service = objects.find((o) => o.kind === "Service" && o.metadata.name === svc);
    const port = (service?.spec as { ports?: { name?: string; port: number; appProtocol?: string }[] } | undefined)?.ports?.[0];
    if (port?.name !== "grpc" || port.port !== SERVICE_PORTS[svc] || !port.appProtocol) problems.push(`Service/${svc}: needs port grpc ${SERVICE_PORTS[svc]} with an appProtocol`);
  }
  return problems;
}
