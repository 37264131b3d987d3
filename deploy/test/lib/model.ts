import type { IContainer } from "kubernetes-models/v1/Container";
import type { IPodSpec } from "kubernetes-models/v1/PodSpec";
import type { K8sObject } from "./render.js";

export const SERVICES = ["auth", "profile", "billing", "notifications"] as const;
export type ServiceName = (typeof SERVICES)[number];

/**
 * kustomize appends a content hash to generated names: auth-config-bm9fc2mk79.
 * Its alphabet has no vowels (hex digits 0, 1, 3, a, e become g, h, k, m, t),
 * so a ten-letter word such as "encryption" is never taken for one.
 */
export function baseName(name: string): string {
  return name.replace(/-[2-9bcdfghkmt]{10}$/, "");
}

export function isNamed(o: K8sObject, kind: string, name: string): boolean {
  return o.kind === kind && (o.metadata.name === name || baseName(o.metadata.name) === name);
}

export function find(objects: K8sObject[], kind: string, name: string): K8sObject {
  const found = objects.find((o) => isNamed(o, kind, name));
  if (!found) throw new Error(`${kind} ${name} is not in the render`);
  return found;
}

/** The service a resource belongs to, by its name: `profile`, `profile-db-app`, `profile-nats`. */
export function ownerOf(name: string): ServiceName | undefined {
  return SERVICES.find((s) => name === s || name.startsWith(`${s}-`));
}

/** A pod as the cluster would run it: from a workload's template, or what CloudNativePG creates. */
export interface Pod {
  /** e.g. "Deployment/auth", "Cluster/auth-db", "external/kube-dns". */
  source: string;
  namespace: string;
  namespaceLabels: Record<string, string>;
  labels: Record<string, string>;
  ports: { name?: string; port: number; protocol: string }[];
  spec?: IPodSpec;
}

const WORKLOAD_KINDS = ["Deployment", "StatefulSet", "Job", "DaemonSet"];

export function podSpecOf(o: K8sObject): IPodSpec | undefined {
  if (!WORKLOAD_KINDS.includes(o.kind)) return undefined;
  return (o.spec as { template?: { spec?: IPodSpec } }).template?.spec;
}

export function containersOf(spec: IPodSpec): IContainer[] {
  return [...(spec.initContainers ?? []), ...spec.containers];
}

export function podsOf(objects: K8sObject[]): Pod[] {
  const pods: Pod[] = [];
  for (const o of objects) {
    const namespace = o.metadata.namespace ?? "default";
    const nsLabels = { "kubernetes.io/metadata.name": namespace };
    const spec = podSpecOf(o);
    if (spec) {
      const labels = (o.spec as { template: { metadata?: { labels?: Record<string, string> } } }).template.metadata?.labels ?? {};
      const ports = spec.containers.flatMap((c) =>
        (c.ports ?? []).map((p) => ({ ...(p.name ? { name: p.name } : {}), port: p.containerPort, protocol: p.protocol ?? "TCP" })),
      );
      pods.push({ source: `${o.kind}/${o.metadata.name}`, namespace, namespaceLabels: nsLabels, labels, ports, spec });
    }
    if (o.apiVersion === "postgresql.cnpg.io/v1" && o.kind === "Cluster") {
      const inherited = (o.spec as { inheritedMetadata?: { labels?: Record<string, string> } }).inheritedMetadata?.labels ?? {};
      pods.push({
        source: `Cluster/${o.metadata.name}`,
        namespace,
        namespaceLabels: nsLabels,
        labels: { ...inherited, "cnpg.io/cluster": o.metadata.name, "cnpg.io/podRole": "instance" },
        ports: [
          { name: "postgresql", port: 5432, protocol: "TCP" },
          { name: "status", port: 8000, protocol: "TCP" },
        ],
      });
    }
  }
  return pods;
}

/** Pods outside the namespace that policies may name: DNS, the CNPG operator, anything else. */
export const EXTERNAL_PODS: Pod[] = [
  {
    source: "external/kube-dns",
    namespace: "kube-system",
    namespaceLabels: { "kubernetes.io/metadata.name": "kube-system" },
    labels: { "k8s-app": "kube-dns" },
    ports: [
      { port: 53, protocol: "UDP" },
      { port: 53, protocol: "TCP" },
    ],
  },
  {
    source: "external/cnpg-operator",
    namespace: "cnpg-system",
    namespaceLabels: { "kubernetes.io/metadata.name": "cnpg-system" },
    labels: { "app.kubernetes.io/name": "cloudnative-pg" },
    ports: [{ port: 9443, protocol: "TCP" }],
  },
  {
    source: "external/smtp-relay",
    namespace: "elsewhere",
    namespaceLabels: { "kubernetes.io/metadata.name": "elsewhere" },
    labels: {},
    ports: [25, 465, 587].map((port) => ({ port, protocol: "TCP" })),
  },
  {
    source: "external/prometheus",
    namespace: "monitoring",
    namespaceLabels: { "kubernetes.io/metadata.name": "monitoring" },
    labels: { "app.kubernetes.io/name": "prometheus" },
    ports: [{ port: 9090, protocol: "TCP" }],
  },
  {
    source: "external/keda-operator",
    namespace: "keda",
    namespaceLabels: { "kubernetes.io/metadata.name": "keda" },
    labels: { "app.kubernetes.io/name": "keda-operator" },
    ports: [],
  },
  {
    source: "external/tracing-backend",
    namespace: "observability",
    namespaceLabels: { "kubernetes.io/metadata.name": "observability" },
    labels: { "app.kubernetes.io/name": "tempo" },
    ports: [{ port: 4318, protocol: "TCP" }],
  },
  {
    source: "external/elsewhere",
    namespace: "elsewhere",
    namespaceLabels: { "kubernetes.io/metadata.name": "elsewhere" },
    labels: {},
    // Ports an exfiltration or a misrouted client would use.
    ports: [80, 443, 4222, 4317, 4318, 5432, 8081, 8082, 8083, 8084, 8222, 9081, 9082, 9083, 9084].map((port) => ({ port, protocol: "TCP" })),
  },
];

export interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: { key: string; operator: string; values?: string[] }[];
}

export function selects(selector: LabelSelector | undefined, labels: Record<string, string>): boolean {
  if (!selector) return false;
  const byLabels = Object.entries(selector.matchLabels ?? {}).every(([k, v]) => labels[k] === v);
  const byExpressions = (selector.matchExpressions ?? []).every(({ key, operator, values = [] }) => {
    const value = labels[key];
    if (operator === "Exists") return value !== undefined;
    if (operator === "DoesNotExist") return value === undefined;
    if (operator === "In") return value !== undefined && values.includes(value);
    if (operator === "NotIn") return value === undefined || !values.includes(value);
    throw new Error(`unknown selector operator ${operator}`);
  });
  return byLabels && byExpressions;
}

/** A Service's `selector` is a plain map, unlike the label selectors of workloads and policies. */
export function serviceSelects(selector: Record<string, string> | undefined, labels: Record<string, string>): boolean {
  return !!selector && Object.keys(selector).length > 0 && selects({ matchLabels: selector }, labels);
}
