import { connect, type NatsConnection } from "@nats-io/transport-node";

export interface NatsSettings {
  url: string;
  user?: string | undefined;
  password?: string | undefined;
  /** Shown in the server's connection list. */
  name: string;
  /** Reply subjects; consumers get their own prefix so NATS permissions can be per service. */
  inboxPrefix?: string;
}

/**
 * Connects and keeps reconnecting forever: a service outlives NATS restarts,
 * and what it could not publish meanwhile waits in its outbox.
 */
export async function connectNats(settings: NatsSettings): Promise<NatsConnection> {
  return connect({
    servers: settings.url,
    name: settings.name,
    ...(settings.user ? { user: settings.user, pass: settings.password ?? "" } : {}),
    ...(settings.inboxPrefix ? { inboxPrefix: settings.inboxPrefix } : {}),
    maxReconnectAttempts: -1,
    reconnectTimeWait: 250,
    waitOnFirstConnect: true,
  });
}

/** Readiness check: connected (the connection may still be coming up) and the server answers. */
export function natsReadiness(current: () => NatsConnection | undefined): () => Promise<void> {
  return async () => {
    const nc = current();
    if (!nc) throw new Error("not connected yet");
    await nc.flush();
  };
}
