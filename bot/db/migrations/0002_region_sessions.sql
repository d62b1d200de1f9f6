-- Vary (Region) editing sessions: one per opened editor, so a restart loses no selection.
-- web_nonce makes a web-editor link single-use (used_at is set once, atomically).
CREATE TABLE region_sessions (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    job_id        INTEGER NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,
    button_index  INTEGER NOT NULL,
    user_id       INTEGER NOT NULL,
    guild_id      INTEGER,
    channel_id    INTEGER NOT NULL,
    selection     TEXT NOT NULL DEFAULT '',
    prompt        TEXT NOT NULL DEFAULT '',
    web_nonce     TEXT UNIQUE,
    created_at    REAL NOT NULL,
    expires_at    REAL NOT NULL,
    used_at       REAL,
    child_job_id  INTEGER
);
CREATE INDEX region_sessions_job ON region_sessions (job_id, button_index);
