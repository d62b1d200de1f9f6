-- /edit reuses the Vary (Region) editor for an uploaded image that belongs to no job: such a
-- session has no job or button, keeps the image itself (a PNG, dropped once the session is
-- closed) and the mode and visibility resolved when /edit was typed. SQLite cannot drop NOT
-- NULL in place, so the table is rebuilt (nothing references it).
CREATE TABLE region_sessions_new (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    job_id        INTEGER REFERENCES jobs(id) ON DELETE CASCADE,
    button_index  INTEGER,
    user_id       INTEGER NOT NULL,
    guild_id      INTEGER,
    channel_id    INTEGER NOT NULL,
    selection     TEXT NOT NULL DEFAULT '',
    prompt        TEXT NOT NULL DEFAULT '',
    web_nonce     TEXT UNIQUE,
    created_at    REAL NOT NULL,
    expires_at    REAL NOT NULL,
    used_at       REAL,
    child_job_id  INTEGER,
    staged_mask   BLOB,
    is_moderator  INTEGER NOT NULL DEFAULT 0 CHECK (is_moderator IN (0, 1)),
    source        BLOB,
    mode          TEXT NOT NULL DEFAULT '',
    private       INTEGER NOT NULL DEFAULT 0 CHECK (private IN (0, 1)),
    CHECK ((job_id IS NULL) = (button_index IS NULL))
);
INSERT INTO region_sessions_new (id, job_id, button_index, user_id, guild_id, channel_id,
    selection, prompt, web_nonce, created_at, expires_at, used_at, child_job_id, staged_mask,
    is_moderator)
SELECT id, job_id, button_index, user_id, guild_id, channel_id, selection, prompt, web_nonce,
    created_at, expires_at, used_at, child_job_id, staged_mask, is_moderator
FROM region_sessions;
-- Session ids live in custom_ids: the new table continues the old sequence, never reusing one.
DELETE FROM sqlite_sequence WHERE name = 'region_sessions_new';
INSERT INTO sqlite_sequence (name, seq)
SELECT 'region_sessions_new', seq FROM sqlite_sequence WHERE name = 'region_sessions';
DROP TABLE region_sessions;
ALTER TABLE region_sessions_new RENAME TO region_sessions;
CREATE INDEX region_sessions_job ON region_sessions (job_id, button_index);
