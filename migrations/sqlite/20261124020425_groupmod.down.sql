-- reverse: create index "reviewitem_group_id_status" to table: "review_items"
DROP INDEX `reviewitem_group_id_status`;
-- reverse: create index "reviewitem_status_id" to table: "review_items"
DROP INDEX `reviewitem_status_id`;
-- reverse: create index "reviewitem_target_type_target_id_status" to table: "review_items"
DROP INDEX `reviewitem_target_type_target_id_status`;
-- reverse: create "new_review_items" table
DROP TABLE `new_review_items`;
-- reverse: create index "auditentry_group_id_id" to table: "audit_entries"
DROP INDEX `auditentry_group_id_id`;
-- reverse: create index "auditentry_reverts_id" to table: "audit_entries"
DROP INDEX `auditentry_reverts_id`;
-- reverse: create index "auditentry_created_at" to table: "audit_entries"
DROP INDEX `auditentry_created_at`;
-- reverse: create index "auditentry_action_id" to table: "audit_entries"
DROP INDEX `auditentry_action_id`;
-- reverse: create index "auditentry_target_type_target_id_id" to table: "audit_entries"
DROP INDEX `auditentry_target_type_target_id_id`;
-- reverse: create index "auditentry_actor_id_id" to table: "audit_entries"
DROP INDEX `auditentry_actor_id_id`;
-- reverse: create "new_audit_entries" table
DROP TABLE `new_audit_entries`;
