-- Orgs, tokens, users, contacts and the event outbox.
-- Numeric ids come from identity sequences, global across orgs.

CREATE TABLE orgs (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    name       TEXT   NOT NULL,
    created_at BIGINT NOT NULL
);

CREATE TABLE tokens (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    org_id       BIGINT NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    app_id       BIGINT NOT NULL DEFAULT 0,
    name         TEXT   NOT NULL DEFAULT '',
    hash         TEXT   NOT NULL UNIQUE, -- keyed SHA-256 of the raw token
    hint         TEXT   NOT NULL,
    scopes       TEXT   NOT NULL,        -- space-separated
    created_at   BIGINT NOT NULL,
    expires_at   BIGINT NOT NULL DEFAULT 0,
    revoked_at   BIGINT NOT NULL DEFAULT 0,
    last_used_at BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX tokens_org ON tokens (org_id);

CREATE TABLE users (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    org_id       BIGINT  NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    name         TEXT    NOT NULL DEFAULT '',
    alias        TEXT    NOT NULL DEFAULT '',
    email        TEXT    NOT NULL DEFAULT '',
    phone        TEXT    NOT NULL DEFAULT '',
    locale       TEXT    NOT NULL DEFAULT '',
    availability TEXT    NOT NULL DEFAULT 'AVAILABLE',
    role         TEXT    NOT NULL DEFAULT 'member',
    time_zone    TEXT    NOT NULL DEFAULT '',
    avatar_url   TEXT    NOT NULL DEFAULT '',
    verified     INTEGER NOT NULL DEFAULT 0,
    bot          INTEGER NOT NULL DEFAULT 0,
    created_at   BIGINT  NOT NULL,
    updated_at   BIGINT  NOT NULL
);
CREATE INDEX users_org ON users (org_id);

CREATE TABLE contacts (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    org_id      BIGINT NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    email_norm  TEXT,            -- lower-cased email, for lookups
    external_id TEXT,
    attributes  TEXT   NOT NULL, -- JSON object
    created_at  BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL
);
-- Drift's rule: an email is unique among contacts without an externalId;
-- with an externalId, the externalId is what must be unique.
CREATE UNIQUE INDEX contacts_email_unique ON contacts (org_id, email_norm) WHERE external_id IS NULL;
CREATE UNIQUE INDEX contacts_external_unique ON contacts (org_id, external_id) WHERE external_id IS NOT NULL;
CREATE INDEX contacts_email ON contacts (org_id, email_norm);

CREATE TABLE contact_attributes (
    org_id BIGINT NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    name   TEXT   NOT NULL,
    type   TEXT   NOT NULL,
    PRIMARY KEY (org_id, name)
);

CREATE TABLE timeline_events (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    org_id      BIGINT NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    contact_id  BIGINT NOT NULL REFERENCES contacts (id) ON DELETE CASCADE,
    event       TEXT   NOT NULL,
    attributes  TEXT,
    created_at  BIGINT NOT NULL
);
CREATE INDEX timeline_events_contact ON timeline_events (contact_id);

-- The transactional outbox: written in the same transaction as the change.
CREATE TABLE events (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    org_id     BIGINT NOT NULL,
    type       TEXT   NOT NULL,
    data       TEXT   NOT NULL, -- JSON
    created_at BIGINT NOT NULL
);
CREATE INDEX events_org ON events (org_id, id);

-- Things that must happen once per database, claimed by inserting a row.
CREATE TABLE once (
    name       TEXT   PRIMARY KEY,
    created_at BIGINT NOT NULL
);
