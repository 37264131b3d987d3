-- Security hardening (issue 13): the login throttle's shared budget (login_attempts), and signing keys'
-- private halves sealed under AUTH_KEY_ENCRYPTION_KEY. Existing plain-text keys are sealed by auth at
-- start (SQL cannot encrypt with a key it never sees); private_jwk is then null.
CREATE TABLE "login_attempts" (
	"key" text PRIMARY KEY NOT NULL,
	"attempts" integer NOT NULL,
	"window_ends_at" timestamp with time zone NOT NULL,
	"next_attempt_at" timestamp with time zone,
	"checking_until" timestamp with time zone
);
--> statement-breakpoint
ALTER TABLE "signing_keys" ALTER COLUMN "private_jwk" DROP NOT NULL;--> statement-breakpoint
ALTER TABLE "signing_keys" ADD COLUMN "sealed_private_jwk" text;--> statement-breakpoint
CREATE INDEX "login_attempts_window_ends_at_idx" ON "login_attempts" USING btree ("window_ends_at");--> statement-breakpoint
ALTER TABLE "signing_keys" ADD CONSTRAINT "signing_keys_private_half_check" CHECK ("signing_keys"."private_jwk" is not null or "signing_keys"."sealed_private_jwk" is not null);