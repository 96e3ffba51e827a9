-- reverse: create index "user_graph_opt_out" to table: "users"
DROP INDEX `user_graph_opt_out`;
-- reverse: create index "user_role" to table: "users"
DROP INDEX `user_role`;
-- reverse: create index "users_external_id_key" to table: "users"
DROP INDEX `users_external_id_key`;
-- reverse: create index "users_email_key_key" to table: "users"
DROP INDEX `users_email_key_key`;
-- reverse: create index "users_username_key_key" to table: "users"
DROP INDEX `users_username_key_key`;
-- reverse: create "new_users" table
DROP TABLE `new_users`;
