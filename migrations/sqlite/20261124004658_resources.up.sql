-- create "blobs" table
CREATE TABLE `blobs` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `sha256` text NOT NULL, `size` integer NOT NULL, `content_type` text NOT NULL, `created_at` datetime NOT NULL);
-- create index "blobs_sha256_key" to table: "blobs"
CREATE UNIQUE INDEX `blobs_sha256_key` ON `blobs` (`sha256`);
-- create "resources" table
CREATE TABLE `resources` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `group_id` integer NULL, `kind` text NOT NULL, `visibility` text NOT NULL DEFAULT ('public'), `title` text NOT NULL, `description` text NOT NULL DEFAULT (''), `description_html` text NOT NULL DEFAULT (''), `url` text NULL, `topic_id` integer NULL, `version_count` integer NOT NULL DEFAULT (0), `download_count` integer NOT NULL DEFAULT (0), `rating_count` integer NOT NULL DEFAULT (0), `rating_sum` integer NOT NULL DEFAULT (0), `rating_milli` integer NOT NULL DEFAULT (0), `deleted_at` datetime NULL, `deleted_by_id` integer NULL, `user_id` integer NOT NULL, CONSTRAINT `resources_users_owner` FOREIGN KEY (`user_id`) REFERENCES `users` (`id`) ON DELETE NO ACTION);
-- create index "resource_download_count_id" to table: "resources"
CREATE INDEX `resource_download_count_id` ON `resources` (`download_count`, `id`);
-- create index "resource_rating_milli_id" to table: "resources"
CREATE INDEX `resource_rating_milli_id` ON `resources` (`rating_milli`, `id`);
-- create index "resource_user_id_created_at" to table: "resources"
CREATE INDEX `resource_user_id_created_at` ON `resources` (`user_id`, `created_at`);
-- create index "resource_group_id" to table: "resources"
CREATE INDEX `resource_group_id` ON `resources` (`group_id`);
-- create "resource_bookmarks" table
CREATE TABLE `resource_bookmarks` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `resource_id` integer NOT NULL, `user_id` integer NOT NULL, `created_at` datetime NOT NULL);
-- create index "resourcebookmark_user_id_resource_id" to table: "resource_bookmarks"
CREATE UNIQUE INDEX `resourcebookmark_user_id_resource_id` ON `resource_bookmarks` (`user_id`, `resource_id`);
-- create index "resourcebookmark_resource_id" to table: "resource_bookmarks"
CREATE INDEX `resourcebookmark_resource_id` ON `resource_bookmarks` (`resource_id`);
-- create "resource_ratings" table
CREATE TABLE `resource_ratings` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `resource_id` integer NOT NULL, `user_id` integer NOT NULL, `stars` integer NOT NULL, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL);
-- create index "resourcerating_resource_id_user_id" to table: "resource_ratings"
CREATE UNIQUE INDEX `resourcerating_resource_id_user_id` ON `resource_ratings` (`resource_id`, `user_id`);
-- create index "resourcerating_user_id" to table: "resource_ratings"
CREATE INDEX `resourcerating_user_id` ON `resource_ratings` (`user_id`);
-- create "resource_tags" table
CREATE TABLE `resource_tags` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `tag` text NOT NULL, `resource_id` integer NOT NULL, CONSTRAINT `resource_tags_resources_tags` FOREIGN KEY (`resource_id`) REFERENCES `resources` (`id`) ON DELETE NO ACTION);
-- create index "resourcetag_resource_id_tag" to table: "resource_tags"
CREATE UNIQUE INDEX `resourcetag_resource_id_tag` ON `resource_tags` (`resource_id`, `tag`);
-- create index "resourcetag_tag_resource_id" to table: "resource_tags"
CREATE INDEX `resourcetag_tag_resource_id` ON `resource_tags` (`tag`, `resource_id`);
-- create "resource_versions" table
CREATE TABLE `resource_versions` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `number` integer NOT NULL, `user_id` integer NOT NULL, `filename` text NOT NULL, `content_type` text NOT NULL, `size` integer NOT NULL, `note` text NOT NULL DEFAULT (''), `created_at` datetime NOT NULL, `resource_id` integer NOT NULL, `blob_id` integer NOT NULL, CONSTRAINT `resource_versions_resources_versions` FOREIGN KEY (`resource_id`) REFERENCES `resources` (`id`) ON DELETE NO ACTION, CONSTRAINT `resource_versions_blobs_blob` FOREIGN KEY (`blob_id`) REFERENCES `blobs` (`id`) ON DELETE NO ACTION);
-- create index "resourceversion_resource_id_number" to table: "resource_versions"
CREATE UNIQUE INDEX `resourceversion_resource_id_number` ON `resource_versions` (`resource_id`, `number`);
-- create index "resourceversion_blob_id" to table: "resource_versions"
CREATE INDEX `resourceversion_blob_id` ON `resource_versions` (`blob_id`);
