-- reverse: modify "users" table
ALTER TABLE "users" DROP COLUMN "unread_notifications";
