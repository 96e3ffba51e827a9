-- reverse: create index "post_user_id_body_hash" to table: "posts"
DROP INDEX "post_user_id_body_hash";
-- reverse: modify "posts" table
ALTER TABLE "posts" DROP COLUMN "body_hash";
