-- Dependency statements (VEX, docs/vex.md): what a project says about a vulnerability in
-- a component it ships or depends on. A statement that is not public may name a
-- component the project has not said it ships, or an embargoed vulnerability: its
-- content (the statement, its author, what an import kept beside it) is sealed, per
-- version, in `statement_versions`; in clear is only what queries need: the project,
-- the public flag, the expiry, the times and the version.
CREATE TABLE statements (
    id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    project_id   BIGINT  NOT NULL REFERENCES projects (id),
    public       BIGINT  NOT NULL CHECK (public IN (0, 1)),
    until        TEXT,    -- YYYY-MM-DD: the statement expires then
    created_at   BIGINT  NOT NULL,
    updated_at   BIGINT  NOT NULL,
    version      BIGINT  NOT NULL, -- the version in `statement_versions` that is current
    withdrawn_at BIGINT   -- withdrawn statements are kept, with their history
);
CREATE INDEX statements_project ON statements (project_id, withdrawn_at, public);

-- Every version of every statement, the current one included: added, edited,
-- imported (replaced by an import) or withdrawn (the statement as it was withdrawn,
-- by whom). Append-only, as the audit log.
CREATE TABLE statement_versions (
    statement_id   BIGINT  NOT NULL REFERENCES statements (id),
    version        BIGINT  NOT NULL,
    change         TEXT    NOT NULL CHECK (change IN ('added', 'edited', 'imported', 'withdrawn')),
    at             BIGINT  NOT NULL,
    content_sealed BYTEA   NOT NULL, -- {statement, author, extra} as JSON
    PRIMARY KEY (statement_id, version)
);

CREATE FUNCTION statement_versions_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'statement history is append-only: % is not allowed', TG_OP;
END;
$$;
CREATE TRIGGER statement_versions_no_update BEFORE UPDATE ON statement_versions
    FOR EACH ROW EXECUTE FUNCTION statement_versions_append_only();
CREATE TRIGGER statement_versions_no_delete BEFORE DELETE ON statement_versions
    FOR EACH ROW EXECUTE FUNCTION statement_versions_append_only();
CREATE TRIGGER statement_versions_no_truncate BEFORE TRUNCATE ON statement_versions
    FOR EACH STATEMENT EXECUTE FUNCTION statement_versions_append_only();

-- What a Dependency-Check suppression file says besides statements (rules by CPE, hash,
-- file path, score), per project and file name: a suppression document of its own,
-- sealed, written back by the next export so that a file round-trips. Replaced when a
-- file of the same name is imported again.
CREATE TABLE statement_rules (
    project_id     BIGINT  NOT NULL REFERENCES projects (id),
    source         TEXT    NOT NULL, -- the file's name
    public         BIGINT  NOT NULL CHECK (public IN (0, 1)),
    updated_at     BIGINT  NOT NULL,
    content_sealed BYTEA   NOT NULL,
    PRIMARY KEY (project_id, source)
);
