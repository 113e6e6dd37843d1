-- The revocation log: every change that ends credentials (or changes what a
-- cached token carries, as an app's IP allowlist), written in the same
-- transaction, so that the token cache of every replica drops what it names
-- (auth.Cache). A row names the tokens matching all its non-zero ids. Rows
-- are pruned after a day: a replica that has not read the log for that long
-- has stopped answering from its cache long before.
CREATE TABLE revocations (
    id       INTEGER PRIMARY KEY AUTOINCREMENT,
    org_id   BIGINT NOT NULL DEFAULT 0,
    app_id   BIGINT NOT NULL DEFAULT 0,
    grant_id BIGINT NOT NULL DEFAULT 0,
    token_id BIGINT NOT NULL DEFAULT 0,
    at       BIGINT NOT NULL
);

-- For the pruning that every revoking transaction runs.
CREATE INDEX revocations_at ON revocations (at);
