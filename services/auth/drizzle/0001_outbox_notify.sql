-- Wakes the outbox relay (LISTEN outbox_inserted) after each insert. NOTIFY is
-- delivered at commit, so the relay never wakes for a row it cannot see yet.
-- It is only a hint: the relay also polls.
create or replace function outbox_notify() returns trigger language plpgsql as $$
begin
  perform pg_notify('outbox_inserted', '');
  return null;
end $$;
--> statement-breakpoint
create trigger outbox_notify after insert on outbox for each statement execute function outbox_notify();
