-- CVE records from outside (issue #4): the organisation's records published before it
-- used Embargo, imported whole with `embargo cve import` (PUBLISHED or REJECTED, ADP
-- containers included), every imported version kept. Public data, so not sealed.
CREATE TABLE cve_records (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    cve_id      TEXT    NOT NULL,
    version     INTEGER NOT NULL, -- 1, 2, ... per CVE id; the highest is current
    state       TEXT    NOT NULL, -- PUBLISHED or REJECTED (cveMetadata.state)
    record      TEXT    NOT NULL, -- the whole CVE JSON 5 record as imported
    source      TEXT    NOT NULL, -- where it came from (the file name)
    imported_at INTEGER NOT NULL,
    UNIQUE (cve_id, version)
);
