-- reverse: create index "resource_group_id" to table: "resources"
DROP INDEX `resource_group_id`;
-- reverse: create index "resource_user_id_created_at" to table: "resources"
DROP INDEX `resource_user_id_created_at`;
-- reverse: create index "resource_rating_milli_id" to table: "resources"
DROP INDEX `resource_rating_milli_id`;
-- reverse: create index "resource_download_count_id" to table: "resources"
DROP INDEX `resource_download_count_id`;
-- reverse: create "new_resources" table
DROP TABLE `new_resources`;
