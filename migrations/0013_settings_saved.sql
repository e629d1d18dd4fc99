-- When the org's settings were last saved (the overview ticks "Check your
-- shop's settings" once they have been).
ALTER TABLE orgs ADD COLUMN settings_saved_at INTEGER;
