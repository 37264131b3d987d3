import type { IContainer } from "kubernetes-models/v1/Container";
import type { IProbe } from "kubernetes-models/v1/Probe";
import { containersOf, podsOf, podSpecOf, serviceSelects, SERVICES, type ServiceName } from "./model.js";
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
/** The admin ports (ADMIN_PORT): probes, metrics, admin RPCs; monitoring namespace only. */
export const ADMIN_PORTS: Record<ServiceName, number> = { auth: 9081, profile: 9082, billing: 9083, notifications: 9084 };

/** GET path on the container's named port `admin`. */
function adminProbe(probe: IProbe | undefined, path: string, c: IContainer): boolean {
  const port = probe?.httpGet?.port;
  return probe?.httpGet?.path === path && port === "admin" && (c.ports ?? []).some((p) => p.name === port);
}

/** The service's environment: its ConfigMaps' data, then its own `env` values. */
function envOf(objects: K8sObject[], c: IContainer): Record<string, string> {
  const env: Record<string, string> = {};
  for (const ref of c.envFrom ?? []) {
    const cm = ref.configMapRef && objects.find((o) => o.kind === "ConfigMap" && o.metadata.name === ref.configMapRef!.name);
    if (cm) Object.assign(env, cm.data as Record<string, string>);
  }
  for (const e of c.env ?? []) if (e.value !== undefined) env[e.name] = e.value;
  return env;
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
    if (!(c.ports ?? []).some((p) => p.name === "grpc" && p.containerPort === SERVICE_PORTS[svc]))
      problems.push(`${where}: no port grpc = ${SERVICE_PORTS[svc]}`);
    // Operations live on the admin port (ADMIN_PORT); the public one keeps a bare /healthz.
    const env = envOf(objects, c);
    if (!(c.ports ?? []).some((p) => p.name === "admin" && p.containerPort === ADMIN_PORTS[svc]))
      problems.push(`${where}: no port admin = ${ADMIN_PORTS[svc]}`);
    if (env.ADMIN_PORT !== String(ADMIN_PORTS[svc])) problems.push(`${where}: ADMIN_PORT is ${env.ADMIN_PORT}, not the admin port ${ADMIN_PORTS[svc]}`);
    if (env.PORT !== String(SERVICE_PORTS[svc])) problems.push(`${where}: PORT is ${env.PORT}, not the grpc port ${SERVICE_PORTS[svc]}`);
    if (!adminProbe(c.startupProbe, "/healthz", c)) problems.push(`${where}: startup probe is not GET /healthz on the admin port`);
    if (!adminProbe(c.livenessProbe, "/healthz", c)) problems.push(`${where}: liveness probe is not GET /healthz on the admin port`);
    if (!adminProbe(c.readinessProbe, "/readyz", c)) problems.push(`${where}: readiness probe is not GET /readyz on the admin port`);
    const annotations = (deployment.spec as { template: { metadata?: { annotations?: Record<string, string> } } }).template.metadata?.annotations ?? {};
    if (
      annotations["prometheus.io/scrape"] !== "true" ||
      annotations["prometheus.io/port"] !== String(ADMIN_PORTS[svc]) ||
      annotations["prometheus.io/path"] !== "/metrics"
    ) {
      problems.push(`${where}: Prometheus does not scrape /metrics on the admin port ${ADMIN_PORTS[svc]} (prometheus.io/* annotations)`);
    }
    const token = c.env?.find((e) => e.name === "ADMIN_TOKEN");
    if (!token?.valueFrom?.secretKeyRef || token.value !== undefined) problems.push(`${where}: ADMIN_TOKEN does not come from a Secret`);
    if (env.ADMIN_TOKEN !== undefined) problems.push(`${where}: ADMIN_TOKEN is written in a ConfigMap or the manifest`);
    const otlp = /^http:\/\/([a-z0-9-]+):(\d+)$/.exec(env.OTEL_EXPORTER_OTLP_ENDPOINT ?? "");
    const collector = otlp && objects.find((o) => o.kind === "Service" && o.metadata.name === otlp[1]);
    const collectorPods =
      collector && podsOf(objects).filter((p) => serviceSelects((collector.spec as { selector?: Record<string, string> }).selector, p.labels));
    if (!otlp || !collectorPods?.length || !collectorPods.every((p) => p.labels["app.kubernetes.io/name"] === "otel-collector") || otlp[2] !== "4318") {
      problems.push(
        `${where}: OTEL_EXPORTER_OTLP_ENDPOINT (${env.OTEL_EXPORTER_OTLP_ENDPOINT}) is not the collector Service's OTLP/HTTP port (http://<collector>:4318)`,
      );
    }
    const sleep = Number(c.lifecycle?.preStop?.exec?.command?.[1] ?? c.lifecycle?.preStop?.sleep?.seconds ?? 0);
    if (!(sleep > 0)) problems.push(`${where}: no preStop sleep to let endpoints drain`);
    if (!((spec.terminationGracePeriodSeconds ?? 30) > sleep + 10))
      problems.push(`${where}: terminationGracePeriodSeconds leaves no time to drain after the preStop sleep`);
    for (const x of containersOf(spec)) {
      // The image holds the bundle (dist/*.mjs) on plain node: no tsx, no TypeScript sources.
      const argv = [...(x.command ?? []), ...(x.args ?? []), ...(x.env ?? []).map((e) => e.value ?? "")];
      if (argv.some((a) => /\btsx\b|\.ts$/.test(a)))
        problems.push(`${where} container ${x.name}: runs TypeScript (${argv.join(" ")}); the image has only dist/*.mjs`);
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
    if (port?.name !== "grpc" || port.port !== SERVICE_PORTS[svc] || !port.appProtocol)
      problems.push(`Service/${svc}: needs port grpc ${SERVICE_PORTS[svc]} with an appProtocol`);
  }
  return problems;
}
