import type { IPodSpec } from "kubernetes-models/v1/PodSpec";
import { containersOf, podSpecOf } from "./model.js";
import type { K8sObject } from "./render.js";

export interface Ref {
  kind: "Secret" | "ConfigMap";
  name: string;
  key?: string;
  optional: boolean;
}

/** The Secrets and ConfigMaps a pod reads: env, envFrom, volumes. */
export function refsOf(spec: IPodSpec): Ref[] {
  const refs: Ref[] = [];
  for (const c of containersOf(spec)) {
    for (const e of c.env ?? []) {
      const s = e.valueFrom?.secretKeyRef;
      const m = e.valueFrom?.configMapKeyRef;
      if (s?.name) refs.push({ kind: "Secret", name: s.name, key: s.key, optional: !!s.optional });
      if (m?.name) refs.push({ kind: "ConfigMap", name: m.name, key: m.key, optional: !!m.optional });
    }
    for (const e of c.envFrom ?? []) {
      if (e.secretRef?.name) refs.push({ kind: "Secret", name: e.secretRef.name, optional: !!e.secretRef.optional });
      if (e.configMapRef?.name) refs.push({ kind: "ConfigMap", name: e.configMapRef.name, optional: !!e.configMapRef.optional });
    }
  }
  for (const v of spec.volumes ?? []) {
    if (v.secret?.secretName) refs.push({ kind: "Secret", name: v.secret.secretName, optional: !!v.secret.optional });
    if (v.configMap?.name) refs.push({ kind: "ConfigMap", name: v.configMap.name, optional: !!v.configMap.optional });
    for (const src of v.projected?.sources ?? []) {
      if (src.secret?.name) refs.push({ kind: "Secret", name: src.secret.name, optional: !!src.secret.optional });
      if (src.configMap?.name) refs.push({ kind: "ConfigMap", name: src.configMap.name, optional: !!src.configMap.optional });
    }
  }
  return refs;
}

export function dataOf(o: K8sObject): Record<string, string> {
  const data = (o.data ?? {}) as Record<string, string>;
  if (o.kind !== "Secret") return data;
  return Object.fromEntries(Object.entries(data).map(([k, v]) => [k, Buffer.from(v, "base64").toString("utf8")]));
}

export function workloads(objects: K8sObject[]): { o: K8sObject; spec: IPodSpec }[] {
  return objects.flatMap((o) => {
    const spec = podSpecOf(o);
    return spec ? [{ o, spec }] : [];
  });
}

export const id = (o: K8sObject) => `${o.kind}/${o.metadata.name}`;
