import type { INetworkPolicy } from "kubernetes-models/networking.k8s.io/v1/NetworkPolicy";
import type { INetworkPolicySpec } from "kubernetes-models/networking.k8s.io/v1/NetworkPolicySpec";
import type { INetworkPolicyPeer } from "kubernetes-models/networking.k8s.io/v1/NetworkPolicyPeer";
import type { INetworkPolicyPort } from "kubernetes-models/networking.k8s.io/v1/NetworkPolicyPort";
import { EXTERNAL_PODS, podsOf, SERVICES, selects, type Pod, type ServiceName } from "./model.js";
import { ADMIN_PORTS } from "./pods.js";
import type { K8sObject } from "./render.js";

/**
 * NetworkPolicy semantics, enough to answer "may pod A open port P on pod
 * B?": a connection needs an egress rule of A's namespace that allows it (or
 * no egress policy selecting A) and an ingress rule of B's (or none
 * selecting B). ipBlock peers are taken to match every pod: the checks
 * then err on the side of reporting.
 */
export function mayConnect(objects: K8sObject[], from: Pod, to: Pod, port: number, protocol = "TCP"): boolean {
  return allows(objects, "Egress", from, to, port, protocol) && allows(objects, "Ingress", from, to, port, protocol);
}

/** One side alone: does `from`'s egress (or `to`'s ingress) allow the connection? */
export function allows(objects: K8sObject[], type: "Ingress" | "Egress", from: Pod, to: Pod, port: number, protocol = "TCP"): boolean {
  const [subject, peer] = type === "Egress" ? [from, to] : [to, from];
  if (subject.source.startsWith("external/")) return true; // not governed by these policies
  const policies = objects.filter((o) => o.kind === "NetworkPolicy") as unknown as (INetworkPolicy & { metadata: { namespace?: string } })[];
  const applying = policies.filter((p) => {
    const spec: INetworkPolicySpec = p.spec ?? { podSelector: {} };
    const types = spec.policyTypes ?? (spec.egress ? ["Ingress", "Egress"] : ["Ingress"]);
    return (p.metadata.namespace ?? "default") === subject.namespace && types.includes(type) && selects(spec.podSelector, subject.labels);
  });
  if (!applying.length) return true;
  return applying.some((p) => {
    const rules = (type === "Ingress" ? p.spec?.ingress : p.spec?.egress) ?? [];
    return rules.some((rule) => {
      const peers = (type === "Ingress" ? (rule as { from?: INetworkPolicyPeer[] }).from : (rule as { to?: INetworkPolicyPeer[] }).to) ?? [];
      const peerOk = !peers.length || peers.some((x) => peerMatches(x, peer, p.metadata.namespace ?? "default"));
      return peerOk && portMatches(rule.ports, to, port, protocol);
    });
  });
}

function peerMatches(peer: INetworkPolicyPeer, pod: Pod, policyNamespace: string): boolean {
  if (peer.ipBlock) return true;
  const nsOk = peer.namespaceSelector ? selects(peer.namespaceSelector, pod.namespaceLabels) : pod.namespace === policyNamespace;
  const podOk = peer.podSelector ? selects(peer.podSelector, pod.labels) : true;
  return nsOk && podOk;
}

function portMatches(ports: INetworkPolicyPort[] | undefined, to: Pod, port: number, protocol: string): boolean {
  if (!ports?.length) return true;
  return ports.some((p) => {
    if ((p.protocol ?? "TCP") !== protocol) return false;
    if (p.port === undefined) return true;
    if (typeof p.port === "string") return to.ports.some((q) => q.name === p.port && q.port === port);
    return p.endPort ? port >= p.port && port <= p.endPort : port === p.port;
  });
}

const name = (p: Pod) => p.labels["app.kubernetes.io/name"];
const isApi = (p: Pod, svc?: string) => p.labels["app.kubernetes.io/component"] === "api" && (!svc || name(p) === svc);
const isDbOf = (p: Pod, svc: string) => name(p) === `${svc}-db`;
const isNats = (p: Pod) => name(p) === "nats";
const isCollector = (p: Pod) => name(p) === "otel-collector";
const inMonitoring = (p: Pod) => p.namespaceLabels["kubernetes.io/metadata.name"] === "monitoring";
const isKeda = (p: Pod) => p.source === "external/keda-operator";

/** What a service's pods may open, beyond which nothing may be allowed. */
function expectedEgress(svc: ServiceName, to: Pod, port: number): boolean {
  if (to.source === "external/kube-dns") return port === 53;
  if (isDbOf(to, svc)) return port === 5432;
  if (isNats(to)) return port === 4222;
  if (isCollector(to)) return port === 4318; // traces, OTLP over HTTP
  if (svc !== "auth" && isApi(to, "auth")) return port === 8081; // JWKS
  if (svc === "notifications" && to.source === "external/smtp-relay") return port === 465 || port === 587; // its mail relay
  return false;
}

/**
 * Ownership in the network: default deny; each service reaches its own
 * database, NATS, DNS (and auth's JWKS) and nothing else; each database
 * accepts its own service (and its own replicas) only; NATS accepts the
 * three services as clients and its peers on the route port.
 */
export function networkProblems(objects: K8sObject[]): string[] {
  const problems: string[] = [];
  const policies = objects.filter((o) => o.kind === "NetworkPolicy") as unknown as INetworkPolicy[];
  const denyAll = policies.some((p) => {
    const s: INetworkPolicySpec = p.spec ?? { podSelector: {} };
    const everyPod = !s.podSelector?.matchLabels && !s.podSelector?.matchExpressions;
    return everyPod && s.policyTypes?.includes("Ingress") && s.policyTypes.includes("Egress") && !s.ingress?.length && !s.egress?.length;
  });
  if (!denyAll) problems.push("no default-deny NetworkPolicy (empty podSelector, Ingress and Egress, no rules)");
  const inside = podsOf(objects);
  const all = [...inside, ...EXTERNAL_PODS];
  const allowed = (from: Pod, to: Pod, port: { port: number; protocol: string }) => mayConnect(objects, from, to, port.port, port.protocol);
  // Each side must hold on its own: a service's egress and a database's
  // ingress both enforce ownership, so one mistake does not open a path.
  const egress = (from: Pod, to: Pod, port: { port: number; protocol: string }) => allows(objects, "Egress", from, to, port.port, port.protocol);
  const ingress = (from: Pod, to: Pod, port: number) => allows(objects, "Ingress", from, to, port);

  for (const svc of SERVICES) {
    const api = inside.find((p) => isApi(p, svc));
    if (!api) {
      problems.push(`no pod of service ${svc}`);
      continue;
    }
    for (const to of all) {
      if (to === api) continue;
      for (const port of to.ports) {
        const expected = expectedEgress(svc, to, port.port);
        if (egress(api, to, port) && !expected) problems.push(`${api.source}'s egress allows ${to.source}:${port.port}`);
        if (!allowed(api, to, port) && expected) problems.push(`${api.source} cannot reach ${to.source}:${port.port}, which it needs`);
      }
    }
    // The admin port: the monitoring namespace (Prometheus) only.
    const admin = ADMIN_PORTS[svc];
    for (const from of all) {
      if (from !== api && ingress(from, api, admin) && !inMonitoring(from)) problems.push(`${api.source} accepts ${from.source} on its admin port ${admin}`);
    }
    const prometheus = EXTERNAL_PODS.find((p) => p.source === "external/prometheus")!;
    if (!allowed(prometheus, api, { port: admin, protocol: "TCP" })) problems.push(`${api.source}: Prometheus cannot scrape its admin port ${admin}`);
    for (const db of inside.filter((p) => isDbOf(p, svc))) {
      for (const from of all) {
        if (from === db || !ingress(from, db, 5432)) continue;
        if (!isApi(from, svc) && !isDbOf(from, svc)) problems.push(`${db.source} accepts ${from.source} on 5432`);
      }
      const replicated = db.source.startsWith("Cluster/");
      if (replicated && !allowed(db, db, { port: 5432, protocol: "TCP" })) problems.push(`${db.source}: instances cannot replicate from each other`);
    }
  }
  for (const nats of inside.filter(isNats)) {
    for (const from of all) {
      if (from === nats) continue;
      if (ingress(from, nats, 4222) && !SERVICES.some((s) => isApi(from, s))) problems.push(`${nats.source} accepts clients from ${from.source}`);
      if (ingress(from, nats, 6222) && !isNats(from)) problems.push(`${nats.source} accepts routes from ${from.source}`);
    }
    if (!allowed(nats, nats, { port: 6222, protocol: "TCP" })) problems.push(`${nats.source}: peers cannot open routes to each other`);
    // Monitoring (8222): KEDA reads consumer lag there; Prometheus scrapes it.
    for (const from of all) {
      if (from !== nats && ingress(from, nats, 8222) && !isKeda(from) && !inMonitoring(from))
        problems.push(`${nats.source} accepts ${from.source} on its monitoring port 8222`);
    }
    const keda = EXTERNAL_PODS.find(isKeda)!;
    if (!allowed(keda, nats, { port: 8222, protocol: "TCP" })) problems.push(`${nats.source}: KEDA cannot read consumer lag on 8222`);
  }
  const collectors = inside.filter(isCollector);
  if (!collectors.length) problems.push("no OpenTelemetry Collector pod");
  for (const collector of collectors) {
    for (const from of all) {
      for (const port of [4317, 4318]) {
        if (from !== collector && ingress(from, collector, port) && !SERVICES.some((s) => isApi(from, s)))
          problems.push(`${collector.source} accepts OTLP from ${from.source} on ${port}`);
      }
    }
  }
  return problems;
}
