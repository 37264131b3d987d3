import type { IPodSpec } from "kubernetes-models/v1/PodSpec";
import { find, podSpecOf, SERVICES } from "./model.js";
import { parseNatsConf, subjectsOverlap, type NatsMap, type NatsValue } from "./nats-conf.js";
import type { K8sObject } from "./render.js";

/** nats.conf of the render's nats-config ConfigMap, includes resolved from the same ConfigMap. */
export function natsConfOf(objects: K8sObject[]): NatsMap {
  const data = find(objects, "ConfigMap", "nats-config").data as Record<string, string>;
  const read = (file: string) => {
    const text = data[file.replace(/^\.\//, "")];
    if (text === undefined) throw new Error(`nats.conf includes ${file}, which nats-config does not hold`);
    return text;
  };
  return parseNatsConf(read("nats.conf"), read);
}

interface User {
  user: string;
  password: string;
  publish: string[];
  subscribe: string[];
}

/** Allowed subjects; no permissions at all means everything (NATS's default). */
function allowList(value: NatsValue | undefined): string[] {
  if (value === undefined) return [">"];
  if (Array.isArray(value)) return value as string[];
  if (typeof value === "string") return [value];
  const allow = value.allow;
  return allow === undefined ? [">"] : Array.isArray(allow) ? (allow as string[]) : [allow as string];
}

export function natsUsers(conf: NatsMap): User[] {
  const users = ((conf.authorization as NatsMap | undefined)?.users ?? []) as NatsMap[];
  return users.map((u) => {
    const perms = (u.permissions ?? {}) as NatsMap;
    return { user: String(u.user), password: String(u.password), publish: allowList(perms.publish), subscribe: allowList(perms.subscribe) };
  });
}

const overlapsAny = (allowed: string[], subjects: string[]) =>
  allowed.flatMap((a) => subjects.filter((s) => subjectsOverlap(a, s)).map((s) => `${a} (covers ${s})`));

/** Subjects that change auth's stream or act for a consumer, per owner. */
function ownedSubjects(owner: string): string[] {
  if (owner === "auth") {
    return ["auth.events.>", ...["CREATE", "UPDATE", "DELETE", "PURGE", "MSG.DELETE"].map((op) => `$JS.API.STREAM.${op}.AUTH_EVENTS`)];
  }
  const dlq = `DLQ_${owner.toUpperCase()}`;
  return [
    `$JS.API.CONSUMER.*.AUTH_EVENTS.${owner}`,
    `$JS.API.CONSUMER.CREATE.AUTH_EVENTS.${owner}.>`,
    `$JS.API.CONSUMER.MSG.NEXT.AUTH_EVENTS.${owner}`,
    `$JS.ACK.AUTH_EVENTS.${owner}.>`,
    `dlq.${owner}.>`,
    `$JS.API.STREAM.*.${dlq}`,
    `$JS.API.STREAM.MSG.*.${dlq}`,
  ];
}
const inboxOf = (owner: string) => (owner === "auth" ? "_INBOX.>" : `_INBOX_${owner}.>`);

/**
 * One NATS user per service, password from that service's Secret; only auth
 * may publish auth.events.> or manage AUTH_EVENTS; no user may act on
 * another's durable consumer or dead-letter stream, or read its inbox.
 */
export function natsPermissionProblems(objects: K8sObject[]): string[] {
  const problems: string[] = [];
  const users = natsUsers(natsConfOf(objects));
  const spec = podSpecOf(find(objects, "StatefulSet", "nats")) as IPodSpec;
  const env = spec.containers.flatMap((c) => c.env ?? []);
  for (const u of users) {
    if (!(SERVICES as readonly string[]).includes(u.user)) problems.push(`NATS user ${u.user} belongs to no service`);
  }
  for (const svc of SERVICES) {
    const u = users.find((x) => x.user === svc);
    if (!u) {
      problems.push(`no NATS user ${svc}`);
      continue;
    }
    const variable = /^\$([A-Z0-9_]+)$/.exec(u.password)?.[1];
    const from = env.find((e) => e.name === variable)?.valueFrom?.secretKeyRef?.name;
    if (!variable) problems.push(`NATS user ${svc}: password is written in the config, not taken from a Secret`);
    else if (!from || !(from === `${svc}-nats` || from.startsWith(`${svc}-nats-`))) {
      problems.push(`NATS user ${svc}: $${variable} comes from ${from ?? "nowhere"}, not from Secret ${svc}-nats`);
    }
    for (const other of SERVICES.filter((s) => s !== svc)) {
      for (const hit of overlapsAny(u.publish, ownedSubjects(other))) problems.push(`NATS user ${svc} may publish ${hit}, which is ${other}'s`);
      for (const hit of overlapsAny(u.subscribe, [inboxOf(other)])) problems.push(`NATS user ${svc} may subscribe ${hit}, ${other}'s replies`);
    }
  }
  const auth = users.find((x) => x.user === "auth");
  if (auth && !overlapsAny(auth.publish, ["auth.events.user_registered.v1"]).length) problems.push("NATS user auth may not publish its events");
  return problems;
}
