-- reverse: create index "userfollow_follower_id_followee_id" to table: "user_follows"
DROP INDEX "userfollow_follower_id_followee_id";
-- reverse: create index "userfollow_followee_id_created_at" to table: "user_follows"
DROP INDEX "userfollow_followee_id_created_at";
-- reverse: create "user_follows" table
DROP TABLE "user_follows";
-- reverse: create index "graphedge_src_id_dst_id_kind_scope_forum_id" to table: "graph_edges"
DROP INDEX "graphedge_src_id_dst_id_kind_scope_forum_id";
-- reverse: create index "graphedge_last_event_id" to table: "graph_edges"
DROP INDEX "graphedge_last_event_id";
-- reverse: create "graph_edges" table
DROP TABLE "graph_edges";
-- reverse: create index "graphaffiliation_user_id" to table: "graph_affiliations"
DROP INDEX "graphaffiliation_user_id";
-- reverse: create index "graphaffiliation_kind_ref_id_user_id" to table: "graph_affiliations"
DROP INDEX "graphaffiliation_kind_ref_id_user_id";
-- reverse: create "graph_affiliations" table
DROP TABLE "graph_affiliations";
-- reverse: create index "user_graph_opt_out" to table: "users"
DROP INDEX "user_graph_opt_out";
-- reverse: modify "users" table
ALTER TABLE "users" DROP COLUMN "graph_opt_out";
