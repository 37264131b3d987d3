/**
 * What each service may publish and subscribe to on NATS, for the launcher's
 * nats-server (`npm start`). Kubernetes grants the same in
 * deploy/base/nats/authorization.conf; a test keeps the two equal.
 *
 * Only auth may publish `auth.events.>` or manage AUTH_EVENTS. A consumer
 * acts only on its own durable (nats.js names it in the subject) and its own
 * dead-letter stream, and reads replies only on its own inbox prefix
 * (`_INBOX_<service>`), so it cannot read another service's replies.
 */
export const SERVICES = ["auth", "profile", "billing", "notifications"] as const;
export type ServiceName = (typeof SERVICES)[number];

export interface SubjectPermissions {
  publish: string[];
  subscribe: string[];
  /** Refused even where `publish` allows it. */
  publishDeny?: string[];
}

const AUTH_EVENTS = "AUTH_EVENTS";

function consumerPermissions(durable: Exclude<ServiceName, "auth">): SubjectPermissions {
  const dlq = `DLQ_${durable.toUpperCase()}`;
  return {
    publish: [
      `$JS.API.CONSUMER.CREATE.${AUTH_EVENTS}.${durable}`,
      `$JS.API.CONSUMER.CREATE.${AUTH_EVENTS}.${durable}.>`,
      `$JS.API.CONSUMER.INFO.${AUTH_EVENTS}.${durable}`,
      `$JS.API.CONSUMER.MSG.NEXT.${AUTH_EVENTS}.${durable}`,
      `$JS.ACK.${AUTH_EVENTS}.${durable}.>`,
      `dlq.${durable}.>`,
      `$JS.API.STREAM.INFO.${dlq}`,
      `$JS.API.STREAM.CREATE.${dlq}`,
      // its dead-letter stream's limits (max_bytes, max_age) may change
      `$JS.API.STREAM.UPDATE.${dlq}`,
      // the service's `dlq` command and admin RPC: show, delete and purge its own dead letters
      `$JS.API.STREAM.MSG.GET.${dlq}`,
      `$JS.API.STREAM.MSG.DELETE.${dlq}`,
      `$JS.API.STREAM.PURGE.${dlq}`,
      // replay re-reads a dead letter's original event by its sequence
      `$JS.API.STREAM.MSG.GET.${AUTH_EVENTS}`,
    ],
    subscribe: [`_INBOX_${durable}.>`],
  };
}

export const SERVICE_NATS_PERMISSIONS: Readonly<Record<ServiceName, SubjectPermissions>> = {
  auth: {
    publish: [
      "auth.events.>",
      "$JS.API.INFO",
      `$JS.API.STREAM.CREATE.${AUTH_EVENTS}`,
      `$JS.API.STREAM.UPDATE.${AUTH_EVENTS}`,
      `$JS.API.STREAM.INFO.${AUTH_EVENTS}`,
    ],
    subscribe: ["_INBOX.>"],
  },
  profile: consumerPermissions("profile"),
  billing: consumerPermissions("billing"),
  notifications: consumerPermissions("notifications"),
};

/** The inbox prefix a service's NATS connection must use for its permissions to work. */
export function inboxPrefixOf(service: ServiceName): string {
  return service === "auth" ? "_INBOX" : `_INBOX_${service}`;
}

/** The durable consumers on AUTH_EVENTS, one per consuming service. */
export const DURABLE_CONSUMERS = ["profile", "billing", "notifications"] as const;

/**
 * The console (tools/console) reads the system as an operator may: it tails
 * AUTH_EVENTS through ordered ephemeral consumers of its own (nats.js names
 * them `<prefix>_<n>` and, with a filter, puts the filter in the subject) and
 * reads stream and consumer info. It may not publish `auth.events.>`, and may
 * neither create nor pull from a service's durable: NATS subjects cannot
 * match a name prefix, so the durables' names are denied explicitly.
 */
export const CONSOLE_NATS_PERMISSIONS: SubjectPermissions = {
  publish: [
    "$JS.API.INFO",
    `$JS.API.STREAM.INFO.${AUTH_EVENTS}`,
    ...DURABLE_CONSUMERS.map((d) => `$JS.API.STREAM.INFO.DLQ_${d.toUpperCase()}`),
    `$JS.API.CONSUMER.CREATE.${AUTH_EVENTS}.*.auth.events.>`,
    `$JS.API.CONSUMER.MSG.NEXT.${AUTH_EVENTS}.*`,
    `$JS.API.CONSUMER.INFO.${AUTH_EVENTS}.*`,
  ],
  publishDeny: DURABLE_CONSUMERS.flatMap((d) => [`$JS.API.CONSUMER.CREATE.${AUTH_EVENTS}.${d}.>`, `$JS.API.CONSUMER.MSG.NEXT.${AUTH_EVENTS}.${d}`]),
  subscribe: ["_INBOX_console.>"],
};

/** Every NATS user: the services and the console. */
export const NATS_PERMISSIONS: Readonly<Record<ServiceName | "console", SubjectPermissions>> = {
  ...SERVICE_NATS_PERMISSIONS,
  console: CONSOLE_NATS_PERMISSIONS,
};
