import type { IPodSpec } from "kubernetes-models/v1/PodSpec";
import { describe, expect, it } from "vitest";
import { crossReferenceProblems, ownershipProblems, podSecurityProblems, serviceDeploymentProblems, type Check } from "./lib/checks.js";
import { EXTERNAL_SECRETS } from "./lib/external.js";
import { find, podSpecOf } from "./lib/model.js";
import { natsPermissionProblems } from "./lib/nats-checks.js";
import { autoscalingProblems } from "./lib/autoscaling.js";
import { networkProblems } from "./lib/netpol.js";
import { tlsProblems } from "./lib/tls.js";
import { render, type K8sObject, type Overlay } from "./lib/render.js";
import { schemaProblems } from "./lib/schema.js";

// biome-ignore lint/suspicious/noExplicitAny: rendered manifests are untyped YAML; each case below reaches into an arbitrary path of one.
type Untyped = any;

/**
 * Each check is shown to fire: break one thing in a copy of the render, and
 * the check must name it (while it passes on the real render, in
 * invariants.test.ts).
 */
function broken(overlay: Overlay, mutate: (objects: K8sObject[]) => void): K8sObject[] {
  const objects = render(overlay).objects;
  mutate(objects);
  return objects;
}
const spec = (objects: K8sObject[], kind: string, name: string) => podSpecOf(find(objects, kind, name)) as IPodSpec;
const main = (objects: K8sObject[], name: string) => spec(objects, "Deployment", name).containers[0]!;
const data = (objects: K8sObject[], name: string) => find(objects, "ConfigMap", name).data as Record<string, string>;
const policy = (objects: K8sObject[], name: string) => find(objects, "NetworkPolicy", name).spec as Record<string, Untyped>;
const scaler = (objects: K8sObject[], name: string) => find(objects, "ScaledObject", name).spec as Record<string, Untyped>;
const trigger = (objects: K8sObject[], name: string) => scaler(objects, name).triggers[0].metadata as Record<string, string>;
const cert = (objects: K8sObject[], name: string) => find(objects, "Certificate", name).spec as Record<string, Untyped>;
const crossRefs =
  (overlay: Overlay): Check =>
  (objects) =>
    crossReferenceProblems(objects, EXTERNAL_SECRETS[overlay]);

const cases: [string, Overlay, Check, (objects: K8sObject[]) => void, RegExp][] = [
  // Schemas
  [
    "a port that is not a number",
    "dev",
    schemaProblems,
    (o) => {
      main(o, "auth").ports![0]!.containerPort = "8081" as never;
    },
    /containerPort must be integer/,
  ],
  ["an unknown kind", "dev", schemaProblems, (o) => void o.push({ apiVersion: "v1", kind: "Podd", metadata: { name: "x" } }), /no schema known for v1\/Podd/],
  [
    "a CloudNativePG Cluster without storage",
    "prod",
    schemaProblems,
    (o) => void delete (find(o, "Cluster", "auth-db").spec as Record<string, unknown>).storage,
    /Cluster\/auth-db: spec.storage.size/,
  ],
  [
    "a misspelt CloudNativePG field",
    "prod",
    schemaProblems,
    (o) => {
      (find(o, "Cluster", "auth-db").spec as Record<string, unknown>).instance = 3;
    },
    /unknown field spec.instance\b/,
  ],
  // Cross-references
  [
    "a Service selector that matches no pod",
    "dev",
    crossRefs("dev"),
    (o) => {
      (find(o, "Service", "auth").spec as { selector: object }).selector = { "app.kubernetes.io/name": "authh" };
    },
    /Service\/auth: selector/,
  ],
  [
    "a Service targetPort the pods do not declare",
    "dev",
    crossRefs("dev"),
    (o) => {
      (find(o, "Service", "profile").spec as { ports: { targetPort: string }[] }).ports[0]!.targetPort = "http";
    },
    /Service\/profile: port grpc targets http/,
  ],
  [
    "a ConfigMap that is not in the render",
    "dev",
    crossRefs("dev"),
    (o) => {
      main(o, "billing").envFrom![0]!.configMapRef!.name = "billing-settings";
    },
    /ConfigMap billing-settings is neither/,
  ],
  [
    "a prod Secret that is neither rendered nor declared external",
    "prod",
    crossRefs("prod"),
    (o) => {
      main(o, "auth").env![1]!.valueFrom!.secretKeyRef!.name = "auth-nats-v2";
    },
    /Secret auth-nats-v2 is neither/,
  ],
  [
    "a Secret key that does not exist",
    "dev",
    crossRefs("dev"),
    (o) => {
      main(o, "auth").env![0]!.valueFrom!.secretKeyRef!.key = "url";
    },
    /has no key url/,
  ],
  [
    "a probe on an undeclared port",
    "dev",
    crossRefs("dev"),
    (o) => {
      main(o, "auth").livenessProbe!.httpGet!.port = "health";
    },
    /liveness probe of container auth uses port health/,
  ],
  [
    "a URL to a host no Service serves",
    "dev",
    crossRefs("dev"),
    (o) => {
      data(o, "profile-config").AUTH_JWKS_URL = "http://auth:9090/.well-known/jwks.json";
    },
    /points at auth:9090/,
  ],
  [
    "a NetworkPolicy that selects nothing",
    "dev",
    crossRefs("dev"),
    (o) => {
      policy(o, "billing-db").podSelector.matchLabels["app.kubernetes.io/name"] = "billing-database";
    },
    /NetworkPolicy\/billing-db: its selector matches no pod/,
  ],
  // Pod security
  [
    "a writable root filesystem",
    "dev",
    podSecurityProblems,
    (o) => {
      main(o, "profile").securityContext!.readOnlyRootFilesystem = false;
    },
    /profile container profile: root filesystem is writable/,
  ],
  [
    "capabilities not dropped",
    "dev",
    podSecurityProblems,
    (o) => {
      spec(o, "StatefulSet", "nats").containers[0]!.securityContext!.capabilities = {};
    },
    /nats container nats: does not drop ALL/,
  ],
  [
    "running as root",
    "dev",
    podSecurityProblems,
    (o) => {
      spec(o, "StatefulSet", "auth-db").securityContext = { runAsUser: 0 };
    },
    /auth-db container postgres: runAsNonRoot is not true/,
  ],
  ["no memory limit", "dev", podSecurityProblems, (o) => void delete main(o, "billing").resources!.limits, /billing container billing: no memory limit/],
  // Service deployments
  [
    "a readiness probe on /healthz",
    "dev",
    serviceDeploymentProblems,
    (o) => {
      main(o, "auth").readinessProbe!.httpGet!.path = "/healthz";
    },
    /auth: readiness probe is not GET \/readyz/,
  ],
  ["no preStop sleep", "dev", serviceDeploymentProblems, (o) => void delete main(o, "profile").lifecycle, /profile: no preStop sleep/],
  [
    "a 1Gi memory limit",
    "dev",
    serviceDeploymentProblems,
    (o) => {
      main(o, "billing").resources!.limits!.memory = "1Gi";
    },
    /billing container billing: memory limit 1Gi/,
  ],
  [
    "no migrate init container",
    "dev",
    serviceDeploymentProblems,
    (o) => void delete spec(o, "Deployment", "auth").initContainers,
    /auth: no migrate init container/,
  ],
  [
    "migrations run through tsx",
    "dev",
    serviceDeploymentProblems,
    (o) => {
      spec(o, "Deployment", "profile").initContainers![0]!.command = ["node", "--import", "tsx", "src/migrate.ts"];
    },
    /profile container migrate: runs TypeScript/,
  ],
  [
    "the server started from its sources",
    "prod",
    serviceDeploymentProblems,
    (o) => {
      main(o, "billing").args = ["src/main.ts"];
    },
    /billing container billing: runs TypeScript/,
  ],
  // Ownership
  [
    "profile given billing's database Secret",
    "dev",
    ownershipProblems,
    (o) => {
      main(o, "profile").env![0]!.valueFrom!.secretKeyRef!.name = find(o, "Secret", "billing-db-app").metadata.name;
    },
    /Deployment\/profile reads Secret billing-db-app.* which belongs to billing/,
  ],
  [
    "billing given profile's NATS user Secret",
    "dev",
    ownershipProblems,
    (o) => {
      main(o, "billing").env![1]!.valueFrom!.secretKeyRef!.name = find(o, "Secret", "profile-nats").metadata.name;
    },
    /Deployment\/billing reads Secret profile-nats.* which belongs to profile/,
  ],
  [
    "profile reading auth's ConfigMap",
    "dev",
    ownershipProblems,
    (o) => void main(o, "profile").envFrom!.push({ configMapRef: { name: find(o, "ConfigMap", "auth-config").metadata.name } }),
    /Deployment\/profile reads ConfigMap auth-config/,
  ],
  [
    "auth's database host in profile's environment",
    "dev",
    ownershipProblems,
    (o) => void main(o, "profile").env!.push({ name: "REPORTS_DB", value: "postgresql://auth-db-rw:5432/auth" }),
    /Deployment\/profile names auth's database host auth-db-rw/,
  ],
  [
    "billing connecting to NATS as auth",
    "dev",
    ownershipProblems,
    (o) => {
      data(o, "billing-config").NATS_USER = "auth";
    },
    /Deployment\/billing connects to NATS as auth/,
  ],
  [
    "the NATS server given a database Secret",
    "dev",
    ownershipProblems,
    (o) => void spec(o, "StatefulSet", "nats").containers[0]!.env!.push({ name: "X", valueFrom: { secretKeyRef: { name: "auth-db-app", key: "uri" } } }),
    /StatefulSet\/nats reads Secret auth-db-app/,
  ],
  [
    "a dev database Secret pointing at another database",
    "dev",
    ownershipProblems,
    (o) => {
      (find(o, "Secret", "profile-db-app").data as Record<string, string>).uri = Buffer.from("postgresql://profile:x@billing-db-rw:5432/billing").toString(
        "base64",
      );
    },
    /uri leads to profile@billing-db-rw\/billing/,
  ],
  // Network
  [
    "profile allowed to billing's database",
    "dev",
    networkProblems,
    (o) =>
      void policy(o, "profile").egress.push({ to: [{ podSelector: { matchLabels: { "app.kubernetes.io/name": "billing-db" } } }], ports: [{ port: 5432 }] }),
    /Deployment\/profile's egress allows StatefulSet\/billing-db:5432/,
  ],
  [
    "auth's database open to every pod",
    "prod",
    networkProblems,
    (o) => {
      policy(o, "auth-db").ingress[0].from = [{ podSelector: {} }];
    },
    /Cluster\/auth-db accepts Deployment\/billing on 5432/,
  ],
  [
    "billing's egress opened to everything",
    "dev",
    networkProblems,
    (o) => void policy(o, "billing").egress.push({}),
    /Deployment\/billing's egress allows external\/elsewhere:443/,
  ],
  [
    "NATS open to any namespace",
    "prod",
    networkProblems,
    (o) => void policy(o, "nats").ingress.push({ from: [{ namespaceSelector: {} }], ports: [{ port: 4222 }] }),
    /StatefulSet\/nats accepts clients from external\/elsewhere/,
  ],
  ["no default deny", "dev", networkProblems, (o) => void o.splice(o.indexOf(find(o, "NetworkPolicy", "default-deny")), 1), /no default-deny NetworkPolicy/],
  [
    "a service cut off from its database",
    "dev",
    networkProblems,
    (o) => {
      policy(o, "auth").egress[0].ports = [{ port: 5433 }];
    },
    /Deployment\/auth cannot reach StatefulSet\/auth-db:5432/,
  ],
  [
    "NATS peers cut off from each other",
    "prod",
    networkProblems,
    (o) => {
      policy(o, "nats").egress = [];
    },
    /peers cannot open routes/,
  ],
  // Admin port, metrics, traces
  [
    "a liveness probe on the public port",
    "dev",
    serviceDeploymentProblems,
    (o) => {
      main(o, "auth").livenessProbe!.httpGet!.port = "grpc";
    },
    /Deployment\/auth: liveness probe is not GET \/healthz on the admin port/,
  ],
  [
    "Prometheus scraping the public port",
    "prod",
    serviceDeploymentProblems,
    (o) => {
      (find(o, "Deployment", "profile").spec as Untyped).template.metadata.annotations["prometheus.io/port"] = "8082";
    },
    /Deployment\/profile: Prometheus does not scrape \/metrics on the admin port 9082/,
  ],
  [
    "an admin token written into the manifest",
    "dev",
    serviceDeploymentProblems,
    (o) => {
      main(o, "billing").env!.find((e) => e.name === "ADMIN_TOKEN")!.valueFrom = undefined as never;
      main(o, "billing").env!.find((e) => e.name === "ADMIN_TOKEN")!.value = "hunter2";
    },
    /Deployment\/billing: ADMIN_TOKEN does not come from a Secret/,
  ],
  [
    "ADMIN_PORT that is not the admin port",
    "dev",
    serviceDeploymentProblems,
    (o) => {
      data(o, "auth-config").ADMIN_PORT = "9999";
    },
    /Deployment\/auth: ADMIN_PORT is 9999/,
  ],
  [
    "traces sent past the collector",
    "dev",
    serviceDeploymentProblems,
    (o) => {
      data(o, "profile-config").OTEL_EXPORTER_OTLP_ENDPOINT = "http://nats:4222";
    },
    /Deployment\/profile: OTEL_EXPORTER_OTLP_ENDPOINT \(http:\/\/nats:4222\) is not the collector/,
  ],
  [
    "the admin port open to every namespace",
    "prod",
    networkProblems,
    (o) => {
      policy(o, "auth").ingress[1].from = [{ namespaceSelector: {} }];
    },
    /Deployment\/auth accepts external\/elsewhere on its admin port 9081/,
  ],
  [
    "the admin port closed to monitoring",
    "dev",
    networkProblems,
    (o) => void policy(o, "billing").ingress.splice(1, 1),
    /Deployment\/billing: Prometheus cannot scrape its admin port 9083/,
  ],
  [
    "NATS monitoring open to every namespace",
    "prod",
    networkProblems,
    (o) => void policy(o, "nats").ingress.push({ from: [{ namespaceSelector: {} }], ports: [{ port: 8222 }] }),
    /StatefulSet\/nats accepts external\/elsewhere on its monitoring port 8222/,
  ],
  ["KEDA cut off from NATS monitoring", "prod", networkProblems, (o) => void policy(o, "nats").ingress.splice(2, 1), /KEDA cannot read consumer lag on 8222/],
  [
    "the collector open to anyone",
    "dev",
    networkProblems,
    (o) => {
      policy(o, "otel-collector").ingress[0].from = [];
    },
    /otel-collector accepts OTLP from external\/elsewhere on 4317/,
  ],
  [
    "a service cut off from the collector",
    "dev",
    networkProblems,
    (o) => void policy(o, "profile").egress.splice(2, 1),
    /Deployment\/profile cannot reach Deployment\/otel-collector:4318/,
  ],
  // Autoscaling (prod)
  [
    "a scaler on another stream",
    "prod",
    autoscalingProblems,
    (o) => {
      trigger(o, "profile").stream = "AUTH_EVENTS_V2";
    },
    /ScaledObject\/profile: stream AUTH_EVENTS_V2, but profile consumes AUTH_EVENTS/,
  ],
  [
    "a scaler on another service's consumer",
    "prod",
    autoscalingProblems,
    (o) => {
      trigger(o, "billing").consumer = "profile";
    },
    /ScaledObject\/billing: consumer profile, but billing's durable consumer is billing/,
  ],
  [
    "a scaler reading the client Service, not the monitoring endpoint",
    "prod",
    autoscalingProblems,
    (o) => {
      trigger(o, "profile").natsServerMonitoringEndpoint = "nats.acme.svc.cluster.local:4222";
    },
    /ScaledObject\/profile: natsServerMonitoringEndpoint nats.acme.svc.cluster.local:4222 is not NATS's headless monitoring endpoint/,
  ],
  [
    "a scaler aimed at a Deployment that does not exist",
    "prod",
    autoscalingProblems,
    (o) => {
      scaler(o, "billing").scaleTargetRef.name = "billing-api";
    },
    /ScaledObject\/billing: scaleTargetRef Deployment\/billing-api is not a Deployment of the render/,
  ],
  [
    "a minimum of one replica",
    "prod",
    autoscalingProblems,
    (o) => {
      (find(o, "HorizontalPodAutoscaler", "auth").spec as Untyped).minReplicas = 1;
    },
    /HorizontalPodAutoscaler\/auth: minimum 1 replicas/,
  ],
  [
    "a PDB that blocks every disruption at the minimum",
    "prod",
    autoscalingProblems,
    (o) => {
      (find(o, "PodDisruptionBudget", "profile").spec as Untyped).minAvailable = 2;
    },
    /Deployment\/profile: PodDisruptionBudget minAvailable 2 leaves no disruption/,
  ],
  [
    "replicas set beside an autoscaler",
    "prod",
    autoscalingProblems,
    (o) => {
      (find(o, "Deployment", "billing").spec as Untyped).replicas = 2;
    },
    /Deployment\/billing: sets replicas, which ScaledObject\/billing owns/,
  ],
  [
    "a scaler whose minimum is not an integer",
    "prod",
    schemaProblems,
    (o) => {
      scaler(o, "profile").minReplicaCount = "two";
    },
    /ScaledObject\/profile: .*minReplicaCount must be integer/,
  ],
  // TLS (prod)
  [
    "a Certificate from an Issuer that does not exist",
    "prod",
    tlsProblems,
    (o) => {
      cert(o, "nats-server").issuerRef.name = "acme-root";
    },
    /Certificate\/nats-server: issuerRef Issuer\/acme-root is not an Issuer of the render/,
  ],
  [
    "a CA Issuer whose Secret no Certificate makes",
    "prod",
    tlsProblems,
    (o) => {
      (find(o, "Issuer", "acme-ca").spec as Untyped).ca.secretName = "acme-root-ca";
    },
    /Issuer\/acme-ca: CA Secret acme-root-ca is made by no CA Certificate/,
  ],
  [
    "a client certificate written to another Secret",
    "prod",
    tlsProblems,
    (o) => {
      cert(o, "profile-nats-client").secretName = "profile-nats-tls";
    },
    /Deployment\/profile: volume nats-tls mounts Secret profile-nats-client-tls, which no Certificate or CloudNativePG Cluster makes/,
  ],
  [
    "NATS not requiring client certificates",
    "prod",
    tlsProblems,
    (o) => {
      data(o, "nats-config")["tls.conf"] = data(o, "nats-config")["tls.conf"]!.replace(/^(\s+)verify: true$/m, "$1verify: false");
    },
    /NATS: tls.verify is not true/,
  ],
  [
    "a server certificate without the name clients use",
    "prod",
    tlsProblems,
    (o) => {
      cert(o, "nats-server").dnsNames = ["nats.acme.svc"];
    },
    /Deployment\/auth: NATS_URL host nats is not a name of the NATS server's certificate/,
  ],
  [
    "the database CA Secret mounted whole (with its private key)",
    "prod",
    tlsProblems,
    (o) => void delete spec(o, "Deployment", "billing").volumes!.find((v) => v.name === "db-ca")!.secret!.items,
    /Deployment\/billing container billing: mounts all of billing-db-ca/,
  ],
  [
    "a service without the database CA",
    "prod",
    tlsProblems,
    (o) => void delete data(o, "auth-config").DATABASE_SSL_ROOT_CERT,
    /Deployment\/auth container migrate: DATABASE_SSL_ROOT_CERT \(undefined\)/,
  ],
  // NATS permissions
  [
    "profile allowed to publish auth.events.>",
    "dev",
    natsPermissionProblems,
    (o) => void patchNats(o, '"dlq.profile.>"', '"dlq.profile.>"\n"auth.events.>"'),
    /NATS user profile may publish auth.events.> \(covers auth.events.>\), which is auth's/,
  ],
  [
    "billing allowed to publish everything",
    "prod",
    natsPermissionProblems,
    (o) => void patchNats(o, '"dlq.billing.>"', '">"'),
    /NATS user billing may publish > \(covers auth.events.>\)/,
  ],
  [
    "profile acting on billing's durable consumer",
    "dev",
    natsPermissionProblems,
    (o) => void patchNats(o, '"$JS.ACK.AUTH_EVENTS.profile.>"', '"$JS.ACK.AUTH_EVENTS.*.>"'),
    /profile may publish \$JS.ACK.AUTH_EVENTS.\*.> \(covers \$JS.ACK.AUTH_EVENTS.billing.>\)/,
  ],
  [
    "profile allowed to purge any stream",
    "dev",
    natsPermissionProblems,
    (o) => void patchNats(o, '"$JS.API.STREAM.PURGE.DLQ_PROFILE"', '"$JS.API.STREAM.PURGE.*"'),
    /profile may publish \$JS.API.STREAM.PURGE.\* \(covers \$JS.API.STREAM.\*.DLQ_BILLING\)/,
  ],
  [
    "a consumer reading auth's replies",
    "dev",
    natsPermissionProblems,
    (o) => void patchNats(o, '["_INBOX_billing.>"]', '["_INBOX_billing.>", "_INBOX.>"]'),
    /billing may subscribe _INBOX.>/,
  ],
  [
    "a password written into the config",
    "dev",
    natsPermissionProblems,
    (o) => void patchNats(o, "$PROFILE_NATS_PASSWORD", "hunter2"),
    /profile: password is written in the config/,
  ],
  [
    "a NATS password from another service's Secret",
    "dev",
    natsPermissionProblems,
    (o) => {
      spec(o, "StatefulSet", "nats").containers[0]!.env!.find((e) => e.name === "BILLING_NATS_PASSWORD")!.valueFrom!.secretKeyRef!.name = "auth-nats";
    },
    /billing: \$BILLING_NATS_PASSWORD comes from auth-nats/,
  ],
];

function patchNats(objects: K8sObject[], from: string, to: string) {
  const d = data(objects, "nats-config");
  if (!d["authorization.conf"]!.includes(from)) throw new Error(`authorization.conf has no ${from}`);
  d["authorization.conf"] = d["authorization.conf"]!.replace(from, to);
}

describe("each check fires on a broken copy of the render", () => {
  it.each(cases)("%s (%s)", (_name, overlay, check, mutate, expected) => {
    expect(check(render(overlay).objects)).toEqual([]);
    const problems = check(broken(overlay, mutate));
    expect(problems.join("\n")).toMatch(expected);
  });
});
