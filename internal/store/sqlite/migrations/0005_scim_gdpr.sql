-- SCIM attributes of users (issue 7, part 4) and durable GDPR requests (part 5).

-- A user's SCIM identity. user_name '' means "not set": SCIM shows the email.
ALTER TABLE users ADD COLUMN active      INTEGER NOT NULL DEFAULT 1;
ALTER TABLE users ADD COLUMN user_name   TEXT    NOT NULL DEFAULT '';
ALTER TABLE users ADD COLUMN given_name  TEXT    NOT NULL DEFAULT '';
ALTER TABLE users ADD COLUMN family_name TEXT    NOT NULL DEFAULT '';
ALTER TABLE users ADD COLUMN formatted_name TEXT NOT NULL DEFAULT '';
ALTER TABLE users ADD COLUMN external_id TEXT    NOT NULL DEFAULT '';
-- RFC 7643: userName is unique and case-insensitive.
CREATE UNIQUE INDEX users_user_name ON users (org_id, lower(user_name)) WHERE user_name <> '';

CREATE TABLE gdpr_requests (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    org_id     BIGINT NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    kind       TEXT   NOT NULL, -- retrieve | delete
    email      TEXT   NOT NULL, -- cleared once a delete of it completes
    status     TEXT   NOT NULL, -- pending | done
    export     TEXT,            -- JSON, retrieve only
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX gdpr_requests_pending ON gdpr_requests (status, id);
CREATE INDEX gdpr_requests_org ON gdpr_requests (org_id, id);
