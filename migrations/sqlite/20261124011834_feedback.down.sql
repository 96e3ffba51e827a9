-- reverse: create index "feedbackvote_origin_item_id" to table: "feedback_votes"
DROP INDEX `feedbackvote_origin_item_id`;
-- reverse: create index "feedbackvote_item_id_created_at" to table: "feedback_votes"
DROP INDEX `feedbackvote_item_id_created_at`;
-- reverse: create index "feedbackvote_item_id_active" to table: "feedback_votes"
DROP INDEX `feedbackvote_item_id_active`;
-- reverse: create index "feedbackvote_user_id_origin_item_id" to table: "feedback_votes"
DROP INDEX `feedbackvote_user_id_origin_item_id`;
-- reverse: create "feedback_votes" table
DROP TABLE `feedback_votes`;
-- reverse: create index "feedbackstatuschange_item_id_created_at" to table: "feedback_status_changes"
DROP INDEX `feedbackstatuschange_item_id_created_at`;
-- reverse: create "feedback_status_changes" table
DROP TABLE `feedback_status_changes`;
-- reverse: create index "feedbacksatisfaction_forum_id_created_at" to table: "feedback_satisfactions"
DROP INDEX `feedbacksatisfaction_forum_id_created_at`;
-- reverse: create index "feedbacksatisfaction_topic_id_user_id" to table: "feedback_satisfactions"
DROP INDEX `feedbacksatisfaction_topic_id_user_id`;
-- reverse: create "feedback_satisfactions" table
DROP TABLE `feedback_satisfactions`;
-- reverse: create index "feedbacknote_item_id_id" to table: "feedback_notes"
DROP INDEX `feedbacknote_item_id_id`;
-- reverse: create "feedback_notes" table
DROP TABLE `feedback_notes`;
-- reverse: create index "feedbackitem_user_id" to table: "feedback_items"
DROP INDEX `feedbackitem_user_id`;
-- reverse: create index "feedbackitem_duplicate_of" to table: "feedback_items"
DROP INDEX `feedbackitem_duplicate_of`;
-- reverse: create index "feedbackitem_status" to table: "feedback_items"
DROP INDEX `feedbackitem_status`;
-- reverse: create index "feedbackitem_forum_id_created_at_id" to table: "feedback_items"
DROP INDEX `feedbackitem_forum_id_created_at_id`;
-- reverse: create index "feedbackitem_forum_id_vote_count_id" to table: "feedback_items"
DROP INDEX `feedbackitem_forum_id_vote_count_id`;
-- reverse: create "feedback_items" table
DROP TABLE `feedback_items`;
-- reverse: create index "forum_group_id" to table: "forums"
DROP INDEX `forum_group_id`;
-- reverse: create index "forum_parent_id_position" to table: "forums"
DROP INDEX `forum_parent_id_position`;
-- reverse: create index "forums_slug_key" to table: "forums"
DROP INDEX `forums_slug_key`;
-- reverse: create "new_forums" table
DROP TABLE `new_forums`;
