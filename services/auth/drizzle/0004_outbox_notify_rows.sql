-- The NOTIFY now carries the inserted rows themselves (JSON, the payload in
-- base64), so an idle relay publishes a commit without reading it back: one
-- query less between a Register and its event (P5 in docs/performance.md).
-- A payload must stay under 8000 bytes; larger statements notify '' and the
-- relay reads those rows with its claim, as it does for every row when the
-- NOTIFY is lost. The relay is still the judge of what it may publish from
-- the payload (services/kit/src/outbox/notified-rows.ts).
create or replace function outbox_notify() returns trigger language plpgsql as $$
declare
  rows_json text;
begin
  -- A bulk insert cannot fit: skip building its JSON.
  if (select count(*) from (select 1 from inserted limit 21) as first_rows) > 20 then
    perform pg_notify('outbox_inserted', '');
    return null;
  end if;
  select json_agg(json_build_object(
           'id', id::text, 'event_id', event_id, 'subject', subject, 'partition_key', partition_key,
           'payload', encode(payload, 'base64'), 'headers', headers) order by id)::text
    into rows_json from inserted;
  if rows_json is null then
    return null;
  end if;
  perform pg_notify('outbox_inserted', case when octet_length(rows_json) < 8000 then rows_json else '' end);
  return null;
end $$;
--> statement-breakpoint
drop trigger outbox_notify on outbox;
--> statement-breakpoint
create trigger outbox_notify after insert on outbox referencing new table as inserted
  for each statement execute function outbox_notify();
