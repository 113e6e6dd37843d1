-- The agent inbox (issue 18): users' passwords, invitations, browser
-- sessions, and who a conversation is assigned to.

-- An argon2id hash in PHC string form; '' until the user sets a password.
ALTER TABLE users ADD COLUMN password_hash TEXT NOT NULL DEFAULT '';

-- The user a conversation is assigned to (0: unassigned): the inbox's
-- Mine and Unassigned views.
ALTER TABLE conversations ADD COLUMN assignee_id BIGINT NOT NULL DEFAULT 0;
CREATE INDEX conversations_assignee ON conversations (org_id, assignee_id, updated_at);

-- One-time links to set a password; only the keyed hash of the token is kept.
CREATE TABLE user_invites (
    token_hash TEXT   PRIMARY KEY,
    org_id     BIGINT NOT NULL,
    user_id    BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    expires_at BIGINT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX user_invites_user ON user_invites (user_id);

-- Signed-in browsers; only the keyed hash of the cookie's token is kept.
CREATE TABLE user_sessions (
    token_hash   TEXT   PRIMARY KEY,
    org_id       BIGINT NOT NULL,
    user_id      BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at   BIGINT NOT NULL,
    last_seen_at BIGINT NOT NULL
);
CREATE INDEX user_sessions_user ON user_sessions (user_id);

-- Canned replies: an org's saved answers, inserted with / in the composer.
CREATE TABLE canned_replies (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    org_id     BIGINT NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    shortcut   TEXT   NOT NULL,
    body       TEXT   NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX canned_replies_shortcut ON canned_replies (org_id, shortcut);
