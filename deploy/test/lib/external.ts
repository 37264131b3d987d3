import type { Overlay } from "./render.js";

/**
 * Secrets an overlay expects to exist before `kubectl apply -k`, because
 * real values are never committed. README.md ("Prod secrets") shows how to
 * create each; a test keeps the two lists in step. CloudNativePG's
 * <svc>-db-app Secrets are not listed: the operator creates them.
 */
export const EXTERNAL_SECRETS: Record<Overlay, string[]> = {
  dev: [],
  prod: [
    "auth-nats",
    "profile-nats",
    "billing-nats",
    "notifications-nats",
    "notifications-smtp",
    "auth-admin",
    "profile-admin",
    "billing-admin",
    "notifications-admin",
    "auth-key-encryption",
  ],
};
