import type { Sql } from "postgres";
import { Counter, Gauge, type Registry } from "prom-client";

/** The relay's metrics: rows published, rounds by source, and (read at scrape time) the backlog and its oldest row's age. */
export function relayMetrics(sql: Sql, registry: Registry | undefined) {
  const registers = registry ? [registry] : [];
  const published = new Counter({ name: "outbox_published_total", help: "Outbox rows published and acked by JetStream.", registers });
  const rounds = new Counter({
    name: "outbox_relay_rounds_total",
    help: "Relay rounds by where their rows came from: the commits' NOTIFY payloads (notify) or a query of the outbox (claim).",
    labelNames: ["source"] as const,
    registers,
  });
  new Gauge({
    name: "outbox_backlog",
    help: "Outbox rows not yet published.",
    registers,
    async collect() {
      const [row] = await sql<{ n: number }[]>`select count(*)::int as n from outbox where published_at is null`;
      this.set(row?.n ?? 0);
    },
  });
  new Gauge({
    name: "outbox_oldest_unpublished_age_seconds",
    help: "Age of the oldest unpublished outbox row (0 when none).",
    registers,
    async collect() {
      const [row] = await sql<{ age: number | null }[]>`
        select extract(epoch from now() - min(created_at))::float8 as age from outbox where published_at is null`;
      this.set(row?.age ?? 0);
    },
  });
  return { published, rounds };
}
