import { create } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { describe, expect, it } from "vitest";
import { UserDeletedSchema, UserEmailChangedSchema, UserRegisteredSchema } from "@acme/gen/acme/auth/events/v1/events_pb";
import { PermanentEventError } from "@acme/kit/consumer";
import { createContactMemoryRepository } from "../../src/db/contact-memory-repository.js";
import { billingProjection } from "../../src/events/subscription.js";

const { onUserRegistered, onUserEmailChanged, onUserDeleted } = billingProjection;

const userId = "5b1e0c38-0c1e-4b8a-9d57-3c3f3f6a9e01";
const t = (minute: number) => new Date(Date.UTC(2026, 10, 27, 12, minute));
const registered = create(UserRegisteredSchema, { userId, email: "one@example.com", registeredAt: timestampFromDate(t(0)), revision: 1n });
const changed2 = create(UserEmailChangedSchema, { userId, email: "two@example.com", changedAt: timestampFromDate(t(1)), revision: 2n });
const changed3 = create(UserEmailChangedSchema, { userId, email: "three@example.com", changedAt: timestampFromDate(t(2)), revision: 3n });
const deleted4 = create(UserDeletedSchema, { userId, deletedAt: timestampFromDate(t(3)), revision: 4n });

type Step = "r" | "e2" | "e3" | "d4";
type Store = ReturnType<typeof createContactMemoryRepository>;
const apply = (store: Store, step: Step) =>
  step === "r"
    ? onUserRegistered(registered, store, t(9))
    : step === "e2"
      ? onUserEmailChanged(changed2, store, t(9))
      : step === "e3"
        ? onUserEmailChanged(changed3, store, t(9))
        : onUserDeleted(deleted4, store, t(9));

function permutations<T>(items: T[]): T[][] {
  if (items.length <= 1) return [items];
  return items.flatMap((item, i) => permutations([...items.slice(0, i), ...items.slice(i + 1)]).map((rest) => [item, ...rest]));
}

describe("billing event handlers (in memory)", () => {
  it.each(permutations<Step>(["r", "e2", "e3"]))("end with the latest account email whatever the order: %j", async (...order) => {
    const store = createContactMemoryRepository();
    for (const step of order) await apply(store, step);
    expect(await store.load(userId)).toMatchObject({ kind: "present", record: { accountEmail: "three@example.com", revision: 3, createdAt: t(0) } });
  });

  it.each(permutations<Step>(["r", "e3", "d4"]))("a deletion wins whatever the order: %j", async (...order) => {
    const store = createContactMemoryRepository();
    for (const step of order) await apply(store, step);
    expect(await store.load(userId)).toEqual({ kind: "deleted", revision: 4 });
  });

  it("an email change leaves the user's own billing email alone", async () => {
    const store = createContactMemoryRepository();
    await apply(store, "r");
    await store.updateOwnFields(userId, { ownBillingEmail: "invoices@corp.example" }, t(5));
    await apply(store, "e2");
    expect(await store.load(userId)).toMatchObject({ record: { accountEmail: "two@example.com", ownBillingEmail: "invoices@corp.example" } });
  });

  it("refuses an event without a user id as permanent (dead letter, no retry)", async () => {
    await expect(onUserDeleted(create(UserDeletedSchema, { revision: 2n }), createContactMemoryRepository())).rejects.toBeInstanceOf(PermanentEventError);
  });
});
