import { create } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { describe, expect, it } from "vitest";
import { UserDeletedSchema, UserEmailChangedSchema, UserRegisteredSchema } from "@acme/gen/acme/auth/events/v1/events_pb";
import type { EventMeta } from "../../src/consumer/event-route.js";
import { isNewer, type AccountRecord } from "../../src/projection/account-facts.js";
import { accountProjection, type Applied } from "../../src/projection/account-projection.js";
import { createMemoryProjectionStore } from "../../src/projection/memory-store.js";

// A service that keeps nothing of its own but the account columns, and
// records a side effect per applied event: the shape notifications will have.
type Mailbox = { userId: string; accountEmail: string; revision: number; createdAt: Date; updatedAt: Date };
interface FakeTx {
  mails: string[];
}

const userId = "0d4f7f4e-3a59-4a43-9a55-1d7c2b1f0a11";
const t = (minute: number) => new Date(Date.UTC(2026, 10, 27, 12, minute));
const registered = create(UserRegisteredSchema, { userId, email: "one@example.com", registeredAt: timestampFromDate(t(0)), revision: 1n });
const changed2 = create(UserEmailChangedSchema, { userId, email: "two@example.com", changedAt: timestampFromDate(t(1)), revision: 2n });
const deleted3 = create(UserDeletedSchema, { userId, deletedAt: timestampFromDate(t(2)), revision: 3n });
const meta = (id: string): EventMeta => ({ id, type: "t", subject: "s", streamSequence: 1, deliveryCount: 1 });

function mailingService() {
  const { store } = createMemoryProjectionStore<Mailbox>();
  const projection = accountProjection<Mailbox, FakeTx>({
    newRecord: (account: AccountRecord) => account,
    storeFor: () => store,
    async afterApply(applied: Applied<Mailbox>, tx: FakeTx, eventMeta: EventMeta) {
      if (!isNewer(applied.before, applied.fact)) return; // a late revision sends nothing
      const previous = applied.before.kind === "present" ? applied.before.record.accountEmail : "(none)";
      tx.mails.push(`${eventMeta.id} ${applied.type} previous=${previous}`);
    },
  });
  const [onRegistered, onChanged, onDeleted] = projection.eventRoutes();
  return { store, onRegistered: onRegistered!, onChanged: onChanged!, onDeleted: onDeleted! };
}

describe("account projection: side effects in the consumer's transaction", () => {
  it("sees the state each event met, so a notice can go to the address before the change", async () => {
    const service = mailingService();
    const tx: FakeTx = { mails: [] };
    await service.onRegistered.handle(registered, tx, meta("e1"));
    await service.onChanged.handle(changed2, tx, meta("e2"));
    await service.onDeleted.handle(deleted3, tx, meta("e3"));
    expect(tx.mails).toEqual(["e1 UserRegistered previous=(none)", "e2 UserEmailChanged previous=one@example.com", "e3 UserDeleted previous=two@example.com"]);
    expect(await service.store.load(userId)).toEqual({ kind: "deleted", revision: 3 });
  });

  it("tells a late revision from a newer one: the registration after an email change sends nothing", async () => {
    const service = mailingService();
    const tx: FakeTx = { mails: [] };
    await service.onChanged.handle(changed2, tx, meta("e2"));
    await service.onRegistered.handle(registered, tx, meta("e1"));
    expect(tx.mails).toEqual(["e2 UserEmailChanged previous=(none)"]);
    expect(await service.store.load(userId)).toMatchObject({ kind: "present", record: { accountEmail: "two@example.com", createdAt: t(0), revision: 2 } });
  });

  it("applies nothing after a deletion, and reports it as not newer", async () => {
    const service = mailingService();
    const tx: FakeTx = { mails: [] };
    await service.onDeleted.handle(deleted3, tx, meta("e3"));
    await service.onChanged.handle(changed2, tx, meta("e2"));
    expect(tx.mails).toEqual(["e3 UserDeleted previous=(none)"]);
    expect(await service.store.load(userId)).toEqual({ kind: "deleted", revision: 3 });
  });
});
