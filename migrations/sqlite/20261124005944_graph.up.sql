-- disable the enforcement of foreign-keys constraints
PRAGMA foreign_keys = off;
-- create "new_users" table
CREATE TABLE `new_users` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `username` text NOT NULL, `username_key` text NOT NULL, `email` text NOT NULL, `email_key` text NOT NULL, `display_name` text NOT NULL DEFAULT (''), `bio` text NOT NULL DEFAULT (''), `avatar_url` text NOT NULL DEFAULT (''), `locale` text NOT NULL DEFAULT ('en'), `role` text NOT NULL DEFAULT ('member'), `trust_level` integer NOT NULL DEFAULT (0), `status` text NOT NULL DEFAULT ('active'), `password_hash` text NOT NULL, `last_seen_at` datetime NULL, `trust_level_locked` bool NOT NULL DEFAULT (false), `days_visited` integer NOT NULL DEFAULT (0), `external_id` text NULL, `crm_attributes` json NULL, `graph_opt_out` bool NOT NULL DEFAULT (false));
-- copy rows from old table "users" to new temporary table "new_users"
INSERT INTO `new_users` (`id`, `created_at`, `updated_at`, `username`, `username_key`, `email`, `email_key`, `display_name`, `bio`, `avatar_url`, `locale`, `role`, `trust_level`, `status`, `password_hash`, `last_seen_at`, `trust_level_locked`, `days_visited`, `external_id`, `crm_attributes`) SELECT `id`, `created_at`, `updated_at`, `username`, `username_key`, `email`, `email_key`, `display_name`, `bio`, `avatar_url`, `locale`, `role`, `trust_level`, `status`, `password_hash`, `last_seen_at`, `trust_level_locked`, `days_visited`, `external_id`, `crm_attributes` FROM `users`;
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
-- create "graph_affiliations" table
CREATE TABLE `graph_affiliations` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `kind` text NOT NULL, `ref_id` integer NOT NULL, `user_id` integer NOT NULL, `scope` integer NOT NULL DEFAULT (0), `created_at` datetime NOT NULL);
-- create index "graphaffiliation_kind_ref_id_user_id" to table: "graph_affiliations"
CREATE UNIQUE INDEX `graphaffiliation_kind_ref_id_user_id` ON `graph_affiliations` (`kind`, `ref_id`, `user_id`);
-- create index "graphaffiliation_user_id" to table: "graph_affiliations"
CREATE INDEX `graphaffiliation_user_id` ON `graph_affiliations` (`user_id`);
-- create "graph_edges" table
CREATE TABLE `graph_edges` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `src_id` integer NOT NULL, `dst_id` integer NOT NULL, `kind` text NOT NULL, `scope` integer NOT NULL, `forum_id` integer NOT NULL DEFAULT (0), `count` integer NOT NULL DEFAULT (0), `score` real NOT NULL DEFAULT (0), `as_of` datetime NOT NULL, `last_event_id` integer NOT NULL DEFAULT (0));
-- create index "graphedge_src_id_dst_id_kind_scope_forum_id" to table: "graph_edges"
CREATE UNIQUE INDEX `graphedge_src_id_dst_id_kind_scope_forum_id` ON `graph_edges` (`src_id`, `dst_id`, `kind`, `scope`, `forum_id`);
-- create index "graphedge_last_event_id" to table: "graph_edges"
CREATE INDEX `graphedge_last_event_id` ON `graph_edges` (`last_event_id`);
-- create "user_follows" table
CREATE TABLE `user_follows` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `follower_id` integer NOT NULL, `followee_id` integer NOT NULL, `created_at` datetime NOT NULL);
-- create index "userfollow_follower_id_followee_id" to table: "user_follows"
CREATE UNIQUE INDEX `userfollow_follower_id_followee_id` ON `user_follows` (`follower_id`, `followee_id`);
-- create index "userfollow_followee_id_created_at" to table: "user_follows"
CREATE INDEX `userfollow_followee_id_created_at` ON `user_follows` (`followee_id`, `created_at`);
-- enable back the enforcement of foreign-keys constraints
PRAGMA foreign_keys = on;
