import type { IContainer } from "kubernetes-models/v1/Container";
import type { IPodSpec } from "kubernetes-models/v1/PodSpec";
import { containersOf, podSpecOf, SERVICES } from "./model.js";
import { natsConfOf } from "./nats-checks.js";
import type { NatsMap } from "./nats-conf.js";
import { dataOf, id, workloads } from "./refs.js";
import type { K8sObject } from "./render.js";

interface CertificateSpec {
  secretName?: string;
  isCA?: boolean;
  usages?: string[];
  dnsNames?: string[];
  issuerRef?: { name?: string; kind?: string };
}
const certificates = (objects: K8sObject[]) => objects.filter((o) => o.kind === "Certificate").map((o) => ({ o, spec: o.spec as CertificateSpec }));

/** The Secret a path of a container lies in (through its volume mounts), with the keys the volume exposes. */
function secretAt(spec: IPodSpec, c: IContainer, path: string): { secret: string; items?: string[] } | undefined {
  const mount = (c.volumeMounts ?? []).find((m) => path.startsWith(`${m.mountPath.replace(/\/$/, "")}/`));
  const volume = mount && (spec.volumes ?? []).find((v) => v.name === mount.name);
  if (!volume?.secret?.secretName) return undefined;
  return { secret: volume.secret.secretName, ...(volume.secret.items ? { items: volume.secret.items.map((i) => i.path) } : {}) };
}

/**
 * TLS in an overlay that turns it on (prod): cert-manager objects that
 * reference each other correctly, a NATS server that requires client
 * certificates from a certificate valid for the names clients and peers use,
 * every service verifying NATS (with its own client certificate) and its
 * database (CloudNativePG's CA, sslmode=verify-full), and every TLS file a
 * setting names lying in a mounted Secret that something actually makes.
 */
export function tlsProblems(objects: K8sObject[]): string[] {
  const problems: string[] = [];
  const certs = certificates(objects);
  const issuers = objects.filter((o) => o.kind === "Issuer");
  const clusters = objects.filter((o) => o.kind === "Cluster").map((o) => o.metadata.name);
  const made = new Set([...certs.map((c) => c.spec.secretName), ...clusters.flatMap((c) => [`${c}-app`, `${c}-ca`])]);

  for (const { o, spec } of certs) {
    const ref = spec.issuerRef;
    if ((ref?.kind ?? "Issuer") !== "Issuer" || !issuers.some((i) => i.metadata.name === ref?.name)) {
      problems.push(`${id(o)}: issuerRef ${ref?.kind ?? "Issuer"}/${ref?.name} is not an Issuer of the render`);
    }
    if (!spec.secretName) problems.push(`${id(o)}: no secretName`);
  }
  for (const issuer of issuers) {
    const ca = (issuer.spec as { ca?: { secretName?: string } }).ca;
    if (ca && !certs.some((c) => c.spec.isCA && c.spec.secretName === ca.secretName))
      problems.push(`${id(issuer)}: CA Secret ${ca.secretName} is made by no CA Certificate`);
  }
  // Optional Secret volumes are a dev convenience: here each must exist.
  for (const { o, spec } of workloads(objects)) {
    for (const v of spec.volumes ?? []) {
      const name = v.secret?.secretName;
      if (name && !made.has(name) && !objects.some((x) => x.kind === "Secret" && x.metadata.name === name)) {
        problems.push(`${id(o)}: volume ${v.name} mounts Secret ${name}, which no Certificate or CloudNativePG Cluster makes`);
      }
    }
  }
  const issuedBy = (secret: string) => certs.find((c) => c.spec.secretName === secret)?.spec;

  // The NATS server: TLS with client certificates, from a certificate for its names.
  const nats = objects.find((o) => o.kind === "StatefulSet" && o.metadata.name === "nats");
  const natsSpec = nats && podSpecOf(nats);
  const conf = natsConfOf(objects);
  const tls = conf.tls as NatsMap | undefined;
  let serverCert: CertificateSpec | undefined;
  if (!natsSpec || !tls) problems.push("NATS: no tls block in nats.conf");
  else {
    if (String(tls.verify) !== "true") problems.push("NATS: tls.verify is not true (client certificates not required)");
    for (const key of ["cert_file", "key_file", "ca_file"]) {
      const at = secretAt(natsSpec, natsSpec.containers[0]!, String(tls[key]));
      serverCert = at && issuedBy(at.secret);
      if (!serverCert) problems.push(`NATS: tls.${key} ${String(tls[key])} is not in a mounted Secret that a Certificate makes`);
    }
    const routeTls = (conf.cluster as NatsMap | undefined)?.tls as NatsMap | undefined;
    if (conf.cluster && String(routeTls?.verify) !== "true") problems.push("NATS: cluster routes without tls (verify: true)");
  }

  for (const svc of SERVICES) {
    const deployment = objects.find((o) => o.kind === "Deployment" && o.metadata.name === svc);
    const spec = deployment && podSpecOf(deployment);
    if (!spec) continue;
    const main = spec.containers.find((c) => c.name === svc)!;
    const env: Record<string, string> = {};
    for (const ref of main.envFrom ?? []) {
      const cm = ref.configMapRef && objects.find((o) => o.kind === "ConfigMap" && o.metadata.name === ref.configMapRef!.name);
      if (cm) Object.assign(env, dataOf(cm));
    }
    const where = `Deployment/${svc}`;
    const clientSecret = `${svc}-nats-client-tls`;
    for (const key of ["NATS_TLS_CA", "NATS_TLS_CERT", "NATS_TLS_KEY"]) {
      const at = env[key] ? secretAt(spec, main, env[key]) : undefined;
      if (at?.secret !== clientSecret) problems.push(`${where}: ${key} (${env[key]}) is not a file of its own client certificate Secret ${clientSecret}`);
    }
    const client = issuedBy(clientSecret);
    if (!client?.usages?.includes("client auth")) problems.push(`${where}: Secret ${clientSecret} is made by no Certificate for client auth`);
    if (client && serverCert && client.issuerRef?.name !== serverCert.issuerRef?.name)
      problems.push(`${where}: its client certificate and the NATS server's come from different issuers`);
    const natsHost = /^[a-z]+:\/\/([^:/]+)/.exec(env.NATS_URL ?? "")?.[1];
    if (serverCert && natsHost && !serverCert.dnsNames?.includes(natsHost))
      problems.push(`${where}: NATS_URL host ${natsHost} is not a name of the NATS server's certificate`);
    // PostgreSQL: verify-full against the CloudNativePG CA of its own Cluster, in the server and in migrate.
    for (const c of containersOf(spec)) {
      const at = env.DATABASE_SSL_ROOT_CERT ? secretAt(spec, c, env.DATABASE_SSL_ROOT_CERT) : undefined;
      if (at?.secret !== `${svc}-db-ca` || !clusters.includes(`${svc}-db`)) {
        problems.push(
          `${where} container ${c.name}: DATABASE_SSL_ROOT_CERT (${env.DATABASE_SSL_ROOT_CERT}) is not in Secret ${svc}-db-ca of CloudNativePG Cluster ${svc}-db`,
        );
      } else if (at.items && !at.items.every((i) => i === "ca.crt")) {
        problems.push(`${where} container ${c.name}: mounts more of ${svc}-db-ca than ca.crt (the CA's private key lives there too)`);
      } else if (!at.items) problems.push(`${where} container ${c.name}: mounts all of ${svc}-db-ca, including the CA's private key; select items: [ca.crt]`);
    }
  }
  if (serverCert) {
    const headless = objects.find((o) => o.kind === "Service" && o.metadata.name === "nats-headless");
    if (headless && conf.cluster && !serverCert.dnsNames?.includes(`*.${headless.metadata.name}`))
      problems.push(`NATS: the server certificate does not cover the route names *.${headless.metadata.name}`);
    if (!serverCert.usages?.includes("server auth")) problems.push("NATS: the server certificate is not for server auth");
  }
  return problems;
}
