CREATE TABLE `spent_nonces` (
	`id` text PRIMARY KEY NOT NULL,
	`expires_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `spent_nonces_expires_at_idx` ON `spent_nonces` (`expires_at`);--> statement-breakpoint
ALTER TABLE `identities` ADD `hosted_domain` text;