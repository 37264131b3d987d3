import assert from "node:assert/strict";
import { create } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { UserDeletedSchema, UserEmailChangedSchema, UserRegisteredSchema } from "@acme/gen/acme/auth/events/v1/events_pb";
import { type AccountRecord, createMemoryProjectionStore } from "@acme/kit/projection";
import { planMails } from "@acme/notifications/domain/mail-plan";
import { notificationEventRoutes, notificationProjection } from "@acme/notifications/events/notification-events";
import { emailLike, revisionLike, timestampLike, userIdLike } from "../src/proto-json-matchers.js";
import type { ConsumerContract } from "./consumer-contract.js";
import { decodePactMessage } from "./deliver.js";

const USER_ID = "6c2f4e1a-8b3d-4f5e-9a7c-1d2e3f4a5b6c";
const REGISTERED_AT = "2026-04-10T08:00:00.125Z";
const CHANGED_AT = "2026-04-11T12:45:30Z";
const DELETED_AT = "2026-04-12T16:20:00Z";

const settings = { messageIdDomain: "notifications.acme.example" };
const { handlers } = notificationProjection(settings);
const routes = () => notificationEventRoutes(settings);
const sent = (applied: Parameters<typeof planMails>[0]) => planMails(applied).map((m) => [m.template, m.facts.to]);

/** Notifications' copy of the account email after a registration (revision 1), made by its real handler. */
async function registered() {
  const store = createMemoryProjectionStore<AccountRecord>().store;
  await handlers.userRegistered(
    create(UserRegisteredSchema, { userId: USER_ID, email: "ada@example.com", registeredAt: timestampFromDate(new Date(REGISTERED_AT)), revision: 1n }),
    store,
  );
  return store;
}

/**
 * What notifications needs from auth: the user id (its key), the email
 * (where mail goes, and, kept, the OLD address to warn on a change), the
 * revision (a late event sends nothing) and the event's time (the notice
 * says when).
 */
export const notificationsContract: ConsumerContract = {
  consumer: "notifications",
  events: [
    {
      event: "UserRegistered",
      body: { userId: userIdLike(USER_ID), email: emailLike("ada@example.com"), registeredAt: timestampLike(REGISTERED_AT), revision: revisionLike("1") },
      async check(message) {
        const store = createMemoryProjectionStore<AccountRecord>().store;
        const applied = await handlers.userRegistered(decodePactMessage(message, UserRegisteredSchema, routes()), store);
        assert.deepEqual(sent(applied), [["welcome", "ada@example.com"]], "a welcome goes to the registered address");
        const state = await store.load(USER_ID);
        assert.equal(state.kind, "present", "notifications keeps its copy of the address");
        assert.equal(state.record.accountEmail, "ada@example.com");
      },
    },
    {
      event: "UserEmailChanged",
      body: { userId: userIdLike(USER_ID), email: emailLike("ada.lovelace@example.com"), changedAt: timestampLike(CHANGED_AT), revision: revisionLike("2") },
      async check(message) {
        const store = await registered();
        const applied = await handlers.userEmailChanged(decodePactMessage(message, UserEmailChangedSchema, routes()), store);
        assert.deepEqual(
          sent(applied),
          [
            ["email-changed-notice", "ada@example.com"],
            ["email-changed-confirmation", "ada.lovelace@example.com"],
          ],
          "the notice goes to the OLD address, the confirmation to the new one",
        );
        assert.equal(planMails(applied)[0]!.facts.at.toISOString(), new Date(CHANGED_AT).toISOString(), "the notice says when, from the event");
      },
    },
    {
      event: "UserDeleted",
      body: { userId: userIdLike(USER_ID), deletedAt: timestampLike(DELETED_AT), revision: revisionLike("2") },
      async check(message) {
        const store = await registered();
        const applied = await handlers.userDeleted(decodePactMessage(message, UserDeletedSchema, routes()), store);
        assert.deepEqual(sent(applied), [["goodbye", "ada@example.com"]], "a goodbye to the last known address");
        assert.deepEqual(await store.load(USER_ID), { kind: "deleted", revision: 2 }, "the address is gone, a tombstone stays");
      },
    },
  ],
};
