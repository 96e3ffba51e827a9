-- modify "posts" table
ALTER TABLE "posts" ADD COLUMN "body_hash" bigint NOT NULL DEFAULT 0;
-- create index "post_user_id_body_hash" to table: "posts"
CREATE INDEX "post_user_id_body_hash" ON "posts" ("user_id", "body_hash");
