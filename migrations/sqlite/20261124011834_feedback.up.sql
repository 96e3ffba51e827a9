-- disable the enforcement of foreign-keys constraints
PRAGMA foreign_keys = off;
-- create "new_forums" table
CREATE TABLE `new_forums` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `name` text NOT NULL, `slug` text NOT NULL, `description` text NOT NULL DEFAULT (''), `position` integer NOT NULL DEFAULT (0), `read_visibility` text NOT NULL DEFAULT ('public'), `topic_policy` text NOT NULL DEFAULT ('everyone'), `topic_min_trust` integer NOT NULL DEFAULT (0), `reply_policy` text NOT NULL DEFAULT ('everyone'), `reply_min_trust` integer NOT NULL DEFAULT (0), `topic_count` integer NOT NULL DEFAULT (0), `post_count` integer NOT NULL DEFAULT (0), `last_posted_at` datetime NULL, `deleted_at` datetime NULL, `kind` text NOT NULL DEFAULT ('discussion'), `parent_id` integer NULL, `group_id` integer NULL, CONSTRAINT `forums_forums_children` FOREIGN KEY (`parent_id`) REFERENCES `forums` (`id`) ON DELETE SET NULL, CONSTRAINT `forums_groups_forums` FOREIGN KEY (`group_id`) REFERENCES `groups` (`id`) ON DELETE RESTRICT);
-- copy rows from old table "forums" to new temporary table "new_forums"
INSERT INTO `new_forums` (`id`, `created_at`, `updated_at`, `name`, `slug`, `description`, `position`, `read_visibility`, `topic_policy`, `topic_min_trust`, `reply_policy`, `reply_min_trust`, `topic_count`, `post_count`, `last_posted_at`, `deleted_at`, `parent_id`, `group_id`) SELECT `id`, `created_at`, `updated_at`, `name`, `slug`, `description`, `position`, `read_visibility`, `topic_policy`, `topic_min_trust`, `reply_policy`, `reply_min_trust`, `topic_count`, `post_count`, `last_posted_at`, `deleted_at`, `parent_id`, `group_id` FROM `forums`;
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
-- create "feedback_items" table
CREATE TABLE `feedback_items` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `forum_id` integer NOT NULL, `user_id` integer NOT NULL, `type` text NOT NULL DEFAULT ('idea'), `status` text NOT NULL DEFAULT ('open'), `vote_count` integer NOT NULL DEFAULT (0), `priority` text NOT NULL DEFAULT ('none'), `estimate` text NOT NULL DEFAULT (''), `duplicate_of` integer NULL, `status_changed_at` datetime NOT NULL, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL);
-- create index "feedbackitem_forum_id_vote_count_id" to table: "feedback_items"
CREATE INDEX `feedbackitem_forum_id_vote_count_id` ON `feedback_items` (`forum_id`, `vote_count`, `id`);
-- create index "feedbackitem_forum_id_created_at_id" to table: "feedback_items"
CREATE INDEX `feedbackitem_forum_id_created_at_id` ON `feedback_items` (`forum_id`, `created_at`, `id`);
-- create index "feedbackitem_status" to table: "feedback_items"
CREATE INDEX `feedbackitem_status` ON `feedback_items` (`status`);
-- create index "feedbackitem_duplicate_of" to table: "feedback_items"
CREATE INDEX `feedbackitem_duplicate_of` ON `feedback_items` (`duplicate_of`);
-- create index "feedbackitem_user_id" to table: "feedback_items"
CREATE INDEX `feedbackitem_user_id` ON `feedback_items` (`user_id`);
-- create "feedback_notes" table
CREATE TABLE `feedback_notes` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `item_id` integer NOT NULL, `user_id` integer NOT NULL, `body` text NOT NULL, `created_at` datetime NOT NULL);
-- create index "feedbacknote_item_id_id" to table: "feedback_notes"
CREATE INDEX `feedbacknote_item_id_id` ON `feedback_notes` (`item_id`, `id`);
-- create "feedback_satisfactions" table
CREATE TABLE `feedback_satisfactions` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `topic_id` integer NOT NULL, `forum_id` integer NOT NULL, `user_id` integer NOT NULL, `score` integer NOT NULL, `comment` text NOT NULL DEFAULT (''), `outcome` text NOT NULL, `created_at` datetime NOT NULL);
-- create index "feedbacksatisfaction_topic_id_user_id" to table: "feedback_satisfactions"
CREATE UNIQUE INDEX `feedbacksatisfaction_topic_id_user_id` ON `feedback_satisfactions` (`topic_id`, `user_id`);
-- create index "feedbacksatisfaction_forum_id_created_at" to table: "feedback_satisfactions"
CREATE INDEX `feedbacksatisfaction_forum_id_created_at` ON `feedback_satisfactions` (`forum_id`, `created_at`);
-- create "feedback_status_changes" table
CREATE TABLE `feedback_status_changes` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `item_id` integer NOT NULL, `user_id` integer NOT NULL, `from_status` text NOT NULL, `to_status` text NOT NULL, `response` text NOT NULL DEFAULT (''), `created_at` datetime NOT NULL);
-- create index "feedbackstatuschange_item_id_created_at" to table: "feedback_status_changes"
CREATE INDEX `feedbackstatuschange_item_id_created_at` ON `feedback_status_changes` (`item_id`, `created_at`);
-- create "feedback_votes" table
CREATE TABLE `feedback_votes` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `item_id` integer NOT NULL, `origin_item_id` integer NOT NULL, `user_id` integer NOT NULL, `active` bool NOT NULL DEFAULT (true), `plan` text NOT NULL DEFAULT (''), `arr` real NOT NULL DEFAULT (0), `crm` json NULL, `recorded_by` integer NULL, `note` text NOT NULL DEFAULT (''), `created_at` datetime NOT NULL);
-- create index "feedbackvote_user_id_origin_item_id" to table: "feedback_votes"
CREATE UNIQUE INDEX `feedbackvote_user_id_origin_item_id` ON `feedback_votes` (`user_id`, `origin_item_id`);
-- create index "feedbackvote_item_id_active" to table: "feedback_votes"
CREATE INDEX `feedbackvote_item_id_active` ON `feedback_votes` (`item_id`, `active`);
-- create index "feedbackvote_item_id_created_at" to table: "feedback_votes"
CREATE INDEX `feedbackvote_item_id_created_at` ON `feedback_votes` (`item_id`, `created_at`);
-- create index "feedbackvote_origin_item_id" to table: "feedback_votes"
CREATE INDEX `feedbackvote_origin_item_id` ON `feedback_votes` (`origin_item_id`);
-- enable back the enforcement of foreign-keys constraints
PRAGMA foreign_keys = on;
