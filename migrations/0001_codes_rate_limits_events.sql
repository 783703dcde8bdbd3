CREATE TABLE `auth_events` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`type` text NOT NULL,
	`detail` text,
	`user_id` text,
	`email_hash` text,
	`ip` text,
	`user_agent` text,
	`country` text,
	`created_at` integer NOT NULL,
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE set null
);
--> statement-breakpoint
CREATE INDEX `auth_events_user_created_idx` ON `auth_events` (`user_id`,`created_at`);--> statement-breakpoint
CREATE INDEX `auth_events_email_created_idx` ON `auth_events` (`email_hash`,`created_at`);--> statement-breakpoint
CREATE TABLE `code_lockouts` (
	`email` text PRIMARY KEY NOT NULL,
	`failures` integer NOT NULL,
	`window_started_at` integer NOT NULL,
	`locked_until` integer
);
--> statement-breakpoint
DROP INDEX `verification_tokens_email_purpose_idx`;--> statement-breakpoint
ALTER TABLE `verification_tokens` ADD `code_hash` text;--> statement-breakpoint
ALTER TABLE `verification_tokens` ADD `attempts` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `verification_tokens` ADD `last_guess_id` text;--> statement-breakpoint
CREATE INDEX `verification_tokens_email_purpose_created_idx` ON `verification_tokens` (`email`,`purpose`,`created_at`);--> statement-breakpoint
CREATE INDEX `verification_tokens_session_id_idx` ON `verification_tokens` (`session_id`);