-- create "bookmarks" table
CREATE TABLE `bookmarks` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `post_id` integer NOT NULL, `user_id` integer NOT NULL, `created_at` datetime NOT NULL);
-- create index "bookmark_user_id_post_id" to table: "bookmarks"
CREATE UNIQUE INDEX `bookmark_user_id_post_id` ON `bookmarks` (`user_id`, `post_id`);
-- create "events" table
CREATE TABLE `events` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `type` text NOT NULL, `actor_id` integer NULL, `forum_id` integer NULL, `topic_id` integer NULL, `post_id` integer NULL, `user_id` integer NULL, `visibility` text NOT NULL, `payload` json NULL, `created_at` datetime NOT NULL);
-- create index "event_topic_id_id" to table: "events"
CREATE INDEX `event_topic_id_id` ON `events` (`topic_id`, `id`);
-- create index "event_created_at" to table: "events"
CREATE INDEX `event_created_at` ON `events` (`created_at`);
-- create "event_cursors" table
CREATE TABLE `event_cursors` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `name` text NOT NULL, `position` integer NOT NULL DEFAULT (0), `updated_at` datetime NOT NULL);
-- create index "event_cursors_name_key" to table: "event_cursors"
CREATE UNIQUE INDEX `event_cursors_name_key` ON `event_cursors` (`name`);
-- create "forums" table
CREATE TABLE `forums` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `name` text NOT NULL, `slug` text NOT NULL, `description` text NOT NULL DEFAULT (''), `position` integer NOT NULL DEFAULT (0), `read_visibility` text NOT NULL DEFAULT ('public'), `topic_policy` text NOT NULL DEFAULT ('everyone'), `topic_min_trust` integer NOT NULL DEFAULT (0), `reply_policy` text NOT NULL DEFAULT ('everyone'), `reply_min_trust` integer NOT NULL DEFAULT (0), `topic_count` integer NOT NULL DEFAULT (0), `post_count` integer NOT NULL DEFAULT (0), `last_posted_at` datetime NULL, `deleted_at` datetime NULL, `parent_id` integer NULL, CONSTRAINT `forums_forums_children` FOREIGN KEY (`parent_id`) REFERENCES `forums` (`id`) ON DELETE SET NULL);
-- create index "forums_slug_key" to table: "forums"
CREATE UNIQUE INDEX `forums_slug_key` ON `forums` (`slug`);
-- create index "forum_parent_id_position" to table: "forums"
CREATE INDEX `forum_parent_id_position` ON `forums` (`parent_id`, `position`);
-- create "forum_subscriptions" table
CREATE TABLE `forum_subscriptions` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `user_id` integer NOT NULL, `forum_id` integer NOT NULL, `level` text NOT NULL DEFAULT ('normal'), `updated_at` datetime NOT NULL);
-- create index "forumsubscription_user_id_forum_id" to table: "forum_subscriptions"
CREATE UNIQUE INDEX `forumsubscription_user_id_forum_id` ON `forum_subscriptions` (`user_id`, `forum_id`);
-- create index "forumsubscription_forum_id_level" to table: "forum_subscriptions"
CREATE INDEX `forumsubscription_forum_id_level` ON `forum_subscriptions` (`forum_id`, `level`);
-- create "notifications" table
CREATE TABLE `notifications` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `user_id` integer NOT NULL, `kind` text NOT NULL, `actor_id` integer NULL, `topic_id` integer NULL, `post_id` integer NULL, `event_id` integer NOT NULL, `data` json NULL, `created_at` datetime NOT NULL, `read_at` datetime NULL);
-- create index "notification_user_id_event_id" to table: "notifications"
CREATE UNIQUE INDEX `notification_user_id_event_id` ON `notifications` (`user_id`, `event_id`);
-- create index "notification_user_id_read_at" to table: "notifications"
CREATE INDEX `notification_user_id_read_at` ON `notifications` (`user_id`, `read_at`);
-- create index "notification_user_id_id" to table: "notifications"
CREATE INDEX `notification_user_id_id` ON `notifications` (`user_id`, `id`);
-- create "posts" table
CREATE TABLE `posts` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `post_number` integer NOT NULL, `reply_to_post_id` integer NULL, `reply_to_user_id` integer NULL, `source` text NOT NULL, `html` text NOT NULL, `excerpt` text NOT NULL DEFAULT (''), `version` integer NOT NULL DEFAULT (1), `reaction_count` integer NOT NULL DEFAULT (0), `reactions` json NULL, `created_at` datetime NOT NULL, `edited_at` datetime NULL, `deleted_at` datetime NULL, `deleted_by_id` integer NULL, `user_id` integer NOT NULL, `topic_id` integer NOT NULL, CONSTRAINT `posts_users_author` FOREIGN KEY (`user_id`) REFERENCES `users` (`id`) ON DELETE NO ACTION, CONSTRAINT `posts_topics_posts` FOREIGN KEY (`topic_id`) REFERENCES `topics` (`id`) ON DELETE NO ACTION);
-- create index "post_topic_id_post_number" to table: "posts"
CREATE UNIQUE INDEX `post_topic_id_post_number` ON `posts` (`topic_id`, `post_number`);
-- create index "post_user_id_created_at" to table: "posts"
CREATE INDEX `post_user_id_created_at` ON `posts` (`user_id`, `created_at`);
-- create "post_revisions" table
CREATE TABLE `post_revisions` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `user_id` integer NOT NULL, `version` integer NOT NULL, `source` text NOT NULL, `title` text NULL, `created_at` datetime NOT NULL, `post_id` integer NOT NULL, CONSTRAINT `post_revisions_posts_revisions` FOREIGN KEY (`post_id`) REFERENCES `posts` (`id`) ON DELETE NO ACTION);
-- create index "postrevision_post_id_version" to table: "post_revisions"
CREATE UNIQUE INDEX `postrevision_post_id_version` ON `post_revisions` (`post_id`, `version`);
-- create "reactions" table
CREATE TABLE `reactions` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `post_id` integer NOT NULL, `user_id` integer NOT NULL, `kind` text NOT NULL, `created_at` datetime NOT NULL);
-- create index "reaction_post_id_user_id_kind" to table: "reactions"
CREATE UNIQUE INDEX `reaction_post_id_user_id_kind` ON `reactions` (`post_id`, `user_id`, `kind`);
-- create index "reaction_user_id" to table: "reactions"
CREATE INDEX `reaction_user_id` ON `reactions` (`user_id`);
-- create "tags" table
CREATE TABLE `tags` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `name` text NOT NULL, `topic_count` integer NOT NULL DEFAULT (0));
-- create index "tags_name_key" to table: "tags"
CREATE UNIQUE INDEX `tags_name_key` ON `tags` (`name`);
-- create "topics" table
CREATE TABLE `topics` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `title` text NOT NULL, `kind` text NOT NULL DEFAULT ('discussion'), `pinned` bool NOT NULL DEFAULT (false), `pinned_globally` bool NOT NULL DEFAULT (false), `locked` bool NOT NULL DEFAULT (false), `closed` bool NOT NULL DEFAULT (false), `archived` bool NOT NULL DEFAULT (false), `view_count` integer NOT NULL DEFAULT (0), `reply_count` integer NOT NULL DEFAULT (0), `highest_post_number` integer NOT NULL DEFAULT (0), `participant_count` integer NOT NULL DEFAULT (1), `reaction_count` integer NOT NULL DEFAULT (0), `accepted_post_id` integer NULL, `last_poster_id` integer NULL, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `last_posted_at` datetime NOT NULL, `deleted_at` datetime NULL, `forum_id` integer NOT NULL, `user_id` integer NOT NULL, CONSTRAINT `topics_forums_topics` FOREIGN KEY (`forum_id`) REFERENCES `forums` (`id`) ON DELETE NO ACTION, CONSTRAINT `topics_users_author` FOREIGN KEY (`user_id`) REFERENCES `users` (`id`) ON DELETE NO ACTION);
-- create index "topic_forum_id_last_posted_at_id" to table: "topics"
CREATE INDEX `topic_forum_id_last_posted_at_id` ON `topics` (`forum_id`, `last_posted_at`, `id`);
-- create index "topic_forum_id_created_at_id" to table: "topics"
CREATE INDEX `topic_forum_id_created_at_id` ON `topics` (`forum_id`, `created_at`, `id`);
-- create index "topic_user_id_created_at" to table: "topics"
CREATE INDEX `topic_user_id_created_at` ON `topics` (`user_id`, `created_at`);
-- create index "topic_pinned_globally" to table: "topics"
CREATE INDEX `topic_pinned_globally` ON `topics` (`pinned_globally`);
-- create "topic_users" table
CREATE TABLE `topic_users` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `user_id` integer NOT NULL, `topic_id` integer NOT NULL, `last_read_post_number` integer NOT NULL DEFAULT (0), `level` text NOT NULL DEFAULT ('normal'), `posted` bool NOT NULL DEFAULT (false), `first_visited_at` datetime NOT NULL, `updated_at` datetime NOT NULL);
-- create index "topicuser_user_id_topic_id" to table: "topic_users"
CREATE UNIQUE INDEX `topicuser_user_id_topic_id` ON `topic_users` (`user_id`, `topic_id`);
-- create index "topicuser_topic_id_level" to table: "topic_users"
CREATE INDEX `topicuser_topic_id_level` ON `topic_users` (`topic_id`, `level`);
-- create "user_mutes" table
CREATE TABLE `user_mutes` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `user_id` integer NOT NULL, `muted_user_id` integer NOT NULL, `created_at` datetime NOT NULL);
-- create index "usermute_user_id_muted_user_id" to table: "user_mutes"
CREATE UNIQUE INDEX `usermute_user_id_muted_user_id` ON `user_mutes` (`user_id`, `muted_user_id`);
-- create "forum_moderators" table
CREATE TABLE `forum_moderators` (`forum_id` integer NOT NULL, `user_id` integer NOT NULL, PRIMARY KEY (`forum_id`, `user_id`), CONSTRAINT `forum_moderators_forum_id` FOREIGN KEY (`forum_id`) REFERENCES `forums` (`id`) ON DELETE CASCADE, CONSTRAINT `forum_moderators_user_id` FOREIGN KEY (`user_id`) REFERENCES `users` (`id`) ON DELETE CASCADE);
-- create "topic_tags" table
CREATE TABLE `topic_tags` (`topic_id` integer NOT NULL, `tag_id` integer NOT NULL, PRIMARY KEY (`topic_id`, `tag_id`), CONSTRAINT `topic_tags_topic_id` FOREIGN KEY (`topic_id`) REFERENCES `topics` (`id`) ON DELETE CASCADE, CONSTRAINT `topic_tags_tag_id` FOREIGN KEY (`tag_id`) REFERENCES `tags` (`id`) ON DELETE CASCADE);
