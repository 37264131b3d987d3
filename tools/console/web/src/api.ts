import { createClient, type Transport } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-web";
import { ConsoleService } from "@acme/gen/acme/console/v1/console_pb";
import { DeadLetterService } from "@acme/gen/acme/admin/v1/consumer_admin_pb";

/** The console server: same origin as this page. */
export const consoleTransport: Transport = createConnectTransport({ baseUrl: window.location.origin });
export const consoleClient = createClient(ConsoleService, consoleTransport);

/** A service's admin RPCs, through the console server (it adds the admin token; the page never holds it). */
export const deadLetterClient = (consumer: string) =>
  createClient(DeadLetterService, createConnectTransport({ baseUrl: `${window.location.origin}/admin/${consumer}` }));

export const CONSUMERS = ["profile", "billing", "notifications"] as const;
export const SERVICE_COLORS: Record<string, string> = { auth: "#2563eb", profile: "#16a34a", billing: "#c2410c", relay: "#7c3aed" };
export const colorOf = (service: string) => SERVICE_COLORS[service] ?? "#64748b";

export function randomHex(bytes: number): string {
  const a = new Uint8Array(bytes);
  crypto.getRandomValues(a);
  return [...a].map((b) => b.toString(16).padStart(2, "0")).join("");
}

export const formatTime = (ms: number) => `${new Date(ms).toLocaleTimeString([], { hour12: false })}.${String(ms % 1000).padStart(3, "0")}`;
