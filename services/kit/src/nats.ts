import { connect, type ConnectionOptions, type NatsConnection } from "@nats-io/transport-node";
import { tlsVerificationError } from "./tls.js";

/** Files of the TLS settings (paths, checked at start by kit/env's natsTlsEnv). */
export interface NatsTls {
  /** The CA that signed the server's certificate: the server is verified, host name included. */
  caFile: string;
  /** A client certificate and its key, for a server that requires one. */
  certFile?: string;
  keyFile?: string;
}

export interface NatsSettings {
  url: string;
  user?: string | undefined;
  password?: string | undefined;
  /** Shown in the server's connection list. */
  name: string;
  /** Reply subjects; consumers get their own prefix so NATS permissions can be per service. */
  inboxPrefix?: string;
  /** TLS to the server; without it, plain TCP. */
  tls?: NatsTls | undefined;
}

/**
 * The TLS settings from a service's parsed environment (natsTlsEnv), or
 * undefined when NATS_TLS_CA is unset. A client certificate without its key
 * (or the other way round), or without a CA to verify the server with,
 * stops the start naming the variable.
 */
export function natsTlsFromEnv(config: {
  NATS_TLS_CA?: string | undefined;
  NATS_TLS_CERT?: string | undefined;
  NATS_TLS_KEY?: string | undefined;
}): NatsTls | undefined {
  const { NATS_TLS_CA: caFile, NATS_TLS_CERT: certFile, NATS_TLS_KEY: keyFile } = config;
  if (!certFile !== !keyFile)
    throw new Error(`invalid configuration:\n  ${certFile ? "NATS_TLS_KEY" : "NATS_TLS_CERT"}: NATS_TLS_CERT and NATS_TLS_KEY go together`);
  if (!caFile) {
    if (certFile) throw new Error("invalid configuration:\n  NATS_TLS_CA: a client certificate is set, but no CA to verify the server with");
    return undefined;
  }
  return { caFile, ...(certFile && keyFile ? { certFile, keyFile } : {}) };
}

/** What a service's environment says about NATS (the NATS_* variables). */
export interface NatsEnv {
  NATS_URL: string;
  NATS_USER?: string | undefined;
  NATS_PASSWORD?: string | undefined;
  NATS_TLS_CA?: string | undefined;
  NATS_TLS_CERT?: string | undefined;
  NATS_TLS_KEY?: string | undefined;
}

/**
 * The connection settings from a service's parsed environment. `inboxOwner`
 * gives replies the prefix `_INBOX_<inboxOwner>`, the only one a consuming
 * service's NATS user may read; without it, NATS's default.
 */
export function natsSettingsFrom(config: NatsEnv, name: string, inboxOwner?: string): NatsSettings {
  return {
    url: config.NATS_URL,
    user: config.NATS_USER,
    password: config.NATS_PASSWORD,
    name,
    ...(inboxOwner ? { inboxPrefix: `_INBOX_${inboxOwner}` } : {}),
    tls: natsTlsFromEnv(config),
  };
}

function connectionOptions(settings: NatsSettings): ConnectionOptions {
  return {
    servers: settings.url,
    name: settings.name,
    ...(settings.user ? { user: settings.user, pass: settings.password ?? "" } : {}),
    ...(settings.inboxPrefix ? { inboxPrefix: settings.inboxPrefix } : {}),
    ...(settings.tls ? { tls: { ...settings.tls } } : {}),
    maxReconnectAttempts: -1,
    reconnectTimeWait: 250,
    // nats.js otherwise builds an Error per request and per publish to JetStream,
    // only to add the caller's stack should that request time out: 21% of the
    // relay's process CPU in P2's profile (docs/performance.md, "P2: relay
    // drain"). A timed-out request still says what timed out.
    noAsyncTraces: true,
  };
}

/**
 * Connects and keeps reconnecting forever: a service outlives NATS restarts,
 * and what it could not publish meanwhile waits in its outbox.
 */
export async function connectNats(settings: NatsSettings): Promise<NatsConnection> {
  return connect({ ...connectionOptions(settings), waitOnFirstConnect: true });
}

/**
 * With TLS: one connection attempt now, so that TLS settings that cannot
 * work (a CA that did not sign the server's certificate, a certificate for
 * another host name, a server without TLS, a client certificate the server
 * refuses) stop the service at start, naming the setting, instead of
 * leaving it retrying forever. A server that is down is not an error here:
 * the service's own connect loop waits for it.
 */
export async function checkNatsTls(settings: NatsSettings): Promise<void> {
  if (!settings.tls) return;
  let nc: NatsConnection | undefined;
  try {
    nc = await connect({ ...connectionOptions(settings), maxReconnectAttempts: 0, reconnect: false, timeout: 5_000 });
    // Under TLS 1.3 the server judges the client certificate after the
    // client's handshake is done: a refusal can arrive only now.
    await nc.flush();
  } catch (error) {
    await nc?.close().catch(() => {});
    const reason = tlsVerificationError(error);
    const message = (error as Error).message;
    if (reason?.includes("ERR_SSL_")) {
      throw new Error(`NATS_TLS_CERT: the NATS server at ${settings.url} refused the client certificate (${reason})`, { cause: error });
    }
    if (reason) {
      throw new Error(
        `NATS_TLS_CA: the NATS server at ${settings.url} failed verification (${reason}); is it the CA that signed the server's certificate, for this host name?`,
        { cause: error },
      );
    }
    if (/does not support 'tls'|tls.*not available/i.test(message)) {
      throw new Error(`NATS_TLS_CA: the NATS server at ${settings.url} does not offer TLS`, { cause: error });
    }
    // A server that answered TCP and then dropped us while a client certificate was offered refused it.
    if (settings.tls.certFile && !unreachable(error)) {
      throw new Error(
        `NATS_TLS_CERT: the NATS server at ${settings.url} closed the connection during TLS (${message}); does it trust the CA that signed this client certificate?`,
        { cause: error },
      );
    }
    return; // NATS is down: the service starts and keeps trying
  }
  await nc.close();
}

/** Nothing answered (refused, unknown host, timed out): NATS is down, not misconfigured. */
function unreachable(error: unknown): boolean {
  const codes = [error, (error as { cause?: unknown })?.cause].map((e) => String((e as { code?: unknown })?.code ?? ""));
  const text = `${(error as Error)?.message ?? ""} ${String((error as { cause?: Error })?.cause?.message ?? "")}`;
  return (
    codes.some((code) => /ECONNREFUSED|ENOTFOUND|EHOSTUNREACH|ETIMEDOUT|CONNECTION_REFUSED|TIMEOUT/i.test(code)) ||
    /ECONNREFUSED|ENOTFOUND|EHOSTUNREACH|timeout|timed out|connection refused/i.test(text)
  );
}

/** Readiness check: connected (the connection may still be coming up) and the server answers. */
export function natsReadiness(current: () => NatsConnection | undefined): () => Promise<void> {
  return async () => {
    const nc = current();
    if (!nc) throw new Error("not connected yet");
    await nc.flush();
  };
}
