-- reverse: create index "authtoken_user_id_kind" to table: "auth_tokens"
DROP INDEX "authtoken_user_id_kind";
-- reverse: create index "auth_tokens_token_hash_key" to table: "auth_tokens"
DROP INDEX "auth_tokens_token_hash_key";
-- reverse: create "auth_tokens" table
DROP TABLE "auth_tokens";
-- reverse: create index "users_username_key_key" to table: "users"
DROP INDEX "users_username_key_key";
-- reverse: create index "users_external_id_key" to table: "users"
DROP INDEX "users_external_id_key";
-- reverse: create index "users_email_key_key" to table: "users"
DROP INDEX "users_email_key_key";
-- reverse: create index "user_role" to table: "users"
DROP INDEX "user_role";
-- reverse: create "users" table
DROP TABLE "users";
