-- disable the enforcement of foreign-keys constraints
PRAGMA foreign_keys = off;
-- create "new_posts" table
CREATE TABLE `new_posts` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `post_number` integer NOT NULL, `reply_to_post_id` integer NULL, `reply_to_user_id` integer NULL, `source` text NOT NULL, `html` text NOT NULL, `excerpt` text NOT NULL DEFAULT (''), `version` integer NOT NULL DEFAULT (1), `reaction_count` integer NOT NULL DEFAULT (0), `reactions` json NULL, `created_at` datetime NOT NULL, `edited_at` datetime NULL, `deleted_at` datetime NULL, `deleted_by_id` integer NULL, `pending` bool NOT NULL DEFAULT (false), `hidden_at` datetime NULL, `hidden_reason` text NOT NULL DEFAULT (''), `body_hash` integer NOT NULL DEFAULT (0), `user_id` integer NOT NULL, `topic_id` integer NOT NULL, CONSTRAINT `posts_users_author` FOREIGN KEY (`user_id`) REFERENCES `users` (`id`) ON DELETE NO ACTION, CONSTRAINT `posts_topics_posts` FOREIGN KEY (`topic_id`) REFERENCES `topics` (`id`) ON DELETE NO ACTION);
-- copy rows from old table "posts" to new temporary table "new_posts"
INSERT INTO `new_posts` (`id`, `post_number`, `reply_to_post_id`, `reply_to_user_id`, `source`, `html`, `excerpt`, `version`, `reaction_count`, `reactions`, `created_at`, `edited_at`, `deleted_at`, `deleted_by_id`, `pending`, `hidden_at`, `hidden_reason`, `user_id`, `topic_id`) SELECT `id`, `post_number`, `reply_to_post_id`, `reply_to_user_id`, `source`, `html`, `excerpt`, `version`, `reaction_count`, `reactions`, `created_at`, `edited_at`, `deleted_at`, `deleted_by_id`, `pending`, `hidden_at`, `hidden_reason`, `user_id`, `topic_id` FROM `posts`;
-- drop "posts" table after copying rows
DROP TABLE `posts`;
-- rename temporary table "new_posts" to "posts"
ALTER TABLE `new_posts` RENAME TO `posts`;
-- create index "post_topic_id_post_number" to table: "posts"
CREATE UNIQUE INDEX `post_topic_id_post_number` ON `posts` (`topic_id`, `post_number`);
-- create index "post_user_id_created_at" to table: "posts"
CREATE INDEX `post_user_id_created_at` ON `posts` (`user_id`, `created_at`);
-- create index "post_user_id_body_hash_created_at" to table: "posts"
CREATE INDEX `post_user_id_body_hash_created_at` ON `posts` (`user_id`, `body_hash`, `created_at`);
-- enable back the enforcement of foreign-keys constraints
PRAGMA foreign_keys = on;
