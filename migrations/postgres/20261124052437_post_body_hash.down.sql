-- reverse: create index "post_user_id_body_hash_created_at" to table: "posts"
DROP INDEX "post_user_id_body_hash_created_at";
-- reverse: modify "posts" table
ALTER TABLE "posts" DROP COLUMN "body_hash";
