-- The design's experiment: auth reshapes its own table. `email` becomes
-- `contact_email` and password hashes move to their own table. Existing rows
-- keep their data; no other service notices.
CREATE TABLE "passwords" (
	"user_id" uuid PRIMARY KEY NOT NULL,
	"hash" text NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "credentials" RENAME COLUMN "email" TO "contact_email";--> statement-breakpoint
DROP INDEX "credentials_email_lower_idx";--> statement-breakpoint
ALTER TABLE "passwords" ADD CONSTRAINT "passwords_user_id_credentials_user_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."credentials"("user_id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "credentials_contact_email_lower_idx" ON "credentials" USING btree (lower("contact_email"));--> statement-breakpoint
INSERT INTO "passwords" ("user_id", "hash", "updated_at") SELECT "user_id", "password_hash", "updated_at" FROM "credentials";--> statement-breakpoint
ALTER TABLE "credentials" DROP COLUMN "password_hash";