-- modify "users" table
ALTER TABLE "users" ADD COLUMN "unread_notifications" bigint NOT NULL DEFAULT 0;
-- backfill: the counter starts as the count it replaces (edited by hand)
UPDATE "users" SET "unread_notifications" = (SELECT count(*) FROM "notifications" n WHERE n."user_id" = "users"."id" AND n."read_at" IS NULL);
