-- reverse: create index "reviewitem_group_id_status" to table: "review_items"
DROP INDEX "reviewitem_group_id_status";
-- reverse: modify "review_items" table
ALTER TABLE "review_items" DROP COLUMN "group_id";
-- reverse: create index "auditentry_group_id_id" to table: "audit_entries"
DROP INDEX "auditentry_group_id_id";
-- reverse: modify "audit_entries" table
ALTER TABLE "audit_entries" DROP COLUMN "group_id";
