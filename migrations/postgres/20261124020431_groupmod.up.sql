-- modify "audit_entries" table
ALTER TABLE "audit_entries" ADD COLUMN "group_id" bigint NULL;
-- create index "auditentry_group_id_id" to table: "audit_entries"
CREATE INDEX "auditentry_group_id_id" ON "audit_entries" ("group_id", "id");
-- modify "review_items" table
ALTER TABLE "review_items" ADD COLUMN "group_id" bigint NULL;
-- create index "reviewitem_group_id_status" to table: "review_items"
CREATE INDEX "reviewitem_group_id_status" ON "review_items" ("group_id", "status");
