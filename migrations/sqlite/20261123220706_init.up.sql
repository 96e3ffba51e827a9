-- create "auth_tokens" table
CREATE TABLE `auth_tokens` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `kind` text NOT NULL, `token_hash` text NOT NULL, `name` text NOT NULL DEFAULT (''), `user_agent` text NOT NULL DEFAULT (''), `ip` text NOT NULL DEFAULT (''), `created_at` datetime NOT NULL, `expires_at` datetime NULL, `last_used_at` datetime NULL, `revoked_at` datetime NULL, `user_id` integer NOT NULL, CONSTRAINT `auth_tokens_users_tokens` FOREIGN KEY (`user_id`) REFERENCES `users` (`id`) ON DELETE CASCADE);
-- create index "auth_tokens_token_hash_key" to table: "auth_tokens"
CREATE UNIQUE INDEX `auth_tokens_token_hash_key` ON `auth_tokens` (`token_hash`);
-- create index "authtoken_user_id_kind" to table: "auth_tokens"
CREATE INDEX `authtoken_user_id_kind` ON `auth_tokens` (`user_id`, `kind`);
-- create "users" table
CREATE TABLE `users` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `username` text NOT NULL, `username_key` text NOT NULL, `email` text NOT NULL, `email_key` text NOT NULL, `display_name` text NOT NULL DEFAULT (''), `bio` text NOT NULL DEFAULT (''), `avatar_url` text NOT NULL DEFAULT (''), `locale` text NOT NULL DEFAULT ('en'), `role` text NOT NULL DEFAULT ('member'), `trust_level` integer NOT NULL DEFAULT (0), `status` text NOT NULL DEFAULT ('active'), `password_hash` text NOT NULL, `last_seen_at` datetime NULL, `external_id` text NULL, `crm_attributes` json NULL);
-- create index "users_username_key_key" to table: "users"
CREATE UNIQUE INDEX `users_username_key_key` ON `users` (`username_key`);
-- create index "users_email_key_key" to table: "users"
CREATE UNIQUE INDEX `users_email_key_key` ON `users` (`email_key`);
-- create index "users_external_id_key" to table: "users"
CREATE UNIQUE INDEX `users_external_id_key` ON `users` (`external_id`);
-- create index "user_role" to table: "users"
CREATE INDEX `user_role` ON `users` (`role`);
