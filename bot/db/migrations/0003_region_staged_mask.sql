-- An uploaded Vary (Region) mask waits here (PNG) for the user's confirmation, so a restart
-- between the upload and Confirm loses nothing.
ALTER TABLE region_sessions ADD COLUMN staged_mask BLOB;
