import { randomBytes } from "node:crypto";
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import { AuthService } from "@acme/gen/acme/auth/v1/auth_service_pb";
import { BillingService } from "@acme/gen/acme/billing/v1/billing_service_pb";
import { NotificationService, NotificationStatus } from "@acme/gen/acme/notifications/v1/notification_service_pb";
import { ProfileService } from "@acme/gen/acme/profile/v1/profile_service_pb";
import { readMailDir } from "@acme/devstack";

export interface DemoUrls {
  auth: string;
  profile: string;
  billing: string;
  notifications: string;
  /** The dev mail sink's folder (launcher.json), to show the .eml files themselves; unset with a real SMTP server. */
  mailDir?: string | undefined;
}

export interface DemoResult {
  ada: { userId: string; email: string; newEmail: string };
  grace: { userId: string; email: string };
  /** What profile and billing showed for ada after her registration and after her email change. */
  profileDisplayName: { registered: string; changed: string };
  billingEmail: { registered: string; changed: string };
  /** Grace reading ada's profile: refused. */
  strangerReadCode: string;
  /** After grace deleted her account: what each service answers. */
  afterDelete: { login: string; profile: string; billing: string };
  /** Who got which mail about ada, as the mail sink received it (To: address), when the sink is known. */
  mails: { welcome?: string; notice?: string; confirmation?: string };
  /** The notice's sentence as the old address received it (from the sink's .eml), when the sink is known. */
  noticeSays?: string;
  seconds: number;
}

export const DEMO_PASSWORD = "correct horse battery staple";
const codeName = (error: unknown) => Code[ConnectError.from(error).code]!.replace(/[A-Z]/g, (c, i: number) => (i ? "_" : "") + c.toLowerCase());

/**
 * The story of the system over Connect: registration reaches profile and
 * billing as an event, an email change follows, a deletion removes the data
 * everywhere. Events take a moment to travel (outbox -> JetStream ->
 * consumer), so reads wait politely and say so.
 */
export async function runDemo(urls: DemoUrls, print: (line: string) => void = console.log, timeoutMs = 20_000): Promise<DemoResult> {
  const started = Date.now();
  const transport = (baseUrl: string) => createConnectTransport({ baseUrl, httpVersion: "1.1" });
  const auth = createClient(AuthService, transport(urls.auth));
  const profile = createClient(ProfileService, transport(urls.profile));
  const billing = createClient(BillingService, transport(urls.billing));
  const notifications = createClient(NotificationService, transport(urls.notifications));
  const bearer = (token: string) => ({ headers: { authorization: `Bearer ${token}` } });
  const eventually = eventuallyWith(print, timeoutMs);
  const tag = randomBytes(3).toString("hex");
  const email = (name: string) => `${name}.${tag}@example.com`;

  print(`1. Register two users with auth (${urls.auth})`);
  const ada = { email: email("ada"), userId: "" };
  const grace = { email: email("grace"), userId: "" };
  for (const user of [ada, grace]) {
    user.userId = (await auth.register({ email: user.email, password: DEMO_PASSWORD })).userId;
    print(`   ${user.email.padEnd(28)} -> user ${user.userId}`);
  }

  print("2. Log in: auth signs an access token; profile and billing verify it with auth's public keys (JWKS)");
  const adaToken = (await auth.login({ email: ada.email, password: DEMO_PASSWORD })).accessToken;
  const graceToken = (await auth.login({ email: grace.email, password: DEMO_PASSWORD })).accessToken;
  print(`   ada's token: ${adaToken.slice(0, 24)}...  grace's token: ${graceToken.slice(0, 24)}...`);

  print("3. Profile and billing learned of ada from auth's UserRegistered event");
  const adaProfile = await eventually("profile to receive ada's registration", () => profile.getProfile({ userId: ada.userId }, bearer(adaToken)));
  print(`   profile  (${urls.profile}): display name "${adaProfile.profile?.displayName}"`);
  const adaContact = await eventually("billing to receive ada's registration", () => billing.getBillingContact({ userId: ada.userId }, bearer(adaToken)));
  print(`   billing  (${urls.billing}): billing email ${adaContact.contact?.billingEmail}`);
  const strangerReadCode = await profile.getProfile({ userId: ada.userId }, bearer(graceToken)).then(
    () => "ok",
    (error: unknown) => codeName(error),
  );
  print(`   grace asks for ada's profile -> ${strangerReadCode} (a user reads only their own records)`);
  const mails: DemoResult["mails"] = {};
  let noticeSays: string | undefined;
  const sentMail = async (template: string, what: string, label = "") => {
    const listed = await eventually(what, async () => {
      const { notifications: sent } = await notifications.listMyNotifications({}, bearer(adaToken));
      const found = sent.find((n) => n.template === template && n.status === NotificationStatus.SENT);
      if (!found) throw new ConnectError("not yet", Code.NotFound);
      return found;
    });
    const eml = urls.mailDir ? (await readMailDir(urls.mailDir)).find((m) => m.messageId === listed.messageId) : undefined;
    const to = eml?.to.join(", ") ?? listed.to;
    print(`   notifications (${urls.notifications}): "${listed.subject}" to ${to}${label}${eml ? `  [${urls.mailDir}/${eml.file}]` : ""}`);
    // The sentence that matters, as the mail server received it (the line after the greeting).
    const says = eml?.text.split(/\n\s*\n/).map((p) => p.replace(/\s+/g, " ").trim())[1];
    if (says) print(`     "${says}"`);
    if (template === "email-changed-notice") noticeSays = says;
    return to;
  };
  mails.welcome = await sentMail("welcome", "notifications to mail ada a welcome");

  const newEmail = email("ada.lovelace");
  print(`4. Ada changes her email to ${newEmail}`);
  await auth.changeEmail({ newEmail, currentPassword: DEMO_PASSWORD }, bearer(adaToken));
  print("   auth: changed (a UserEmailChanged event is on its way)");
  const changedContact = await eventually("billing to receive the new email", async () => {
    const res = await billing.getBillingContact({ userId: ada.userId }, bearer(adaToken));
    if (res.contact?.billingEmail !== newEmail) throw new Error("not yet");
    return res;
  });
  const changedProfile = await eventually("profile to receive the new email", async () => {
    const res = await profile.getProfile({ userId: ada.userId }, bearer(adaToken));
    if (res.profile?.displayName !== newEmail) throw new Error("not yet");
    return res;
  });
  print(`   billing: billing email ${changedContact.contact?.billingEmail}`);
  print(`   profile: display name "${changedProfile.profile?.displayName}" (it follows the email until ada picks a name)`);
  print("   notifications kept its own copy of ada's email, so it knows the OLD address to warn:");
  mails.notice = await sentMail("email-changed-notice", "notifications to warn ada's old address", " (the OLD address)");
  mails.confirmation = await sentMail("email-changed-confirmation", "notifications to confirm the new address");

  print("5. Grace deletes her account");
  await auth.deleteAccount({ currentPassword: DEMO_PASSWORD }, bearer(graceToken));
  const login = await auth.login({ email: grace.email, password: DEMO_PASSWORD }).then(() => "ok", codeName);
  print(`   auth: deleted; logging in now -> ${login}`);
  const gone = async (read: () => Promise<unknown>) =>
    read().then(
      () => Promise.reject(new Error("still there")),
      (error: unknown) => {
        if (ConnectError.from(error).code !== Code.NotFound) throw error;
        return codeName(error);
      },
    );
  // Her token stays valid until it expires; the data behind it is what must go.
  const profileGone = await eventually("profile to remove grace's data", () => gone(() => profile.getProfile({ userId: grace.userId }, bearer(graceToken))));
  const billingGone = await eventually("billing to remove grace's data", () =>
    gone(() => billing.getBillingContact({ userId: grace.userId }, bearer(graceToken))),
  );
  print(`   profile -> ${profileGone}, billing -> ${billingGone}: her data is gone everywhere`);

  const seconds = (Date.now() - started) / 1000;
  print(`Done in ${seconds.toFixed(1)} s.`);
  return {
    ada: { ...ada, newEmail },
    grace,
    profileDisplayName: { registered: adaProfile.profile?.displayName ?? "", changed: changedProfile.profile?.displayName ?? "" },
    billingEmail: { registered: adaContact.contact?.billingEmail ?? "", changed: changedContact.contact?.billingEmail ?? "" },
    strangerReadCode,
    afterDelete: { login, profile: profileGone, billing: billingGone },
    mails,
    ...(noticeSays ? { noticeSays } : {}),
    seconds,
  };
}

/** Retries `read` until it succeeds; says once that it is waiting, and how long it took. */
function eventuallyWith(print: (line: string) => void, timeoutMs: number) {
  return async <T>(what: string, read: () => Promise<T>): Promise<T> => {
    const started = Date.now();
    let announced = false;
    for (let delay = 50; ; delay = Math.min(delay * 2, 500)) {
      try {
        const value = await read();
        if (announced) print(`   ...arrived after ${((Date.now() - started) / 1000).toFixed(2)} s`);
        return value;
      } catch (error) {
        const code = error instanceof ConnectError ? error.code : undefined;
        if (code !== undefined && code !== Code.NotFound && code !== Code.Unavailable) throw error;
        if (Date.now() - started > timeoutMs) throw new Error(`gave up waiting for ${what} after ${timeoutMs} ms: ${(error as Error).message}`);
        if (!announced) print(`   waiting for ${what} (events travel: auth's outbox -> NATS JetStream -> consumer)...`);
        announced = true;
      }
      await new Promise((resolve) => setTimeout(resolve, delay));
    }
  };
}
