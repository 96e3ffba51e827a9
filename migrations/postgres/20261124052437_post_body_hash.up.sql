-- modify "posts" table
ALTER TABLE "posts" ADD COLUMN "body_hash" bigint NOT NULL DEFAULT 0;
-- create index "post_user_id_body_hash_created_at" to table: "posts"
CREATE INDEX "post_user_id_body_hash_created_at" ON "posts" ("user_id", "body_hash", "created_at");
