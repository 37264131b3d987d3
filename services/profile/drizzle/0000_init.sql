CREATE TABLE "processed_events" (
	"event_id" text PRIMARY KEY NOT NULL,
	"processed_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "profiles" (
	"user_id" text PRIMARY KEY NOT NULL,
	"account_email" text NOT NULL,
	"own_display_name" text,
	"avatar_url" text DEFAULT '' NOT NULL,
	"revision" bigint NOT NULL,
	"created_at" timestamp with time zone NOT NULL,
	"updated_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "user_tombstones" (
	"user_id" text PRIMARY KEY NOT NULL,
	"revision" bigint NOT NULL,
	"deleted_at" timestamp with time zone NOT NULL
);
