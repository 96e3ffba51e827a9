-- reverse: create index "post_user_id_body_hash_created_at" to table: "posts"
DROP INDEX `post_user_id_body_hash_created_at`;
-- reverse: create index "post_user_id_created_at" to table: "posts"
DROP INDEX `post_user_id_created_at`;
-- reverse: create index "post_topic_id_post_number" to table: "posts"
DROP INDEX `post_topic_id_post_number`;
-- reverse: create "new_posts" table
DROP TABLE `new_posts`;
