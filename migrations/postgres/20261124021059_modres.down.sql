-- reverse: modify "resources" table
ALTER TABLE "resources" DROP COLUMN "hidden_reason", DROP COLUMN "hidden_at";
