-- Conversations, their messages, and the files messages carry.

CREATE TABLE conversations (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    org_id       BIGINT NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    contact_id   BIGINT NOT NULL, -- no foreign key: a deleted contact's conversations stay
    inbox_id     BIGINT NOT NULL,
    status       TEXT   NOT NULL,
    participants TEXT   NOT NULL DEFAULT '[]', -- JSON array of user ids, in order of joining
    tags         TEXT   NOT NULL DEFAULT '[]', -- JSON array of {color, name}
    created_at   BIGINT NOT NULL,
    updated_at   BIGINT NOT NULL
);
-- Lists page by (updated_at, id) descending, with or without a status filter.
CREATE INDEX conversations_org_updated ON conversations (org_id, updated_at DESC, id DESC);
CREATE INDEX conversations_org_status ON conversations (org_id, status, updated_at DESC, id DESC);
CREATE INDEX conversations_contact ON conversations (contact_id);

CREATE TABLE messages (
    id                INTEGER PRIMARY KEY AUTOINCREMENT,
    org_id            BIGINT NOT NULL,
    conversation_id   BIGINT NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
    type              TEXT   NOT NULL,
    body              TEXT   NOT NULL,
    author_type       TEXT   NOT NULL,
    author_id         BIGINT NOT NULL,
    author_bot        INTEGER NOT NULL DEFAULT 0,
    buttons           TEXT,            -- JSON array, NULL when none
    attributes        TEXT,            -- JSON object, NULL when none
    edited_message_id BIGINT NOT NULL DEFAULT 0,
    edit_type         TEXT   NOT NULL DEFAULT '',
    attachments       TEXT,            -- JSON array of {id, fileName, mimeType}, NULL when none
    created_at        BIGINT NOT NULL
);
CREATE INDEX messages_conversation ON messages (conversation_id, id);

CREATE TABLE attachments (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    org_id     BIGINT NOT NULL,
    message_id BIGINT NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
    file_name  TEXT   NOT NULL,
    mime_type  TEXT   NOT NULL,
    data       BLOB   NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX attachments_message ON attachments (message_id);
