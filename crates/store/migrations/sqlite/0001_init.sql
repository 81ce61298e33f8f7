-- Embargo's schema for SQLite. Times are microseconds since the Unix epoch (UTC);
-- flags are INTEGER 0/1; report content is sealed (BLOB = nonce || ciphertext).

CREATE TABLE organisation (
    id             INTEGER PRIMARY KEY CHECK (id = 1), -- one installation, one organisation
    name           TEXT    NOT NULL,
    security_email TEXT    NOT NULL,
    created_at     INTEGER NOT NULL
);

CREATE TABLE users (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    email         TEXT    NOT NULL UNIQUE,
    name          TEXT    NOT NULL,
    org_team      INTEGER NOT NULL DEFAULT 0 CHECK (org_team IN (0, 1)),
    password_hash TEXT,
    created_at    INTEGER NOT NULL
);

CREATE TABLE credentials (
    digest     TEXT    PRIMARY KEY, -- SHA-256 of the token; the token itself is never stored
    user_id    INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    kind       TEXT    NOT NULL CHECK (kind IN ('session', 'api_token', 'setup_link')),
    csrf       TEXT,
    expires_at INTEGER,
    label      TEXT,
    created_at INTEGER NOT NULL
);
CREATE INDEX credentials_user ON credentials (user_id);
CREATE INDEX credentials_expiry ON credentials (expires_at) WHERE expires_at IS NOT NULL;

CREATE TABLE projects (
    id                 INTEGER PRIMARY KEY AUTOINCREMENT,
    slug               TEXT    NOT NULL UNIQUE,
    name               TEXT    NOT NULL,
    security_email     TEXT,
    users_list         TEXT,
    security_model_url TEXT,
    policy             TEXT    NOT NULL DEFAULT '{}', -- PolicyOverrides as JSON
    created_at         INTEGER NOT NULL,
    updated_at         INTEGER NOT NULL
);

CREATE TABLE project_members (
    project_id INTEGER NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    user_id    INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    PRIMARY KEY (project_id, user_id)
);
CREATE INDEX project_members_user ON project_members (user_id);

CREATE TABLE reports (
    id                  TEXT    PRIMARY KEY, -- EMB-XXXXXXXXXXXX
    project_id          INTEGER REFERENCES projects (id),
    state               TEXT    NOT NULL,
    closed              INTEGER NOT NULL CHECK (closed IN (0, 1)), -- rejected or announced
    channel             TEXT    NOT NULL,
    title_sealed        BLOB    NOT NULL, -- for dashboard rows, without opening the whole report
    content_sealed      BLOB    NOT NULL, -- the whole domain Report as JSON
    status_token_digest TEXT    NOT NULL UNIQUE,
    received_at         INTEGER NOT NULL,
    next_due            INTEGER,
    -- next_due, or the largest BIGINT when there is none: "soonest first, none last"
    -- as a plain indexable column, the same on both backends.
    due_key             INTEGER NOT NULL,
    cve_id              TEXT,
    version             INTEGER NOT NULL,
    updated_at          INTEGER NOT NULL
);
CREATE INDEX reports_dashboard ON reports (closed, due_key, received_at DESC);
CREATE INDEX reports_all_by_due ON reports (due_key, received_at DESC);
CREATE INDEX reports_project ON reports (project_id, closed, due_key, received_at DESC);
-- The API lists a project's reports closed ones included: without this, a sort of every row.
CREATE INDEX reports_project_all ON reports (project_id, due_key, received_at DESC);
CREATE INDEX reports_state ON reports (state, due_key, received_at DESC);
CREATE UNIQUE INDEX reports_cve ON reports (cve_id) WHERE cve_id IS NOT NULL;

CREATE TABLE messages (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    report_id    TEXT    NOT NULL REFERENCES reports (id) ON DELETE CASCADE,
    kind         TEXT    NOT NULL CHECK (kind IN ('reporter', 'team', 'note', 'system')),
    author_id    INTEGER REFERENCES users (id),
    author_label TEXT    NOT NULL,
    body_sealed  BLOB    NOT NULL,
    created_at   INTEGER NOT NULL
);
CREATE INDEX messages_report ON messages (report_id, id);

CREATE TABLE audit (
    id        INTEGER PRIMARY KEY AUTOINCREMENT,
    report_id TEXT    REFERENCES reports (id),
    at        INTEGER NOT NULL,
    actor     TEXT    NOT NULL,
    action    TEXT    NOT NULL,
    detail    TEXT    NOT NULL -- never report content (domain rule), so not sealed
);
CREATE INDEX audit_report ON audit (report_id, id);

-- The audit log is append-only: nothing, not even Embargo itself, rewrites history.
CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit
BEGIN
    SELECT RAISE(ABORT, 'the audit log is append-only: UPDATE is not allowed');
END;
CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit
BEGIN
    SELECT RAISE(ABORT, 'the audit log is append-only: DELETE is not allowed');
END;

CREATE TABLE outbox (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    report_id       TEXT    REFERENCES reports (id),
    message_id      TEXT    NOT NULL UNIQUE, -- the mail's Message-ID, fixed at queueing so retries thread
    to_sealed       BLOB   NOT NULL, -- sealed JSON array of addresses (a reporter's address is embargoed too)
    cc_sealed       BLOB   NOT NULL, -- sealed JSON array of addresses
    subject_sealed  BLOB    NOT NULL,
    body_sealed     BLOB    NOT NULL,
    state           TEXT    NOT NULL DEFAULT 'queued' CHECK (state IN ('queued', 'sent', 'failed')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    last_error      TEXT,
    next_attempt_at INTEGER NOT NULL,
    created_at      INTEGER NOT NULL,
    sent_at         INTEGER
);
CREATE INDEX outbox_due ON outbox (state, next_attempt_at);
CREATE INDEX outbox_report ON outbox (report_id, id);

CREATE TABLE cve_pool (
    cve_id      TEXT    PRIMARY KEY,
    year        INTEGER NOT NULL,
    number      INTEGER NOT NULL,
    state       TEXT    NOT NULL DEFAULT 'free' CHECK (state IN ('free', 'assigned')),
    report_id   TEXT    REFERENCES reports (id),
    assigned_at INTEGER
);
CREATE INDEX cve_pool_free ON cve_pool (state, year, number);

-- Public once announced: nothing here is sealed.
CREATE TABLE advisories (
    cve_id                TEXT    PRIMARY KEY,
    report_id             TEXT    NOT NULL UNIQUE REFERENCES reports (id),
    project_id            INTEGER NOT NULL REFERENCES projects (id),
    title                 TEXT    NOT NULL,
    announcement_subject  TEXT    NOT NULL,
    announcement_body     TEXT    NOT NULL,
    record                TEXT    NOT NULL, -- RecordDraft as JSON
    published_at          INTEGER NOT NULL
);
CREATE INDEX advisories_published ON advisories (published_at DESC);
CREATE INDEX advisories_project ON advisories (project_id, published_at DESC);
