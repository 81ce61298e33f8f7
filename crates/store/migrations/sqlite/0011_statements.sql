-- Dependency statements (VEX, docs/vex.md): what a project says about a vulnerability in
-- a component it ships or depends on. A statement that is not public may name a
-- component the project has not said it ships, or an embargoed vulnerability: its
-- content (the statement, its author, what an import kept beside it) is sealed, per
-- version, in `statement_versions`; in clear is only what queries need: the project,
-- the public flag, the expiry, the times and the version.
CREATE TABLE statements (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    project_id   INTEGER NOT NULL REFERENCES projects (id),
    public       INTEGER NOT NULL CHECK (public IN (0, 1)),
    until        TEXT,    -- YYYY-MM-DD: the statement expires then
    created_at   INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL,
    version      INTEGER NOT NULL, -- the version in `statement_versions` that is current
    withdrawn_at INTEGER  -- withdrawn statements are kept, with their history
);
CREATE INDEX statements_project ON statements (project_id, withdrawn_at, public);

-- Every version of every statement, the current one included: added, edited,
-- imported (replaced by an import) or withdrawn (the statement as it was withdrawn,
-- by whom). Append-only, as the audit log.
CREATE TABLE statement_versions (
    statement_id   INTEGER NOT NULL REFERENCES statements (id),
    version        INTEGER NOT NULL,
    change         TEXT    NOT NULL CHECK (change IN ('added', 'edited', 'imported', 'withdrawn')),
    at             INTEGER NOT NULL,
    content_sealed BLOB    NOT NULL, -- {statement, author, extra} as JSON
    PRIMARY KEY (statement_id, version)
);

CREATE TRIGGER statement_versions_no_update BEFORE UPDATE ON statement_versions
BEGIN
    SELECT RAISE(ABORT, 'statement history is append-only: UPDATE is not allowed');
END;
CREATE TRIGGER statement_versions_no_delete BEFORE DELETE ON statement_versions
BEGIN
    SELECT RAISE(ABORT, 'statement history is append-only: DELETE is not allowed');
END;

-- What a Dependency-Check suppression file says besides statements (rules by CPE, hash,
-- file path, score), per project and file name: a suppression document of its own,
-- sealed, written back by the next export so that a file round-trips. Replaced when a
-- file of the same name is imported again.
CREATE TABLE statement_rules (
    project_id     INTEGER NOT NULL REFERENCES projects (id),
    source         TEXT    NOT NULL, -- the file's name
    public         INTEGER NOT NULL CHECK (public IN (0, 1)),
    updated_at     INTEGER NOT NULL,
    content_sealed BLOB    NOT NULL,
    PRIMARY KEY (project_id, source)
);
