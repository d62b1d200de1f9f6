-- Small facts about this deployment. `instance` tags the `state` the bot sends with every
-- submit ("<instance>-<job id>"), so a task found by its state (reconciling a lost submit)
-- is never another deployment's that shares the same CometAPI key and happens to have the
-- same job number.
CREATE TABLE bot_state (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
) WITHOUT ROWID;
INSERT INTO bot_state (key, value) VALUES ('instance', lower(hex(randomblob(4))));
