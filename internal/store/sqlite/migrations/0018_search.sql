-- The inbox's search (issue 18): one entry of words per message and per
-- contact (internal/search), written in the transaction that writes the
-- message or the contact. Entries of messages and contacts written before
-- this migration are added by its Go step (store.backfillSearch).
CREATE TABLE search_entries (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    org_id          BIGINT NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    contact_id      BIGINT NOT NULL,
    conversation_id BIGINT NOT NULL, -- 0: the contact's own entry
    message_id      BIGINT NOT NULL, -- 0: the contact's own entry
    words           TEXT   NOT NULL
);
CREATE UNIQUE INDEX search_entries_ref ON search_entries (contact_id, message_id);
CREATE INDEX search_entries_org ON search_entries (org_id, message_id);

-- SQLite: an FTS5 index over the entries' words (external content: the
-- words are stored once, in search_entries), kept by triggers, so in the
-- same transaction as the entry.
CREATE VIRTUAL TABLE search_fts USING fts5(words, content = 'search_entries', content_rowid = 'id',
    tokenize = 'unicode61 remove_diacritics 0');
CREATE TRIGGER search_entries_insert AFTER INSERT ON search_entries BEGIN
    INSERT INTO search_fts (rowid, words) VALUES (new.id, new.words);
END;
CREATE TRIGGER search_entries_delete AFTER DELETE ON search_entries BEGIN
    INSERT INTO search_fts (search_fts, rowid, words) VALUES ('delete', old.id, old.words);
END;
CREATE TRIGGER search_entries_update AFTER UPDATE OF words ON search_entries BEGIN
    INSERT INTO search_fts (search_fts, rowid, words) VALUES ('delete', old.id, old.words);
    INSERT INTO search_fts (rowid, words) VALUES (new.id, new.words);
END;
