ALTER TABLE `totp_credentials` ADD `failures` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `totp_credentials` ADD `failure_window_started_at` integer;--> statement-breakpoint
ALTER TABLE `totp_credentials` ADD `locked_until` integer;--> statement-breakpoint
CREATE INDEX `pending_sign_ins_session_id_idx` ON `pending_sign_ins` (`session_id`);