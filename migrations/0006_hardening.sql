CREATE TABLE `send_budget` (
	`window_start` integer PRIMARY KEY NOT NULL,
	`sent` integer NOT NULL
);
--> statement-breakpoint
ALTER TABLE `auth_events` ADD `dedupe_key` text;--> statement-breakpoint
ALTER TABLE `auth_events` ADD `count` integer DEFAULT 1 NOT NULL;--> statement-breakpoint
CREATE UNIQUE INDEX `auth_events_dedupe_key_idx` ON `auth_events` (`dedupe_key`);--> statement-breakpoint
ALTER TABLE `verification_tokens` ADD `known_device` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `verification_tokens` ADD `event_at` integer;