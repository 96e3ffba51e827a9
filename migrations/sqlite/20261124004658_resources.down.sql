-- reverse: create index "resourceversion_blob_id" to table: "resource_versions"
DROP INDEX `resourceversion_blob_id`;
-- reverse: create index "resourceversion_resource_id_number" to table: "resource_versions"
DROP INDEX `resourceversion_resource_id_number`;
-- reverse: create "resource_versions" table
DROP TABLE `resource_versions`;
-- reverse: create index "resourcetag_tag_resource_id" to table: "resource_tags"
DROP INDEX `resourcetag_tag_resource_id`;
-- reverse: create index "resourcetag_resource_id_tag" to table: "resource_tags"
DROP INDEX `resourcetag_resource_id_tag`;
-- reverse: create "resource_tags" table
DROP TABLE `resource_tags`;
-- reverse: create index "resourcerating_user_id" to table: "resource_ratings"
DROP INDEX `resourcerating_user_id`;
-- reverse: create index "resourcerating_resource_id_user_id" to table: "resource_ratings"
DROP INDEX `resourcerating_resource_id_user_id`;
-- reverse: create "resource_ratings" table
DROP TABLE `resource_ratings`;
-- reverse: create index "resourcebookmark_resource_id" to table: "resource_bookmarks"
DROP INDEX `resourcebookmark_resource_id`;
-- reverse: create index "resourcebookmark_user_id_resource_id" to table: "resource_bookmarks"
DROP INDEX `resourcebookmark_user_id_resource_id`;
-- reverse: create "resource_bookmarks" table
DROP TABLE `resource_bookmarks`;
-- reverse: create index "resource_group_id" to table: "resources"
DROP INDEX `resource_group_id`;
-- reverse: create index "resource_user_id_created_at" to table: "resources"
DROP INDEX `resource_user_id_created_at`;
-- reverse: create index "resource_rating_milli_id" to table: "resources"
DROP INDEX `resource_rating_milli_id`;
-- reverse: create index "resource_download_count_id" to table: "resources"
DROP INDEX `resource_download_count_id`;
-- reverse: create "resources" table
DROP TABLE `resources`;
-- reverse: create index "blobs_sha256_key" to table: "blobs"
DROP INDEX `blobs_sha256_key`;
-- reverse: create "blobs" table
DROP TABLE `blobs`;
