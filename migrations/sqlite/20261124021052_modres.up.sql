-- disable the enforcement of foreign-keys constraints
PRAGMA foreign_keys = off;
-- create "new_resources" table
CREATE TABLE `new_resources` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `group_id` integer NULL, `kind` text NOT NULL, `visibility` text NOT NULL DEFAULT ('public'), `title` text NOT NULL, `description` text NOT NULL DEFAULT (''), `description_html` text NOT NULL DEFAULT (''), `url` text NULL, `topic_id` integer NULL, `version_count` integer NOT NULL DEFAULT (0), `download_count` integer NOT NULL DEFAULT (0), `rating_count` integer NOT NULL DEFAULT (0), `rating_sum` integer NOT NULL DEFAULT (0), `rating_milli` integer NOT NULL DEFAULT (0), `deleted_at` datetime NULL, `deleted_by_id` integer NULL, `hidden_at` datetime NULL, `hidden_reason` text NOT NULL DEFAULT (''), `user_id` integer NOT NULL, CONSTRAINT `resources_users_owner` FOREIGN KEY (`user_id`) REFERENCES `users` (`id`) ON DELETE NO ACTION);
-- copy rows from old table "resources" to new temporary table "new_resources"
INSERT INTO `new_resources` (`id`, `created_at`, `updated_at`, `group_id`, `kind`, `visibility`, `title`, `description`, `description_html`, `url`, `topic_id`, `version_count`, `download_count`, `rating_count`, `rating_sum`, `rating_milli`, `deleted_at`, `deleted_by_id`, `user_id`) SELECT `id`, `created_at`, `updated_at`, `group_id`, `kind`, `visibility`, `title`, `description`, `description_html`, `url`, `topic_id`, `version_count`, `download_count`, `rating_count`, `rating_sum`, `rating_milli`, `deleted_at`, `deleted_by_id`, `user_id` FROM `resources`;
-- drop "resources" table after copying rows
DROP TABLE `resources`;
-- rename temporary table "new_resources" to "resources"
ALTER TABLE `new_resources` RENAME TO `resources`;
-- create index "resource_download_count_id" to table: "resources"
CREATE INDEX `resource_download_count_id` ON `resources` (`download_count`, `id`);
-- create index "resource_rating_milli_id" to table: "resources"
CREATE INDEX `resource_rating_milli_id` ON `resources` (`rating_milli`, `id`);
-- create index "resource_user_id_created_at" to table: "resources"
CREATE INDEX `resource_user_id_created_at` ON `resources` (`user_id`, `created_at`);
-- create index "resource_group_id" to table: "resources"
CREATE INDEX `resource_group_id` ON `resources` (`group_id`);
-- enable back the enforcement of foreign-keys constraints
PRAGMA foreign_keys = on;
