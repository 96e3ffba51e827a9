-- disable the enforcement of foreign-keys constraints
PRAGMA foreign_keys = off;
-- create "new_events" table
CREATE TABLE `new_events` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `type` text NOT NULL, `actor_id` integer NULL, `forum_id` integer NULL, `topic_id` integer NULL, `post_id` integer NULL, `user_id` integer NULL, `group_id` integer NULL, `visibility` text NOT NULL, `payload` json NULL, `created_at` datetime NOT NULL);
-- copy rows from old table "events" to new temporary table "new_events"
INSERT INTO `new_events` (`id`, `type`, `actor_id`, `forum_id`, `topic_id`, `post_id`, `user_id`, `visibility`, `payload`, `created_at`) SELECT `id`, `type`, `actor_id`, `forum_id`, `topic_id`, `post_id`, `user_id`, `visibility`, `payload`, `created_at` FROM `events`;
-- drop "events" table after copying rows
DROP TABLE `events`;
-- rename temporary table "new_events" to "events"
ALTER TABLE `new_events` RENAME TO `events`;
-- create index "event_topic_id_id" to table: "events"
CREATE INDEX `event_topic_id_id` ON `events` (`topic_id`, `id`);
-- create index "event_created_at" to table: "events"
CREATE INDEX `event_created_at` ON `events` (`created_at`);
-- create index "event_group_id_id" to table: "events"
CREATE INDEX `event_group_id_id` ON `events` (`group_id`, `id`);
-- create "new_forums" table
CREATE TABLE `new_forums` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `name` text NOT NULL, `slug` text NOT NULL, `description` text NOT NULL DEFAULT (''), `position` integer NOT NULL DEFAULT (0), `read_visibility` text NOT NULL DEFAULT ('public'), `topic_policy` text NOT NULL DEFAULT ('everyone'), `topic_min_trust` integer NOT NULL DEFAULT (0), `reply_policy` text NOT NULL DEFAULT ('everyone'), `reply_min_trust` integer NOT NULL DEFAULT (0), `topic_count` integer NOT NULL DEFAULT (0), `post_count` integer NOT NULL DEFAULT (0), `last_posted_at` datetime NULL, `deleted_at` datetime NULL, `parent_id` integer NULL, `group_id` integer NULL, CONSTRAINT `forums_forums_children` FOREIGN KEY (`parent_id`) REFERENCES `forums` (`id`) ON DELETE SET NULL, CONSTRAINT `forums_groups_forums` FOREIGN KEY (`group_id`) REFERENCES `groups` (`id`) ON DELETE RESTRICT);
-- copy rows from old table "forums" to new temporary table "new_forums"
INSERT INTO `new_forums` (`id`, `created_at`, `updated_at`, `name`, `slug`, `description`, `position`, `read_visibility`, `topic_policy`, `topic_min_trust`, `reply_policy`, `reply_min_trust`, `topic_count`, `post_count`, `last_posted_at`, `deleted_at`, `parent_id`) SELECT `id`, `created_at`, `updated_at`, `name`, `slug`, `description`, `position`, `read_visibility`, `topic_policy`, `topic_min_trust`, `reply_policy`, `reply_min_trust`, `topic_count`, `post_count`, `last_posted_at`, `deleted_at`, `parent_id` FROM `forums`;
-- drop "forums" table after copying rows
DROP TABLE `forums`;
-- rename temporary table "new_forums" to "forums"
ALTER TABLE `new_forums` RENAME TO `forums`;
-- create index "forums_slug_key" to table: "forums"
CREATE UNIQUE INDEX `forums_slug_key` ON `forums` (`slug`);
-- create index "forum_parent_id_position" to table: "forums"
CREATE INDEX `forum_parent_id_position` ON `forums` (`parent_id`, `position`);
-- create index "forum_group_id" to table: "forums"
CREATE INDEX `forum_group_id` ON `forums` (`group_id`);
-- create "groups" table
CREATE TABLE `groups` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `name` text NOT NULL, `slug` text NOT NULL, `description` text NOT NULL DEFAULT (''), `avatar_url` text NOT NULL DEFAULT (''), `visibility` text NOT NULL DEFAULT ('public'), `member_count` integer NOT NULL DEFAULT (0), `created_by` integer NULL, `deleted_at` datetime NULL);
-- create index "groups_slug_key" to table: "groups"
CREATE UNIQUE INDEX `groups_slug_key` ON `groups` (`slug`);
-- create "group_invites" table
CREATE TABLE `group_invites` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `group_id` integer NOT NULL, `token_hash` text NOT NULL, `created_by` integer NOT NULL, `invitee_id` integer NULL, `expires_at` datetime NULL, `max_uses` integer NOT NULL DEFAULT (1), `uses` integer NOT NULL DEFAULT (0), `revoked_at` datetime NULL, `created_at` datetime NOT NULL);
-- create index "group_invites_token_hash_key" to table: "group_invites"
CREATE UNIQUE INDEX `group_invites_token_hash_key` ON `group_invites` (`token_hash`);
-- create index "groupinvite_group_id_invitee_id" to table: "group_invites"
CREATE INDEX `groupinvite_group_id_invitee_id` ON `group_invites` (`group_id`, `invitee_id`);
-- create "group_members" table
CREATE TABLE `group_members` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `group_id` integer NOT NULL, `user_id` integer NOT NULL, `role` text NOT NULL DEFAULT ('member'), `status` text NOT NULL DEFAULT ('active'), `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL);
-- create index "groupmember_group_id_user_id" to table: "group_members"
CREATE UNIQUE INDEX `groupmember_group_id_user_id` ON `group_members` (`group_id`, `user_id`);
-- create index "groupmember_user_id_status" to table: "group_members"
CREATE INDEX `groupmember_user_id_status` ON `group_members` (`user_id`, `status`);
-- create index "groupmember_group_id_status_role" to table: "group_members"
CREATE INDEX `groupmember_group_id_status_role` ON `group_members` (`group_id`, `status`, `role`);
-- create "group_requests" table
CREATE TABLE `group_requests` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `group_id` integer NOT NULL, `user_id` integer NOT NULL, `message` text NOT NULL DEFAULT (''), `status` text NOT NULL DEFAULT ('pending'), `reason` text NOT NULL DEFAULT (''), `decided_by` integer NULL, `decided_at` datetime NULL, `created_at` datetime NOT NULL);
-- create index "grouprequest_group_id_status_id" to table: "group_requests"
CREATE INDEX `grouprequest_group_id_status_id` ON `group_requests` (`group_id`, `status`, `id`);
-- create index "grouprequest_user_id_group_id" to table: "group_requests"
CREATE INDEX `grouprequest_user_id_group_id` ON `group_requests` (`user_id`, `group_id`);
-- enable back the enforcement of foreign-keys constraints
PRAGMA foreign_keys = on;
