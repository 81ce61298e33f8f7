-- The data key's check value (docs/confidentiality.md#the-data-key-check): a keyed
-- digest of a fixed label under a key derived from the data key, never the key. The
-- first node to open the database writes it; every later open compares, and a node
-- started with another key refuses to start instead of sealing reports that no other
-- node can open.
CREATE TABLE key_check (
    id          INTEGER PRIMARY KEY CHECK (id = 1), -- one database, one data key
    check_value TEXT    NOT NULL,
    created_at  INTEGER NOT NULL
);
