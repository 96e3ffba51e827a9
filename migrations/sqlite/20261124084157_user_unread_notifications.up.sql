-- disable the enforcement of foreign-keys constraints
PRAGMA foreign_keys = off;
-- create "new_users" table
CREATE TABLE `new_users` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `username` text NOT NULL, `username_key` text NOT NULL, `email` text NOT NULL, `email_key` text NOT NULL, `display_name` text NOT NULL DEFAULT (''), `bio` text NOT NULL DEFAULT (''), `avatar_url` text NOT NULL DEFAULT (''), `locale` text NOT NULL DEFAULT ('en'), `role` text NOT NULL DEFAULT ('member'), `trust_level` integer NOT NULL DEFAULT (0), `status` text NOT NULL DEFAULT ('active'), `password_hash` text NOT NULL, `last_seen_at` datetime NULL, `trust_level_locked` bool NOT NULL DEFAULT (false), `days_visited` integer NOT NULL DEFAULT (0), `external_id` text NULL, `crm_attributes` json NULL, `graph_opt_out` bool NOT NULL DEFAULT (false), `unread_notifications` integer NOT NULL DEFAULT (0));
-- copy rows from old table "users" to new temporary table "new_users"
INSERT INTO `new_users` (`id`, `created_at`, `updated_at`, `username`, `username_key`, `email`, `email_key`, `display_name`, `bio`, `avatar_url`, `locale`, `role`, `trust_level`, `status`, `password_hash`, `last_seen_at`, `trust_level_locked`, `days_visited`, `external_id`, `crm_attributes`, `graph_opt_out`) SELECT `id`, `created_at`, `updated_at`, `username`, `username_key`, `email`, `email_key`, `display_name`, `bio`, `avatar_url`, `locale`, `role`, `trust_level`, `status`, `password_hash`, `last_seen_at`, `trust_level_locked`, `days_visited`, `external_id`, `crm_attributes`, `graph_opt_out` FROM `users`;
-- drop "users" table after copying rows
DROP TABLE `users`;
-- rename temporary table "new_users" to "users"
ALTER TABLE `new_users` RENAME TO `users`;
-- create index "users_username_key_key" to table: "users"
CREATE UNIQUE INDEX `users_username_key_key` ON `users` (`username_key`);
-- create index "users_email_key_key" to table: "users"
CREATE UNIQUE INDEX `users_email_key_key` ON `users` (`email_key`);
-- create index "users_external_id_key" to table: "users"
CREATE UNIQUE INDEX `users_external_id_key` ON `users` (`external_id`);
-- create index "user_role" to table: "users"
CREATE INDEX `user_role` ON `users` (`role`);
-- create index "user_graph_opt_out" to table: "users"
CREATE INDEX `user_graph_opt_out` ON `users` (`graph_opt_out`);
-- backfill: the counter starts as the count it replaces (edited by hand)
UPDATE `users` SET `unread_notifications` = (SELECT count(*) FROM `notifications` n WHERE n.`user_id` = `users`.`id` AND n.`read_at` IS NULL);
-- enable back the enforcement of foreign-keys constraints
PRAGMA foreign_keys = on;
