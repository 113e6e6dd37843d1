-- The transaction that wrote each event, so that event streams read only
-- events no running transaction can still precede: ids are taken before
-- commit, and a transaction holding a lower id may commit after a higher
-- one has been read (store.Dialect.SettledEvents).
ALTER TABLE events ADD COLUMN txid xid8 NOT NULL DEFAULT pg_current_xact_id();
