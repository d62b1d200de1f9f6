-- Style kits: a guild's named presets (Midjourney parameters, words added to the prompt, a
-- description) that moderators publish and members pick with /imagine's `kit` option.
-- The bot lower-cases names itself (bot/db/kits.py), so the primary key makes "Noir" and
-- "noir" one kit and autocomplete can match on the stored name as it is; the CHECK keeps a
-- row written by hand from breaking that.
CREATE TABLE style_kits (
    guild_id    INTEGER NOT NULL,
    name        TEXT    NOT NULL CHECK (name <> '' AND name = lower(name)),
    params      TEXT    NOT NULL DEFAULT '',  -- "--sref 123 --stylize 250", checked on save
    suffix      TEXT    NOT NULL DEFAULT '',  -- plain words added after the member's text
    description TEXT    NOT NULL DEFAULT '',
    created_by  INTEGER NOT NULL,             -- the moderator who saved this version
    created_at  REAL    NOT NULL,
    PRIMARY KEY (guild_id, name)
) WITHOUT ROWID;
