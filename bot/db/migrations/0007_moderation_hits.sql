-- Moderation hits: each time a member's prompt was blocked, by our banned words or by
-- Midjourney's moderation. Escalation (bot/jobs/escalation.py) counts a member's recent hits
-- in a guild to decide between a warning and a timeout; only guilds escalate, so no DMs here.
CREATE TABLE moderation_hits (
    id         INTEGER PRIMARY KEY,
    guild_id   INTEGER NOT NULL,
    user_id    INTEGER NOT NULL,
    kind       TEXT    NOT NULL CHECK (kind IN ('banned_word', 'upstream_moderation')),
    detail     TEXT    NOT NULL DEFAULT '',  -- the word, or upstream's failReason
    created_at REAL    NOT NULL
);
CREATE INDEX moderation_hits_user ON moderation_hits (guild_id, user_id, created_at);
