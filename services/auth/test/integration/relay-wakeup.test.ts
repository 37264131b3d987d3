import { randomUUID } from "node:crypto";
import postgres, { type Sql } from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openDatabase, runMigrations, type Database } from "@acme/kit/db";
import { createTestDatabase, type TestDatabase } from "@acme/testing";
import type { CredentialStore } from "../../src/app/ports.js";
import { createCredentialRepository } from "../../src/db/credentials-repository.js";
import { relayWakeup } from "../../src/db/relay-wakeup.js";
import { schema } from "../../src/db/schema.js";
import { userEventBuilder } from "../../src/events/user-events.js";
import { MIGRATIONS_FOLDER } from "../../src/service.js";

/**
 * The relay's wake-up is sent by auth after each commit that wrote outbox
 * rows, no longer by a trigger inside that commit (relay-wakeup.ts says why).
 */
describe("auth wakes the outbox relay after its commits", () => {
  let db: TestDatabase;
  let database: Database<typeof schema>;
  let listener: Sql;
  let store: CredentialStore;
  /** Each NOTIFY on the relay's channel, with the number of outbox rows visible when it arrived. */
  const wakeups: Array<Promise<number>> = [];
  let nextWakeup: (() => void) | undefined;
  const events = userEventBuilder("auth.events");

  const waitForWakeup = () =>
    new Promise<void>((resolve) => {
      nextWakeup = resolve;
    });

  beforeAll(async () => {
    db = await createTestDatabase("auth_relay_wakeup");
    await runMigrations(db.url, MIGRATIONS_FOLDER, "auth");
    database = openDatabase(db.url, schema, { max: 4, arrayParameters: false });
    listener = postgres(db.url, { max: 2, onnotice: () => {} });
    await listener.listen("outbox_inserted", () => {
      wakeups.push(listener<{ n: number }[]>`select count(*)::int as n from outbox`.then(([row]) => row!.n));
      nextWakeup?.();
    });
    store = createCredentialRepository(
      database.db,
      undefined,
      relayWakeup(database.sql, (error) => expect.fail(String(error))),
    );
  });
  afterAll(async () => {
    await listener.end();
    await database.close();
    await db.drop();
  });

  it("has no trigger on the outbox: a NOTIFY inside the writing transaction would queue every commit behind one lock", async () => {
    const triggers = await listener`select tgname from pg_trigger where tgrelid = 'outbox'::regclass and not tgisinternal`;
    expect(triggers).toEqual([]);
  });

  it("sends a NOTIFY after Register, ChangeEmail and DeleteAccount commit, each arriving once its row is visible", async () => {
    const userId = randomUUID();
    let woken = waitForWakeup();
    await store.create({ userId, email: "wake@example.com", passwordHash: "stub" }, events.registered({ userId, email: "wake@example.com", at: new Date() }));
    await woken;
    woken = waitForWakeup();
    await store.changeEmail(userId, "woken@example.com", (revision) => events.emailChanged({ userId, email: "woken@example.com", at: new Date(), revision }));
    await woken;
    woken = waitForWakeup();
    await store.delete(userId, (revision) => events.deleted({ userId, at: new Date(), revision }));
    await woken;
    expect(await Promise.all(wakeups)).toEqual([1, 2, 3]);
  });
});
