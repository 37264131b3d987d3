import { podsOf, selects, serviceSelects, type LabelSelector } from "./model.js";
import { dataOf, id } from "./refs.js";
import type { K8sObject } from "./render.js";

/** The services that consume auth's events, and so scale on their consumer's lag. */
export const CONSUMERS = ["profile", "billing", "notifications"] as const;

interface ScaledObjectSpec {
  scaleTargetRef?: { name?: string; kind?: string; apiVersion?: string };
  minReplicaCount?: number;
  maxReplicaCount?: number;
  triggers?: { type?: string; metadata?: Record<string, string> }[];
}
interface HpaSpec {
  scaleTargetRef?: { name?: string; kind?: string };
  minReplicas?: number;
  maxReplicas?: number;
  metrics?: { type?: string; resource?: { name?: string } }[];
}

/** A Deployment's environment from its ConfigMaps (what the service parses at start). */
function configOf(objects: K8sObject[], deployment: K8sObject): Record<string, string> {
  const spec = (deployment.spec as { template: { spec: { containers: { envFrom?: { configMapRef?: { name: string } }[] }[] } } }).template.spec;
  const env: Record<string, string> = {};
  for (const ref of spec.containers[0]?.envFrom ?? []) {
    const cm = ref.configMapRef && objects.find((o) => o.kind === "ConfigMap" && o.metadata.name === ref.configMapRef!.name);
    if (cm) Object.assign(env, dataOf(cm));
  }
  return env;
}

/** host:port KEDA must read: <headless NATS Service>.<namespace>.svc.cluster.local:<its monitor port>. */
function expectedMonitoringEndpoints(objects: K8sObject[]): string[] {
  const natsPods = podsOf(objects).filter((p) => p.labels["app.kubernetes.io/name"] === "nats");
  return objects
    .filter((o) => o.kind === "Service" && (o.spec as { clusterIP?: string }).clusterIP === "None")
    .filter((o) => natsPods.some((p) => serviceSelects((o.spec as { selector?: Record<string, string> }).selector, p.labels)))
    .flatMap((o) => {
      const ports = (o.spec as { ports?: { port: number; targetPort?: string | number }[] }).ports ?? [];
      const monitor = ports.filter((port) =>
        natsPods.some((p) => p.ports.some((q) => (q.name === port.targetPort || q.port === port.targetPort) && q.port === 8222)),
      );
      return monitor.map((port) => `${o.metadata.name}.${o.metadata.namespace ?? "default"}.svc.cluster.local:${port.port}`);
    });
}

function pdbMinAvailable(objects: K8sObject[], deployment: K8sObject): number | undefined {
  const labels = (deployment.spec as { template: { metadata?: { labels?: Record<string, string> } } }).template.metadata?.labels ?? {};
  const pdb = objects.find((o) => o.kind === "PodDisruptionBudget" && selects((o.spec as { selector?: LabelSelector }).selector, labels));
  const min = (pdb?.spec as { minAvailable?: number | string } | undefined)?.minAvailable;
  return typeof min === "number" ? min : undefined;
}

/**
 * The autoscalers of an overlay that has them (prod): a KEDA ScaledObject per
 * consumer on its JetStream lag (the right stream, its own durable consumer,
 * NATS's monitoring endpoint), an HPA on CPU for auth; each aimed at a
 * Deployment of the render that leaves `replicas` to it, with a minimum of
 * two that its PodDisruptionBudget can honour.
 */
export function autoscalingProblems(objects: K8sObject[]): string[] {
  const problems: string[] = [];
  const deployment = (name: string | undefined) => objects.find((o) => o.kind === "Deployment" && o.metadata.name === name);
  const scaledObjects = objects.filter((o) => o.kind === "ScaledObject");
  const hpas = objects.filter((o) => o.kind === "HorizontalPodAutoscaler");
  const endpoints = expectedMonitoringEndpoints(objects);

  const bounds = (o: K8sObject, target: K8sObject, min: number | undefined, max: number | undefined) => {
    if (!(typeof min === "number" && min >= 2)) problems.push(`${id(o)}: minimum ${min} replicas; at least 2, so one can be disrupted`);
    if (!(typeof max === "number" && typeof min === "number" && max >= min)) problems.push(`${id(o)}: maximum ${max} is below the minimum ${min}`);
    if ((target.spec as { replicas?: number }).replicas !== undefined)
      problems.push(`Deployment/${target.metadata.name}: sets replicas, which ${id(o)} owns (every apply would reset it)`);
    const pdb = pdbMinAvailable(objects, target);
    if (pdb === undefined) problems.push(`Deployment/${target.metadata.name}: no PodDisruptionBudget with a numeric minAvailable`);
    else if (typeof min === "number" && pdb >= min)
      problems.push(`Deployment/${target.metadata.name}: PodDisruptionBudget minAvailable ${pdb} leaves no disruption at ${id(o)}'s minimum of ${min}`);
  };

  for (const o of scaledObjects) {
    const spec = o.spec as ScaledObjectSpec;
    const target = deployment(spec.scaleTargetRef?.name);
    if ((spec.scaleTargetRef?.kind ?? "Deployment") !== "Deployment" || !target) {
      problems.push(`${id(o)}: scaleTargetRef ${spec.scaleTargetRef?.kind ?? "Deployment"}/${spec.scaleTargetRef?.name} is not a Deployment of the render`);
      continue;
    }
    const svc = target.metadata.name;
    if (!(CONSUMERS as readonly string[]).includes(svc)) problems.push(`${id(o)}: scales ${svc}, which consumes no events`);
    bounds(o, target, spec.minReplicaCount, spec.maxReplicaCount);
    const config = configOf(objects, target);
    const triggers = spec.triggers ?? [];
    if (triggers.length !== 1 || triggers[0]!.type !== "nats-jetstream") problems.push(`${id(o)}: needs exactly one trigger, of type nats-jetstream`);
    const m = triggers[0]?.metadata ?? {};
    const stream = config.AUTH_EVENTS_STREAM ?? "AUTH_EVENTS";
    const consumer = config.CONSUMER_NAME ?? svc;
    if (m.stream !== stream) problems.push(`${id(o)}: stream ${m.stream}, but ${svc} consumes ${stream}`);
    if (m.consumer !== consumer) problems.push(`${id(o)}: consumer ${m.consumer}, but ${svc}'s durable consumer is ${consumer}`);
    if (m.account !== "$G") problems.push(`${id(o)}: account ${m.account}; NATS here has no accounts, so the users live in $G`);
    if (!m.natsServerMonitoringEndpoint || !endpoints.includes(m.natsServerMonitoringEndpoint)) {
      problems.push(
        `${id(o)}: natsServerMonitoringEndpoint ${m.natsServerMonitoringEndpoint} is not NATS's headless monitoring endpoint (${endpoints.join(", ") || "none in the render"})`,
      );
    }
    if (!(Number(m.lagThreshold) > 0)) problems.push(`${id(o)}: lagThreshold ${m.lagThreshold} is not a positive number`);
  }
  for (const o of hpas) {
    const spec = o.spec as HpaSpec;
    const target = deployment(spec.scaleTargetRef?.name);
    if (spec.scaleTargetRef?.kind !== "Deployment" || !target) {
      problems.push(`${id(o)}: scaleTargetRef ${spec.scaleTargetRef?.kind}/${spec.scaleTargetRef?.name} is not a Deployment of the render`);
      continue;
    }
    bounds(o, target, spec.minReplicas, spec.maxReplicas);
    if (!(spec.metrics ?? []).some((x) => x.type === "Resource" && x.resource?.name === "cpu")) problems.push(`${id(o)}: does not scale on CPU`);
  }
  for (const svc of ["auth", ...CONSUMERS]) {
    const byKeda = scaledObjects.filter((o) => (o.spec as ScaledObjectSpec).scaleTargetRef?.name === svc).length;
    const byHpa = hpas.filter((o) => (o.spec as HpaSpec).scaleTargetRef?.name === svc).length;
    const expected = svc === "auth" ? [0, 1] : [1, 0];
    if (byKeda !== expected[0] || byHpa !== expected[1]) {
      problems.push(
        `Deployment/${svc}: ${byKeda} ScaledObject(s) and ${byHpa} HPA(s); expected ${svc === "auth" ? "one HPA on CPU" : "one KEDA ScaledObject on its consumer lag"}`,
      );
    }
  }
  return problems;
}
