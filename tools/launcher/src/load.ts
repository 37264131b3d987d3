import { join } from "node:path";
import { createClient } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import { AuthService } from "@acme/gen/acme/auth/v1/auth_service_pb";
import { BillingService } from "@acme/gen/acme/billing/v1/billing_service_pb";
import { ProfileService } from "@acme/gen/acme/profile/v1/profile_service_pb";
import { memoryLine } from "./memory.js";
import { REPO_ROOT } from "./settings.js";
import { readState } from "./state.js";

/**
 * `npm run load -w @acme/launcher [users] [reads]`: a load against the
 * running launcher (registrations and logins, then owner reads on profile
 * and billing), printing each service's resident memory and its peak. It
 * answers "does a service stay under 200 MB under load?"; the benchmarks in
 * bench/ measure throughput.
 */
const state = readState(process.env.DEVSTACK_DIR ?? join(REPO_ROOT, ".devstack"));
if (!state?.ready) throw new Error("no running launcher found: start the system with `npm start` first");
const users = Number(process.argv[2] ?? 300);
const reads = Number(process.argv[3] ?? 12_000);
const password = "correct horse battery staple";
const transport = (baseUrl: string) => createConnectTransport({ baseUrl, httpVersion: "1.1" });
const auth = createClient(AuthService, transport(state.services.auth!.url));
const profile = createClient(ProfileService, transport(state.services.profile!.url));
const billing = createClient(BillingService, transport(state.services.billing!.url));
const pids = Object.fromEntries(Object.entries(state.services).map(([name, s]) => [name, s!.pid]));

async function inParallel(workers: number, count: number, work: (i: number) => Promise<void>): Promise<number> {
  const started = Date.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: workers }, async () => {
      while (next < count) await work(next++);
    }),
  );
  return (Date.now() - started) / 1000;
}

console.log(`idle:   ${memoryLine(pids)}`);
const tag = Date.now().toString(36);
const accounts: { userId: string; token: string }[] = [];
const registerSeconds = await inParallel(16, users, async (i) => {
  const email = `load.${tag}.${i}@example.com`;
  await auth.register({ email, password });
  const { userId, accessToken } = await auth.login({ email, password });
  accounts.push({ userId, token: accessToken });
});
console.log(`${users} registrations + logins in ${registerSeconds.toFixed(1)} s: ${memoryLine(pids)}`);
const readSeconds = await inParallel(32, reads / 2, async (i) => {
  const { userId, token } = accounts[i % accounts.length]!;
  const options = { headers: { authorization: `Bearer ${token}` } };
  // A profile may still be on its way (eventual consistency): not_found is fine here.
  await profile.getProfile({ userId }, options).catch(() => {});
  await billing.getBillingContact({ userId }, options).catch(() => {});
});
console.log(`${reads} reads in ${readSeconds.toFixed(1)} s (${Math.round(reads / readSeconds)}/s): ${memoryLine(pids)}`);
