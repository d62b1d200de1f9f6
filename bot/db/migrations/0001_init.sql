-- The initial schema. Migrations run inside a transaction opened by bot/db/migrate.py:
-- no BEGIN/COMMIT here. Times are Unix epoch seconds (REAL); Discord ids are INTEGER.

CREATE TABLE jobs (
    id                     INTEGER PRIMARY KEY AUTOINCREMENT,  -- ids never reused: they live in custom_ids
    guild_id               INTEGER,                            -- NULL in DMs
    channel_id             INTEGER NOT NULL,
    user_id                INTEGER NOT NULL,
    parent_id              INTEGER REFERENCES jobs(id) ON DELETE SET NULL,
    button_index           INTEGER,
    task_id                TEXT UNIQUE,                        -- NULLs do not collide
    kind                   TEXT    NOT NULL,
    action                 TEXT    NOT NULL DEFAULT '',
    status                 TEXT    NOT NULL CHECK (status IN ('reserved', 'submitted', 'queued',
                               'running', 'modal', 'succeeded', 'failed', 'timed_out', 'cancelled')),
    progress               INTEGER NOT NULL DEFAULT 0 CHECK (progress BETWEEN 0 AND 100),
    prompt                 TEXT    NOT NULL DEFAULT '',
    final_prompt           TEXT,
    mode                   TEXT    NOT NULL DEFAULT 'fast',
    buttons                TEXT    NOT NULL DEFAULT '[]',      -- JSON list of button objects
    image_url              TEXT,
    video_url              TEXT,
    message_id             INTEGER,
    result_message_id      INTEGER,
    thread_id              INTEGER,
    interaction_token      TEXT,
    interaction_expires_at REAL,
    private                INTEGER NOT NULL DEFAULT 0 CHECK (private IN (0, 1)),
    charge_state           TEXT    NOT NULL DEFAULT 'none'
                               CHECK (charge_state IN ('none', 'reserved', 'charged', 'refunded')),
    cost                   INTEGER NOT NULL DEFAULT 0 CHECK (cost >= 0),
    fail_reason            TEXT,
    queue_position         INTEGER,
    unknown_polls          INTEGER NOT NULL DEFAULT 0,
    next_poll_at           REAL    NOT NULL DEFAULT 0,
    deadline_at            REAL,
    created_at             REAL    NOT NULL,
    updated_at             REAL    NOT NULL,
    finished_at            REAL,
    meta                   TEXT    NOT NULL DEFAULT '{}'       -- JSON object
);

-- The tracker's "what is due" scan only ever looks at unfinished jobs.
CREATE INDEX jobs_due ON jobs (next_poll_at)
    WHERE status IN ('reserved', 'submitted', 'queued', 'running', 'modal');
CREATE INDEX jobs_user ON jobs (guild_id, user_id, id);
CREATE INDEX jobs_parent ON jobs (parent_id) WHERE parent_id IS NOT NULL;

-- One row per pressed button: the primary key is what makes a double click one paid job.
CREATE TABLE claims (
    job_id       INTEGER NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,
    button_index INTEGER NOT NULL,
    user_id      INTEGER NOT NULL,
    child_job_id INTEGER REFERENCES jobs(id) ON DELETE SET NULL,
    claimed_at   REAL    NOT NULL,
    PRIMARY KEY (job_id, button_index)
) WITHOUT ROWID;

-- Only the settings a guild changed are stored (JSON); defaults live in bot/db/records.py.
CREATE TABLE guild_settings (
    guild_id          INTEGER PRIMARY KEY,
    data              TEXT NOT NULL DEFAULT '{}',
    api_key_encrypted BLOB,
    updated_at        REAL NOT NULL
);

CREATE TABLE guild_bans (
    guild_id   INTEGER NOT NULL,
    user_id    INTEGER NOT NULL,
    actor_id   INTEGER NOT NULL,
    reason     TEXT    NOT NULL DEFAULT '',
    created_at REAL    NOT NULL,
    PRIMARY KEY (guild_id, user_id)
) WITHOUT ROWID;

CREATE TABLE user_settings (
    user_id    INTEGER PRIMARY KEY,
    data       TEXT NOT NULL DEFAULT '{}',
    updated_at REAL NOT NULL
);

-- Money: at most one charge and one refund per job, enforced by the database.
CREATE TABLE ledger (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    job_id     INTEGER NOT NULL REFERENCES jobs(id),
    guild_id   INTEGER,
    user_id    INTEGER NOT NULL,
    kind       TEXT    NOT NULL CHECK (kind IN ('charge', 'refund')),
    amount     INTEGER NOT NULL CHECK (amount >= 0),
    reason     TEXT,
    created_at REAL    NOT NULL,
    UNIQUE (job_id, kind)
);
CREATE INDEX ledger_guild_user ON ledger (guild_id, user_id, created_at) WHERE kind = 'charge';
CREATE INDEX ledger_guild ON ledger (guild_id, created_at) WHERE kind = 'charge';

CREATE TABLE audit_log (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    guild_id   INTEGER,
    actor_id   INTEGER NOT NULL,
    action     TEXT    NOT NULL,
    detail     TEXT    NOT NULL DEFAULT '{}',
    allowed    INTEGER NOT NULL CHECK (allowed IN (0, 1)),
    created_at REAL    NOT NULL
);
CREATE INDEX audit_guild ON audit_log (guild_id, id);
