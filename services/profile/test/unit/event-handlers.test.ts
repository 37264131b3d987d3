import { create } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { describe, expect, it } from "vitest";
import { UserDeletedSchema, UserEmailChangedSchema, UserRegisteredSchema } from "@acme/gen/acme/auth/events/v1/events_pb";
import { PermanentEventError } from "@acme/kit/consumer";
import { createProfileMemoryRepository } from "../../src/db/profile-memory-repository.js";
import { profileProjection } from "../../src/events/subscription.js";

const { onUserRegistered, onUserEmailChanged, onUserDeleted } = profileProjection;

const userId = "5b1e0c38-0c1e-4b8a-9d57-3c3f3f6a9e01";
const t = (minute: number) => new Date(Date.UTC(2026, 10, 27, 12, minute));
const registered = create(UserRegisteredSchema, { userId, email: "one@example.com", registeredAt: timestampFromDate(t(0)), revision: 1n });
const changed2 = create(UserEmailChangedSchema, { userId, email: "two@example.com", changedAt: timestampFromDate(t(1)), revision: 2n });
const changed3 = create(UserEmailChangedSchema, { userId, email: "three@example.com", changedAt: timestampFromDate(t(2)), revision: 3n });
const deleted4 = create(UserDeletedSchema, { userId, deletedAt: timestampFromDate(t(3)), revision: 4n });

type Step = "r" | "e2" | "e3" | "d4";
const apply = (store: ReturnType<typeof createProfileMemoryRepository>, step: Step) =>
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

describe("profile event handlers (in memory)", () => {
  it.each(permutations<Step>(["r", "e2", "e3"]))("end in the latest state whatever the order: %j", async (...order) => {
    const store = createProfileMemoryRepository();
    for (const step of order) await apply(store, step);
    const state = await store.load(userId);
    expect(state.kind).toBe("present");
    if (state.kind !== "present") return;
    expect(state.record).toMatchObject({ accountEmail: "three@example.com", revision: 3, ownDisplayName: null, createdAt: t(0) });
  });

  it.each(permutations<Step>(["r", "e2", "d4"]))("a deletion wins whatever the order: %j", async (...order) => {
    const store = createProfileMemoryRepository();
    for (const step of order) await apply(store, step);
    expect(await store.load(userId)).toEqual({ kind: "deleted", revision: 4 });
  });

  it("applying the same event twice changes nothing the second time", async () => {
    const store = createProfileMemoryRepository();
    expect((await onUserRegistered(registered, store)).kind).toBe("save");
    expect(await onUserRegistered(registered, store)).toEqual({ kind: "none", reason: "stale" });
  });

  it("a registration that arrives after an email change only fills in when the account was created", async () => {
    const store = createProfileMemoryRepository();
    await onUserEmailChanged(changed2, store, t(9));
    const state = await store.load(userId);
    expect(state.kind === "present" && state.record.createdAt).toEqual(t(1));
    await onUserRegistered(registered, store, t(9));
    expect(await store.load(userId)).toMatchObject({ record: { accountEmail: "two@example.com", createdAt: t(0), revision: 2 } });
  });

  it.each([
    ["no user id", create(UserRegisteredSchema, { email: "a@example.com", revision: 1n })],
    ["no email", create(UserRegisteredSchema, { userId, revision: 1n })],
    ["revision 0", create(UserRegisteredSchema, { userId, email: "a@example.com" })],
  ])("refuses an event with %s as permanent (dead letter, no retry)", async (_what, event) => {
    await expect(onUserRegistered(event, createProfileMemoryRepository())).rejects.toBeInstanceOf(PermanentEventError);
  });
});
