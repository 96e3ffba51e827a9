-- disable the enforcement of foreign-keys constraints
PRAGMA foreign_keys = off;
-- create "new_audit_entries" table
CREATE TABLE `new_audit_entries` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `actor_id` integer NULL, `action` text NOT NULL, `target_type` text NOT NULL, `target_id` integer NULL, `forum_id` integer NULL, `group_id` integer NULL, `reason` text NOT NULL DEFAULT (''), `before` json NULL, `after` json NULL, `reverts_id` integer NULL, `created_at` datetime NOT NULL);
-- copy rows from old table "audit_entries" to new temporary table "new_audit_entries"
INSERT INTO `new_audit_entries` (`id`, `actor_id`, `action`, `target_type`, `target_id`, `forum_id`, `reason`, `before`, `after`, `reverts_id`, `created_at`) SELECT `id`, `actor_id`, `action`, `target_type`, `target_id`, `forum_id`, `reason`, `before`, `after`, `reverts_id`, `created_at` FROM `audit_entries`;
-- drop "audit_entries" table after copying rows
DROP TABLE `audit_entries`;
-- rename temporary table "new_audit_entries" to "audit_entries"
ALTER TABLE `new_audit_entries` RENAME TO `audit_entries`;
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
-- create index "auditentry_group_id_id" to table: "audit_entries"
CREATE INDEX `auditentry_group_id_id` ON `audit_entries` (`group_id`, `id`);
-- create "new_review_items" table
CREATE TABLE `new_review_items` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `target_type` text NOT NULL, `target_id` integer NOT NULL, `forum_id` integer NULL, `group_id` integer NULL, `author_id` integer NULL, `kind` text NOT NULL, `reasons` json NULL, `score` integer NOT NULL DEFAULT (0), `status` text NOT NULL DEFAULT ('open'), `resolution` text NOT NULL DEFAULT (''), `assigned_to_id` integer NULL, `resolved_by_id` integer NULL, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `first_action_at` datetime NULL, `resolved_at` datetime NULL);
-- copy rows from old table "review_items" to new temporary table "new_review_items"
INSERT INTO `new_review_items` (`id`, `target_type`, `target_id`, `forum_id`, `author_id`, `kind`, `reasons`, `score`, `status`, `resolution`, `assigned_to_id`, `resolved_by_id`, `created_at`, `updated_at`, `first_action_at`, `resolved_at`) SELECT `id`, `target_type`, `target_id`, `forum_id`, `author_id`, `kind`, `reasons`, `score`, `status`, `resolution`, `assigned_to_id`, `resolved_by_id`, `created_at`, `updated_at`, `first_action_at`, `resolved_at` FROM `review_items`;
-- drop "review_items" table after copying rows
DROP TABLE `review_items`;
-- rename temporary table "new_review_items" to "review_items"
ALTER TABLE `new_review_items` RENAME TO `review_items`;
-- create index "reviewitem_target_type_target_id_status" to table: "review_items"
CREATE INDEX `reviewitem_target_type_target_id_status` ON `review_items` (`target_type`, `target_id`, `status`);
-- create index "reviewitem_status_id" to table: "review_items"
CREATE INDEX `reviewitem_status_id` ON `review_items` (`status`, `id`);
-- create index "reviewitem_group_id_status" to table: "review_items"
CREATE INDEX `reviewitem_group_id_status` ON `review_items` (`group_id`, `status`);
-- enable back the enforcement of foreign-keys constraints
PRAGMA foreign_keys = on;
