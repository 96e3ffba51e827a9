-- reverse: create "topic_tags" table
DROP TABLE `topic_tags`;
-- reverse: create "forum_moderators" table
DROP TABLE `forum_moderators`;
-- reverse: create index "usermute_user_id_muted_user_id" to table: "user_mutes"
DROP INDEX `usermute_user_id_muted_user_id`;
-- reverse: create "user_mutes" table
DROP TABLE `user_mutes`;
-- reverse: create index "topicuser_topic_id_level" to table: "topic_users"
DROP INDEX `topicuser_topic_id_level`;
-- reverse: create index "topicuser_user_id_topic_id" to table: "topic_users"
DROP INDEX `topicuser_user_id_topic_id`;
-- reverse: create "topic_users" table
DROP TABLE `topic_users`;
-- reverse: create index "topic_pinned_globally" to table: "topics"
DROP INDEX `topic_pinned_globally`;
-- reverse: create index "topic_user_id_created_at" to table: "topics"
DROP INDEX `topic_user_id_created_at`;
-- reverse: create index "topic_forum_id_created_at_id" to table: "topics"
DROP INDEX `topic_forum_id_created_at_id`;
-- reverse: create index "topic_forum_id_last_posted_at_id" to table: "topics"
DROP INDEX `topic_forum_id_last_posted_at_id`;
-- reverse: create "topics" table
DROP TABLE `topics`;
-- reverse: create index "tags_name_key" to table: "tags"
DROP INDEX `tags_name_key`;
-- reverse: create "tags" table
DROP TABLE `tags`;
-- reverse: create index "reaction_user_id" to table: "reactions"
DROP INDEX `reaction_user_id`;
-- reverse: create index "reaction_post_id_user_id_kind" to table: "reactions"
DROP INDEX `reaction_post_id_user_id_kind`;
-- reverse: create "reactions" table
DROP TABLE `reactions`;
-- reverse: create index "postrevision_post_id_version" to table: "post_revisions"
DROP INDEX `postrevision_post_id_version`;
-- reverse: create "post_revisions" table
DROP TABLE `post_revisions`;
-- reverse: create index "post_user_id_created_at" to table: "posts"
DROP INDEX `post_user_id_created_at`;
-- reverse: create index "post_topic_id_post_number" to table: "posts"
DROP INDEX `post_topic_id_post_number`;
-- reverse: create "posts" table
DROP TABLE `posts`;
-- reverse: create index "notification_user_id_id" to table: "notifications"
DROP INDEX `notification_user_id_id`;
-- reverse: create index "notification_user_id_read_at" to table: "notifications"
DROP INDEX `notification_user_id_read_at`;
-- reverse: create index "notification_user_id_event_id" to table: "notifications"
DROP INDEX `notification_user_id_event_id`;
-- reverse: create "notifications" table
DROP TABLE `notifications`;
-- reverse: create index "forumsubscription_forum_id_level" to table: "forum_subscriptions"
DROP INDEX `forumsubscription_forum_id_level`;
-- reverse: create index "forumsubscription_user_id_forum_id" to table: "forum_subscriptions"
DROP INDEX `forumsubscription_user_id_forum_id`;
-- reverse: create "forum_subscriptions" table
DROP TABLE `forum_subscriptions`;
-- reverse: create index "forum_parent_id_position" to table: "forums"
DROP INDEX `forum_parent_id_position`;
-- reverse: create index "forums_slug_key" to table: "forums"
DROP INDEX `forums_slug_key`;
-- reverse: create "forums" table
DROP TABLE `forums`;
-- reverse: create index "event_cursors_name_key" to table: "event_cursors"
DROP INDEX `event_cursors_name_key`;
-- reverse: create "event_cursors" table
DROP TABLE `event_cursors`;
-- reverse: create index "event_created_at" to table: "events"
DROP INDEX `event_created_at`;
-- reverse: create index "event_topic_id_id" to table: "events"
DROP INDEX `event_topic_id_id`;
-- reverse: create "events" table
DROP TABLE `events`;
-- reverse: create index "bookmark_user_id_post_id" to table: "bookmarks"
DROP INDEX `bookmark_user_id_post_id`;
-- reverse: create "bookmarks" table
DROP TABLE `bookmarks`;
