-- The website widget: each org's settings, visitor sessions, and which
-- conversations each session started.

CREATE TABLE widgets (
    org_id     BIGINT PRIMARY KEY REFERENCES orgs (id) ON DELETE CASCADE,
    settings   TEXT   NOT NULL,            -- JSON (widget.Settings)
    secret     TEXT   NOT NULL DEFAULT '', -- identity secret, sealed with the secret key
    updated_at BIGINT NOT NULL
);

CREATE TABLE visitor_sessions (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    org_id     BIGINT  NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    token_hash TEXT    NOT NULL UNIQUE,    -- keyed hash of the raw token
    contact_id BIGINT  REFERENCES contacts (id) ON DELETE SET NULL,
    verified   INTEGER NOT NULL DEFAULT 0, -- tied to its contact by a signed identity
    created_at BIGINT  NOT NULL
);
CREATE INDEX visitor_sessions_contact ON visitor_sessions (contact_id);

CREATE TABLE visitor_conversations (
    conversation_id BIGINT PRIMARY KEY REFERENCES conversations (id) ON DELETE CASCADE,
    session_id      BIGINT NOT NULL REFERENCES visitor_sessions (id) ON DELETE CASCADE,
    org_id          BIGINT NOT NULL,
    read_message_id BIGINT NOT NULL DEFAULT 0 -- the visitor has read up to this message
);
CREATE INDEX visitor_conversations_session ON visitor_conversations (session_id, conversation_id);

