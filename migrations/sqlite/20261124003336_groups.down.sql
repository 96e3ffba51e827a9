-- reverse: create index "grouprequest_user_id_group_id" to table: "group_requests"
DROP INDEX `grouprequest_user_id_group_id`;
-- reverse: create index "grouprequest_group_id_status_id" to table: "group_requests"
DROP INDEX `grouprequest_group_id_status_id`;
-- reverse: create "group_requests" table
DROP TABLE `group_requests`;
-- reverse: create index "groupmember_group_id_status_role" to table: "group_members"
DROP INDEX `groupmember_group_id_status_role`;
-- reverse: create index "groupmember_user_id_status" to table: "group_members"
DROP INDEX `groupmember_user_id_status`;
-- reverse: create index "groupmember_group_id_user_id" to table: "group_members"
DROP INDEX `groupmember_group_id_user_id`;
-- reverse: create "group_members" table
DROP TABLE `group_members`;
-- reverse: create index "groupinvite_group_id_invitee_id" to table: "group_invites"
DROP INDEX `groupinvite_group_id_invitee_id`;
-- reverse: create index "group_invites_token_hash_key" to table: "group_invites"
DROP INDEX `group_invites_token_hash_key`;
-- reverse: create "group_invites" table
DROP TABLE `group_invites`;
-- reverse: create index "groups_slug_key" to table: "groups"
DROP INDEX `groups_slug_key`;
-- reverse: create "groups" table
DROP TABLE `groups`;
-- reverse: create index "forum_group_id" to table: "forums"
DROP INDEX `forum_group_id`;
-- reverse: create index "forum_parent_id_position" to table: "forums"
DROP INDEX `forum_parent_id_position`;
-- reverse: create index "forums_slug_key" to table: "forums"
DROP INDEX `forums_slug_key`;
-- reverse: create "new_forums" table
DROP TABLE `new_forums`;
-- reverse: create index "event_group_id_id" to table: "events"
DROP INDEX `event_group_id_id`;
-- reverse: create index "event_created_at" to table: "events"
DROP INDEX `event_created_at`;
-- reverse: create index "event_topic_id_id" to table: "events"
DROP INDEX `event_topic_id_id`;
-- reverse: create "new_events" table
DROP TABLE `new_events`;
