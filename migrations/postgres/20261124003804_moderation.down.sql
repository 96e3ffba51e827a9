-- reverse: create index "sanction_user_id_kind_lifted_at" to table: "sanctions"
DROP INDEX "sanction_user_id_kind_lifted_at";
-- reverse: create index "sanction_lifted_at_ends_at" to table: "sanctions"
DROP INDEX "sanction_lifted_at_ends_at";
-- reverse: create "sanctions" table
DROP TABLE "sanctions";
-- reverse: create index "reviewnote_review_item_id_id" to table: "review_notes"
DROP INDEX "reviewnote_review_item_id_id";
-- reverse: create "review_notes" table
DROP TABLE "review_notes";
-- reverse: create index "reviewitem_target_type_target_id_status" to table: "review_items"
DROP INDEX "reviewitem_target_type_target_id_status";
-- reverse: create index "reviewitem_status_id" to table: "review_items"
DROP INDEX "reviewitem_status_id";
-- reverse: create "review_items" table
DROP TABLE "review_items";
-- reverse: create "moderation_settings" table
DROP TABLE "moderation_settings";
-- reverse: create index "flag_target_type_target_id_user_id" to table: "flags"
DROP INDEX "flag_target_type_target_id_user_id";
-- reverse: create index "flag_review_item_id" to table: "flags"
DROP INDEX "flag_review_item_id";
-- reverse: create "flags" table
DROP TABLE "flags";
-- reverse: create index "auditentry_target_type_target_id_id" to table: "audit_entries"
DROP INDEX "auditentry_target_type_target_id_id";
-- reverse: create index "auditentry_reverts_id" to table: "audit_entries"
DROP INDEX "auditentry_reverts_id";
-- reverse: create index "auditentry_created_at" to table: "audit_entries"
DROP INDEX "auditentry_created_at";
-- reverse: create index "auditentry_actor_id_id" to table: "audit_entries"
DROP INDEX "auditentry_actor_id_id";
-- reverse: create index "auditentry_action_id" to table: "audit_entries"
DROP INDEX "auditentry_action_id";
-- reverse: create "audit_entries" table
DROP TABLE "audit_entries";
-- reverse: modify "users" table
ALTER TABLE "users" DROP COLUMN "days_visited", DROP COLUMN "trust_level_locked";
-- reverse: modify "topics" table
ALTER TABLE "topics" DROP COLUMN "hidden_at";
-- reverse: modify "posts" table
ALTER TABLE "posts" DROP COLUMN "hidden_reason", DROP COLUMN "hidden_at", DROP COLUMN "pending";
