-- OAuth 2.0 for apps, token hygiene and the audit log (issue 7, parts 1-3).

-- An app's optional IP allowlist: space-separated addresses and CIDR
-- prefixes; empty allows every address.
ALTER TABLE apps ADD COLUMN allowed_ips TEXT NOT NULL DEFAULT '';

-- The OAuth grant an access token belongs to (0: none, e.g. an install token).
ALTER TABLE tokens ADD COLUMN grant_id BIGINT NOT NULL DEFAULT 0;
CREATE INDEX tokens_app ON tokens (app_id);
CREATE INDEX tokens_grant ON tokens (grant_id) WHERE grant_id <> 0;

-- One authorization code and the chain of tokens it was exchanged for.
CREATE TABLE oauth_grants (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    app_id      BIGINT NOT NULL REFERENCES apps (id) ON DELETE CASCADE,
    org_id      BIGINT NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    scopes      TEXT   NOT NULL, -- space-separated
    created_at  BIGINT NOT NULL,
    revoked_at  BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX oauth_grants_app_org ON oauth_grants (app_id, org_id);

-- Authorization codes, by keyed hash: single-use and short-lived.
CREATE TABLE oauth_codes (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    hash           TEXT   NOT NULL UNIQUE,
    app_id         BIGINT NOT NULL REFERENCES apps (id) ON DELETE CASCADE,
    org_id         BIGINT NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    redirect_uri   TEXT   NOT NULL,
    scopes         TEXT   NOT NULL,
    code_challenge TEXT   NOT NULL DEFAULT '', -- PKCE S256 challenge
    grant_id       BIGINT NOT NULL DEFAULT 0,  -- set when redeemed
    created_at     BIGINT NOT NULL,
    expires_at     BIGINT NOT NULL,
    used_at        BIGINT NOT NULL DEFAULT 0
);

-- Refresh tokens, by keyed hash. Each is used once: using it issues the next.
CREATE TABLE oauth_refresh_tokens (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    grant_id   BIGINT NOT NULL REFERENCES oauth_grants (id) ON DELETE CASCADE,
    hash       TEXT   NOT NULL UNIQUE,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL DEFAULT 0,
    used_at    BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX oauth_refresh_tokens_grant ON oauth_refresh_tokens (grant_id);

-- Every token use and refused OAuth attempt. Append-only: no code path
-- updates or deletes its rows (org deletion aside).
CREATE TABLE audit_log (
    id        INTEGER PRIMARY KEY AUTOINCREMENT,
    org_id    BIGINT  NOT NULL, -- 0 when no org is known (an unknown client)
    token_id  BIGINT  NOT NULL DEFAULT 0,
    app_id    BIGINT  NOT NULL DEFAULT 0,
    kind      TEXT    NOT NULL, -- use | refused | anomaly
    at        BIGINT  NOT NULL,
    client_ip TEXT    NOT NULL DEFAULT '',
    method    TEXT    NOT NULL DEFAULT '',
    route     TEXT    NOT NULL DEFAULT '',
    status    INTEGER NOT NULL DEFAULT 0,
    row_count BIGINT  NOT NULL DEFAULT 0, -- rows the answer carried, where cheap to know
    detail    TEXT    NOT NULL DEFAULT ''
);
CREATE INDEX audit_log_org ON audit_log (org_id, id);
CREATE INDEX audit_log_token ON audit_log (token_id, id);
