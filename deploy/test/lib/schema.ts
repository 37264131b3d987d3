import { Certificate, Issuer } from "@kubernetes-models/cert-manager/cert-manager.io/v1";
import { ScaledObject } from "@kubernetes-models/keda/keda.sh/v1alpha1";
import { Deployment, StatefulSet } from "kubernetes-models/apps/v1";
import { HorizontalPodAutoscaler } from "kubernetes-models/autoscaling/v2";
import { Job } from "kubernetes-models/batch/v1";
import { NetworkPolicy } from "kubernetes-models/networking.k8s.io/v1";
import { PodDisruptionBudget } from "kubernetes-models/policy/v1";
import { ConfigMap, Namespace, Secret, Service, ServiceAccount } from "kubernetes-models/v1";
import { ResourceRequirements } from "kubernetes-models/v1/ResourceRequirements";
import type { K8sObject } from "./render.js";

interface Validatable {
  validate(): void;
}
type ModelClass = new (data: never) => Validatable;

/** apiVersion/kind -> model: an object of any other type is reported, not let through. */
const MODELS: Record<string, ModelClass> = {
  "v1/ConfigMap": ConfigMap,
  "v1/Namespace": Namespace,
  "v1/Secret": Secret,
  "v1/Service": Service,
  "v1/ServiceAccount": ServiceAccount,
  "apps/v1/Deployment": Deployment,
  "apps/v1/StatefulSet": StatefulSet,
  "batch/v1/Job": Job,
  "networking.k8s.io/v1/NetworkPolicy": NetworkPolicy,
  "policy/v1/PodDisruptionBudget": PodDisruptionBudget,
  "autoscaling/v2/HorizontalPodAutoscaler": HorizontalPodAutoscaler,
  // CRDs, validated against their published schemas (cert-manager, KEDA).
  "cert-manager.io/v1/Certificate": Certificate,
  "cert-manager.io/v1/Issuer": Issuer,
  "keda.sh/v1alpha1/ScaledObject": ScaledObject,
};

/**
 * Schema problems of each object. kubernetes-models checks types, enums and
 * required fields, but lets unknown fields through; the security and probe
 * checks read the exact field names, so a typo there still fails.
 */
export function schemaProblems(objects: K8sObject[]): string[] {
  const problems: string[] = [];
  for (const o of objects) {
    const id = `${o.kind}/${o.metadata?.name}`;
    const type = `${o.apiVersion}/${o.kind}`;
    try {
      if (type === "postgresql.cnpg.io/v1/Cluster") problems.push(...cnpgClusterProblems(o));
      else if (MODELS[type]) new MODELS[type](o as never).validate();
      else problems.push(`${id}: no schema known for ${type}`);
    } catch (error) {
      problems.push(`${id}: ${(error as Error).message}`);
    }
  }
  return problems;
}

/** The CloudNativePG ClusterSpec fields we use or expect to use: anything else is likely a typo. */
const CNPG_SPEC_FIELDS = new Set([
  "instances",
  "imageName",
  "bootstrap",
  "postgresql",
  "inheritedMetadata",
  "storage",
  "walStorage",
  "resources",
  "affinity",
  "backup",
  "monitoring",
  "primaryUpdateStrategy",
  "primaryUpdateMethod",
  "enableSuperuserAccess",
  "description",
  "managed",
  "plugins",
  "topologySpreadConstraints",
]);
const QUANTITY = /^\d+(\.\d+)?(Ki|Mi|Gi|Ti|k|M|G|T)?$/;

/** No CRD schema offline: the shape CloudNativePG 1.27 accepts, checked by hand. */
export function cnpgClusterProblems(o: K8sObject): string[] {
  const id = `Cluster/${o.metadata?.name}`;
  const problems: string[] = [];
  const fail = (message: string) => problems.push(`${id}: ${message}`);
  const spec = o.spec as Record<string, unknown> | undefined;
  if (!o.metadata?.name || !/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(o.metadata.name)) fail("metadata.name must be a DNS label");
  if (!spec || typeof spec !== "object") return [...problems, `${id}: spec is required`];
  for (const field of Object.keys(spec)) if (!CNPG_SPEC_FIELDS.has(field)) fail(`unknown field spec.${field}`);
  const instances = spec.instances;
  if (!Number.isInteger(instances) || (instances as number) < 1) fail("spec.instances must be an integer >= 1");
  if (typeof spec.imageName !== "string" || !spec.imageName.includes(":")) fail("spec.imageName must be an image with a tag");
  const storage = spec.storage as { size?: unknown } | undefined;
  if (typeof storage?.size !== "string" || !QUANTITY.test(storage.size)) fail("spec.storage.size must be a quantity such as 10Gi");
  const initdb = (spec.bootstrap as { initdb?: { database?: unknown; owner?: unknown } } | undefined)?.initdb;
  if (typeof initdb?.database !== "string" || typeof initdb.owner !== "string") {
    fail("spec.bootstrap.initdb needs database and owner (the service's own role and database)");
  }
  const sync = (spec.postgresql as { synchronous?: { method?: unknown; number?: unknown } } | undefined)?.synchronous;
  if (sync) {
    if (sync.method !== "any" && sync.method !== "first") fail("spec.postgresql.synchronous.method must be any or first");
    if (!Number.isInteger(sync.number) || (sync.number as number) < 1 || (sync.number as number) >= (instances as number)) {
      fail("spec.postgresql.synchronous.number must be between 1 and instances - 1");
    }
  }
  const labels = (spec.inheritedMetadata as { labels?: Record<string, unknown> } | undefined)?.labels ?? {};
  for (const [k, v] of Object.entries(labels)) if (typeof v !== "string") fail(`inheritedMetadata.labels.${k} must be a string`);
  if (spec.resources !== undefined) {
    try {
      new ResourceRequirements(spec.resources as never).validate();
    } catch (error) {
      fail(`spec.resources: ${(error as Error).message}`);
    }
  }
  return problems;
}
