-- Moderators' controls: bans may end by themselves, channels have their own settings, and a
-- budget alert is sent once per threshold and period (the primary key makes it once, even
-- when two processes cross the threshold together).
ALTER TABLE guild_bans ADD COLUMN expires_at REAL;  -- NULL: until unbanned

CREATE TABLE channel_settings (
    channel_id INTEGER PRIMARY KEY,
    guild_id   INTEGER NOT NULL,
    data       TEXT    NOT NULL DEFAULT '{}',  -- only changed values, as guild_settings
    updated_at REAL    NOT NULL
);
CREATE INDEX channel_settings_guild ON channel_settings (guild_id);

CREATE TABLE budget_alerts (
    guild_id   INTEGER NOT NULL,
    scope      TEXT    NOT NULL,  -- 'guild' or 'channel:<id>'
    period     TEXT    NOT NULL,  -- the calendar month, '2026-12'
    threshold  INTEGER NOT NULL,  -- percent: 50, 80, 100
    sent_at    REAL    NOT NULL,
    PRIMARY KEY (guild_id, scope, period, threshold)
) WITHOUT ROWID;
