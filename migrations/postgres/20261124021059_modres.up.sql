-- modify "resources" table
ALTER TABLE "resources" ADD COLUMN "hidden_at" timestamptz NULL, ADD COLUMN "hidden_reason" character varying NOT NULL DEFAULT '';
