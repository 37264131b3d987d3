import { randomUUID } from "node:crypto";
import { jetstream, jetstreamManager, StorageType, type JetStreamClient } from "@nats-io/jetstream";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import postgres, { type Sql } from "postgres";
import { afterAll, beforeAll } from "vitest";
import { createTestDatabase, natsUrl, testNamespace, type TestDatabase } from "@acme/testing";

/** The outbox's shape as producers create it with their migrations (see outbox-table.ts). */
export const OUTBOX_TABLE = `
  create table outbox (
    id bigserial primary key, event_id uuid not null unique, subject text not null,
    partition_key text not null, payload bytea not null, headers jsonb not null,
    created_at timestamptz not null default now(), published_at timestamptz);`;

/** A wake-up without the rows (a producer whose trigger predates auth's migration 0004). */
export const EMPTY_NOTIFY_TRIGGER = `
  create or replace function outbox_notify() returns trigger language plpgsql as $$
  begin perform pg_notify('outbox_inserted', ''); return null; end $$;
  create trigger outbox_notify after insert on outbox for each statement execute function outbox_notify();`;

/** The trigger auth's migration 0004 installs: the inserted rows in the NOTIFY when they fit, '' otherwise. */
export const ROWS_NOTIFY_TRIGGER = `
  create or replace function outbox_notify() returns trigger language plpgsql as $$
  declare rows_json text;
  begin
    if (select count(*) from (select 1 from inserted limit 21) as first_rows) > 20 then
      perform pg_notify('outbox_inserted', ''); return null;
    end if;
    select json_agg(json_build_object('id', id::text, 'event_id', event_id, 'subject', subject, 'partition_key', partition_key,
             'payload', encode(payload, 'base64'), 'headers', headers) order by id)::text into rows_json from inserted;
    if rows_json is null then return null; end if;
    perform pg_notify('outbox_inserted', case when octet_length(rows_json) < 8000 then rows_json else '' end);
    return null;
  end $$;
  create trigger outbox_notify after insert on outbox referencing new table as inserted
    for each statement execute function outbox_notify();`;

/**
 * A real PostgreSQL database with an outbox (`ddl` after the table), a NATS
 * connection and a stream of the test file's own. Call inside `describe`:
 * it registers the set-up and tear-down hooks.
 */
export function outboxTestBed(name: string, ddl: string) {
  const ns = testNamespace();
  const stream = ns.stream(name.toUpperCase());
  const prefix = ns.subjectPrefix(name.replaceAll("_", ""));
  const bed = { stream, prefix, db: undefined as unknown as TestDatabase, sql: undefined as unknown as Sql, nc: undefined as unknown as NatsConnection };

  beforeAll(async () => {
    bed.db = await createTestDatabase(name);
    bed.sql = postgres(bed.db.url, { max: 4, onnotice: () => {} });
    await bed.sql.unsafe(OUTBOX_TABLE + ddl);
    bed.nc = await connect({ servers: natsUrl() });
    const jsm = await jetstreamManager(bed.nc);
    await jsm.streams.add({ name: stream, subjects: [`${prefix}.>`], storage: StorageType.File, duplicate_window: 120_000_000_000 });
  });
  afterAll(async () => {
    await bed.nc.close();
    await bed.sql.end();
    await bed.db.drop();
  });

  return {
    get db() {
      return bed.db;
    },
    get sql() {
      return bed.sql;
    },
    get nc() {
      return bed.nc;
    },
    js: (): JetStreamClient => jetstream(bed.nc),
    stream,
    prefix,

    /** Inserts one row of `key` whose body is `key:n` (padded by `size` bytes after a third colon); returns its id. */
    async insert(key: string, n: number, options: { size?: number; subject?: string; tx?: Sql } = {}): Promise<string> {
      const body = options.size ? `${key}:${n}:${"x".repeat(options.size)}` : `${key}:${n}`;
      const [row] = await (options.tx ?? bed.sql)<{ id: string }[]>`
        insert into outbox (event_id, subject, partition_key, payload, headers)
        values (${randomUUID()}, ${options.subject ?? `${prefix}.test`}, ${key}, ${Buffer.from(body)}, ${bed.sql.json({ "ce-subject": key })})
        returning id`;
      return row!.id;
    },

    /** Every body in the stream, in stream order (`key:n`). */
    async streamBodies(): Promise<string[]> {
      const jsm = await jetstreamManager(bed.nc);
      const total = (await jsm.streams.info(stream)).state.messages;
      const bodies: string[] = [];
      for (let seq = 1; bodies.length < total; seq++) {
        const m = await jsm.streams.getMessage(stream, { seq }).catch(() => null);
        if (m) bodies.push(new TextDecoder().decode(m.data).split(":").slice(0, 2).join(":"));
      }
      return bodies;
    },

    async unsent(): Promise<number> {
      return (await bed.sql<{ n: number }[]>`select count(*)::int as n from outbox where published_at is null`)[0]!.n;
    },
  };
}

/** Polls `probe` every 25 ms until it holds, failing after 10 s. */
export async function until(what: string, probe: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}
