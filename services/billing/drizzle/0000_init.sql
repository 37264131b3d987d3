CREATE TABLE "billing_contacts" (
	"user_id" text PRIMARY KEY NOT NULL,
	"account_email" text NOT NULL,
	"own_billing_email" text,
	"address_line1" text,
	"address_line2" text,
	"address_city" text,
	"address_postal_code" text,
	"address_country_code" text,
	"revision" bigint NOT NULL,
	"created_at" timestamp with time zone NOT NULL,
	"updated_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "processed_events" (
	"event_id" text PRIMARY KEY NOT NULL,
	"processed_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "user_tombstones" (
	"user_id" text PRIMARY KEY NOT NULL,
	"revision" bigint NOT NULL,
	"deleted_at" timestamp with time zone NOT NULL
);
