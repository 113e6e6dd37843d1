-- Apps (Drift's unit of integration), their installations in orgs, and the
-- webhook deliveries of outbox events to them, with every attempt kept.

CREATE TABLE apps (
    id                  INTEGER PRIMARY KEY AUTOINCREMENT,
    org_id              BIGINT  NOT NULL REFERENCES orgs (id) ON DELETE CASCADE, -- the owner
    name                TEXT    NOT NULL,
    client_id           TEXT    NOT NULL UNIQUE,
    client_secret_hash  TEXT    NOT NULL, -- keyed hash, like tokens
    verification_token  TEXT    NOT NULL, -- sealed with the secret key
    signing_secret      TEXT    NOT NULL, -- sealed with the secret key
    redirect_uris       TEXT    NOT NULL, -- JSON array
    scopes              TEXT    NOT NULL, -- space-separated
    webhook_url         TEXT    NOT NULL DEFAULT '',
    events              TEXT    NOT NULL, -- space-separated event types
    public              INTEGER NOT NULL DEFAULT 0,
    webhook_disabled_at BIGINT  NOT NULL DEFAULT 0, -- set when the endpoint answered 410
    created_at          BIGINT  NOT NULL,
    updated_at          BIGINT  NOT NULL
);
CREATE INDEX apps_org ON apps (org_id);

CREATE TABLE installations (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    app_id         BIGINT NOT NULL REFERENCES apps (id) ON DELETE CASCADE,
    org_id         BIGINT NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    scopes         TEXT   NOT NULL, -- space-separated, a subset of the app's
    created_at     BIGINT NOT NULL,
    uninstalled_at BIGINT NOT NULL DEFAULT 0,
    UNIQUE (app_id, org_id)
);
CREATE INDEX installations_org ON installations (org_id);

-- Fan-out marks each outbox event once it has become deliveries. A flag, not
-- a cursor: on PostgreSQL ids commit out of order, so a cursor would skip an
-- event whose transaction committed after a later one's.
ALTER TABLE events ADD COLUMN fanned_out INTEGER NOT NULL DEFAULT 0;
CREATE INDEX events_not_fanned_out ON events (id) WHERE NOT fanned_out;

-- One delivery per event and subscribed installation.
CREATE TABLE deliveries (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    app_id          BIGINT  NOT NULL REFERENCES apps (id) ON DELETE CASCADE,
    org_id          BIGINT  NOT NULL, -- the event's (installing) org
    event_id        BIGINT  NOT NULL,
    event_type      TEXT    NOT NULL,
    webhook_id      TEXT    NOT NULL, -- Standard Webhooks webhook-id, stable across retries
    status          TEXT    NOT NULL, -- pending, succeeded, failed
    attempts        INTEGER NOT NULL DEFAULT 0,
    step            INTEGER NOT NULL DEFAULT 0, -- index into the retry schedule
    next_attempt_at BIGINT  NOT NULL,
    leased_until    BIGINT  NOT NULL DEFAULT 0,
    lease_owner     TEXT    NOT NULL DEFAULT '',
    last_status     INTEGER NOT NULL DEFAULT 0,
    last_error      TEXT    NOT NULL DEFAULT '',
    delivered_at    BIGINT  NOT NULL DEFAULT 0,
    created_at      BIGINT  NOT NULL,
    updated_at      BIGINT  NOT NULL,
    UNIQUE (event_id, app_id)
);
CREATE INDEX deliveries_due ON deliveries (next_attempt_at) WHERE status = 'pending';
CREATE INDEX deliveries_app ON deliveries (app_id, id);

CREATE TABLE delivery_attempts (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    delivery_id  BIGINT  NOT NULL REFERENCES deliveries (id) ON DELETE CASCADE,
    attempted_at BIGINT  NOT NULL,
    status_code  INTEGER NOT NULL DEFAULT 0,
    latency_ms   BIGINT  NOT NULL DEFAULT 0,
    response     TEXT    NOT NULL DEFAULT '', -- the first bytes of the answer
    error        TEXT    NOT NULL DEFAULT '',
    outcome      TEXT    NOT NULL -- succeeded, retry, failed, disabled
);
CREATE INDEX delivery_attempts_delivery ON delivery_attempts (delivery_id, id);
