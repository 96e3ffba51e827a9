-- disable the enforcement of foreign-keys constraints
PRAGMA foreign_keys = off;
-- create "new_users" table
CREATE TABLE `new_users` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `username` text NOT NULL, `username_key` text NOT NULL, `email` text NOT NULL, `email_key` text NOT NULL, `display_name` text NOT NULL DEFAULT (''), `bio` text NOT NULL DEFAULT (''), `avatar_url` text NOT NULL DEFAULT (''), `locale` text NOT NULL DEFAULT ('en'), `role` text NOT NULL DEFAULT ('member'), `trust_level` integer NOT NULL DEFAULT (0), `status` text NOT NULL DEFAULT ('active'), `password_hash` text NOT NULL, `last_seen_at` datetime NULL, `trust_level_locked` bool NOT NULL DEFAULT (false), `days_visited` integer NOT NULL DEFAULT (0), `external_id` text NULL, `crm_attributes` json NULL);
-- copy rows from old table "users" to new temporary table "new_users"
INSERT INTO `new_users` (`id`, `created_at`, `updated_at`, `username`, `username_key`, `email`, `email_key`, `display_name`, `bio`, `avatar_url`, `locale`, `role`, `trust_level`, `status`, `password_hash`, `last_seen_at`, `external_id`, `crm_attributes`) SELECT `id`, `created_at`, `updated_at`, `username`, `username_key`, `email`, `email_key`, `display_name`, `bio`, `avatar_url`, `locale`, `role`, `trust_level`, `status`, `password_hash`, `last_seen_at`, `external_id`, `crm_attributes` FROM `users`;
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
-- create "new_posts" table
CREATE TABLE `new_posts` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `post_number` integer NOT NULL, `reply_to_post_id` integer NULL, `reply_to_user_id` integer NULL, `source` text NOT NULL, `html` text NOT NULL, `excerpt` text NOT NULL DEFAULT (''), `version` integer NOT NULL DEFAULT (1), `reaction_count` integer NOT NULL DEFAULT (0), `reactions` json NULL, `created_at` datetime NOT NULL, `edited_at` datetime NULL, `deleted_at` datetime NULL, `deleted_by_id` integer NULL, `pending` bool NOT NULL DEFAULT (false), `hidden_at` datetime NULL, `hidden_reason` text NOT NULL DEFAULT (''), `user_id` integer NOT NULL, `topic_id` integer NOT NULL, CONSTRAINT `posts_users_author` FOREIGN KEY (`user_id`) REFERENCES `users` (`id`) ON DELETE NO ACTION, CONSTRAINT `posts_topics_posts` FOREIGN KEY (`topic_id`) REFERENCES `topics` (`id`) ON DELETE NO ACTION);
-- copy rows from old table "posts" to new temporary table "new_posts"
INSERT INTO `new_posts` (`id`, `post_number`, `reply_to_post_id`, `reply_to_user_id`, `source`, `html`, `excerpt`, `version`, `reaction_count`, `reactions`, `created_at`, `edited_at`, `deleted_at`, `deleted_by_id`, `user_id`, `topic_id`) SELECT `id`, `post_number`, `reply_to_post_id`, `reply_to_user_id`, `source`, `html`, `excerpt`, `version`, `reaction_count`, `reactions`, `created_at`, `edited_at`, `deleted_at`, `deleted_by_id`, `user_id`, `topic_id` FROM `posts`;
-- drop "posts" table after copying rows
DROP TABLE `posts`;
-- rename temporary table "new_posts" to "posts"
ALTER TABLE `new_posts` RENAME TO `posts`;
-- create index "post_topic_id_post_number" to table: "posts"
CREATE UNIQUE INDEX `post_topic_id_post_number` ON `posts` (`topic_id`, `post_number`);
-- create index "post_user_id_created_at" to table: "posts"
CREATE INDEX `post_user_id_created_at` ON `posts` (`user_id`, `created_at`);
-- add column "hidden_at" to table: "topics"
ALTER TABLE `topics` ADD COLUMN `hidden_at` datetime NULL;
-- create "audit_entries" table
CREATE TABLE `audit_entries` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `actor_id` integer NULL, `action` text NOT NULL, `target_type` text NOT NULL, `target_id` integer NULL, `forum_id` integer NULL, `reason` text NOT NULL DEFAULT (''), `before` json NULL, `after` json NULL, `reverts_id` integer NULL, `created_at` datetime NOT NULL);
-- create index "auditentry_actor_id_id" to table: "audit_entries"
CREATE INDEX `auditentry_actor_id_id` ON `audit_entries` (`actor_id`, `id`);
-- create index "auditentry_target_type_target_id_id" to table: "audit_entries"
CREATE INDEX `auditentry_target_type_target_id_id` ON `audit_entries` (`target_type`, `target_id`, `id`);
-- create index "auditentry_action_id" to table: "audit_entries"
CREATE INDEX `auditentry_action_id` ON `audit_entries` (`action`, `id`);
-- create index "auditentry_created_at" to table: "audit_entries"
CREATE INDEX `auditentry_created_at` ON `audit_entries` (`created_at`);
-- create index "auditentry_reverts_id" to table: "audit_entries"
CREATE INDEX `auditentry_reverts_id` ON `audit_entries` (`reverts_id`);
-- create "flags" table
CREATE TABLE `flags` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `target_type` text NOT NULL, `target_id` integer NOT NULL, `user_id` integer NOT NULL, `reason` text NOT NULL, `text` text NOT NULL DEFAULT (''), `weight` integer NOT NULL DEFAULT (1), `status` text NOT NULL DEFAULT ('open'), `review_item_id` integer NULL, `created_at` datetime NOT NULL, `resolved_at` datetime NULL);
-- create index "flag_target_type_target_id_user_id" to table: "flags"
CREATE UNIQUE INDEX `flag_target_type_target_id_user_id` ON `flags` (`target_type`, `target_id`, `user_id`);
-- create index "flag_review_item_id" to table: "flags"
CREATE INDEX `flag_review_item_id` ON `flags` (`review_item_id`);
-- create "moderation_settings" table
CREATE TABLE `moderation_settings` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `settings` json NOT NULL, `updated_by_id` integer NULL, `updated_at` datetime NOT NULL);
-- create "review_items" table
CREATE TABLE `review_items` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `target_type` text NOT NULL, `target_id` integer NOT NULL, `forum_id` integer NULL, `author_id` integer NULL, `kind` text NOT NULL, `reasons` json NULL, `score` integer NOT NULL DEFAULT (0), `status` text NOT NULL DEFAULT ('open'), `resolution` text NOT NULL DEFAULT (''), `assigned_to_id` integer NULL, `resolved_by_id` integer NULL, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `first_action_at` datetime NULL, `resolved_at` datetime NULL);
-- create index "reviewitem_target_type_target_id_status" to table: "review_items"
CREATE INDEX `reviewitem_target_type_target_id_status` ON `review_items` (`target_type`, `target_id`, `status`);
-- create index "reviewitem_status_id" to table: "review_items"
CREATE INDEX `reviewitem_status_id` ON `review_items` (`status`, `id`);
-- create "review_notes" table
CREATE TABLE `review_notes` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `review_item_id` integer NOT NULL, `user_id` integer NOT NULL, `body` text NOT NULL, `created_at` datetime NOT NULL);
-- create index "reviewnote_review_item_id_id" to table: "review_notes"
CREATE INDEX `reviewnote_review_item_id_id` ON `review_notes` (`review_item_id`, `id`);
-- create "sanctions" table
CREATE TABLE `sanctions` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `user_id` integer NOT NULL, `kind` text NOT NULL, `actor_id` integer NULL, `reason` text NOT NULL, `created_at` datetime NOT NULL, `ends_at` datetime NULL, `lifted_at` datetime NULL, `lifted_by_id` integer NULL);
-- create index "sanction_user_id_kind_lifted_at" to table: "sanctions"
CREATE INDEX `sanction_user_id_kind_lifted_at` ON `sanctions` (`user_id`, `kind`, `lifted_at`);
-- create index "sanction_lifted_at_ends_at" to table: "sanctions"
CREATE INDEX `sanction_lifted_at_ends_at` ON `sanctions` (`lifted_at`, `ends_at`);
-- enable back the enforcement of foreign-keys constraints
PRAGMA foreign_keys = on;
