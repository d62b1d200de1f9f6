-- Whether the member who opened a Vary (Region) session was a moderator then (Discord said so).
-- The web editor has no member to ask, so it acts with these rights: under the guild's
-- "owner_and_mods" click policy a moderator may finish Vary (Region) on a member's job.
ALTER TABLE region_sessions ADD COLUMN is_moderator INTEGER NOT NULL DEFAULT 0
    CHECK (is_moderator IN (0, 1));
