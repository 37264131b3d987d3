import type { LauncherState } from "./state.js";
import { processMemory } from "./memory.js";

/** What runs where, the memory each service holds, and calls to paste. */
export function banner(state: LauncherState, options: { seconds: number; dir: string; color: boolean }): string {
  const bold = (text: string) => (options.color ? `\u001b[1m${text}\u001b[0m` : text);
  const { auth, profile, billing, notifications } = state.services as Required<LauncherState["services"]>;
  const lines = ["", bold(`The system is up (${options.seconds.toFixed(1)} s). Data: ${options.dir}`), ""];
  for (const [name, s] of Object.entries(state.services)) {
    if (!s) continue;
    const m = processMemory(s.pid);
    const memory = m ? `resident ${m.rssMb} MB` : "";
    lines.push(`  ${name.padEnd(13)} ${s.url.padEnd(24)} pid ${String(s.pid).padEnd(7)} ${memory.padEnd(18)} admin ${s.adminUrl ?? "-"}`);
  }
  if (state.console)
    lines.push(
      `  ${"console".padEnd(13)} ${state.console.url.padEnd(24)} pid ${String(state.console.pid).padEnd(7)} ${bold("open it in a browser")}: events, traces, dead letters, every RPC`,
    );
  if (state.postgres)
    lines.push(
      `  ${"postgres".padEnd(13)} ${`127.0.0.1:${state.postgres.port}`.padEnd(24)} pid ${String(state.postgres.pid).padEnd(7)} databases auth, profile, billing, notifications (one role each)`,
    );
  if (state.mailSink)
    lines.push(
      `  ${"mail".padEnd(13)} ${`smtp://127.0.0.1:${state.mailSink.port}`.padEnd(24)} ${"".padEnd(11)} development mail sink: every mail as an .eml in ${state.mailSink.dir}`,
    );
  if (state.nats)
    lines.push(`  ${"nats".padEnd(13)} ${state.nats.url.padEnd(24)} pid ${String(state.nats.pid).padEnd(7)} JetStream; monitor ${state.nats.monitorUrl}`);
  lines.push(
    "",
    "  Each service serves Connect, gRPC and gRPC-Web and /healthz on its port; its admin port serves /readyz,",
    "  /metrics and the admin RPCs (acme.admin.v1, Authorization: Bearer <adminToken from credentials.json>).",
    `  Migrations were applied by each service at start. Credentials: ${options.dir}/credentials.json`,
    "",
    `${bold("Try it")} (Connect JSON over plain HTTP; paste line by line):`,
    "",
    `  curl -s -H 'Content-Type: application/json' -d '{"email":"ada@example.com","password":"correct horse battery"}' ${auth.url}/acme.auth.v1.AuthService/Register`,
    `  LOGIN=$(curl -s -H 'Content-Type: application/json' -d '{"email":"ada@example.com","password":"correct horse battery"}' ${auth.url}/acme.auth.v1.AuthService/Login); echo "$LOGIN"`,
    `  TOKEN=$(echo "$LOGIN" | sed -E 's/.*"accessToken":"([^"]+)".*/\\1/'); USER_ID=$(echo "$LOGIN" | sed -E 's/.*"userId":"([^"]+)".*/\\1/')`,
    `  curl -s -H 'Content-Type: application/json' -H "Authorization: Bearer $TOKEN" -d "{\\"userId\\":\\"$USER_ID\\"}" ${profile.url}/acme.profile.v1.ProfileService/GetProfile`,
    `  curl -s -H 'Content-Type: application/json' -H "Authorization: Bearer $TOKEN" -d "{\\"userId\\":\\"$USER_ID\\"}" ${billing.url}/acme.billing.v1.BillingService/GetBillingContact`,
    `  curl -s -H 'Content-Type: application/json' -H "Authorization: Bearer $TOKEN" -d '{}' ${notifications.url}/acme.notifications.v1.NotificationService/ListMyNotifications`,
    "",
    `  ADMIN_TOKEN=$(node -p 'require("${options.dir}/credentials.json").adminToken')`,
    `  curl -s -H 'Content-Type: application/json' -H "Authorization: Bearer $ADMIN_TOKEN" -d '{}' ${profile.adminUrl ?? ""}/acme.admin.v1.ConsumerStatusService/GetConsumerStatus`,
    "",
    `  Or run the whole story: ${bold("npm run demo")}   (in another terminal)`,
    `  Stop everything: ${bold("Ctrl-C")} here (or kill ${state.stopPid}).`,
    "",
  );
  return lines.join("\n");
}
