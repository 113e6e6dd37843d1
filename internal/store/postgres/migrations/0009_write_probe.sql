-- One row that /readyz rewrites to learn whether the database takes writes,
-- only when no other write told it lately (store.DB.Ready).
CREATE TABLE write_probe (
    id INTEGER PRIMARY KEY,
    probed_at BIGINT NOT NULL
);
