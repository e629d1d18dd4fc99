-- Requests a help-centre article answered: a customer writing a new
-- request opened an article it suggested and said it answered them.
CREATE TABLE support_deflections (
    org_id     TEXT NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    article_id TEXT REFERENCES support_kb_articles (id) ON DELETE SET NULL,
    at         INTEGER NOT NULL
) STRICT;
CREATE INDEX support_deflections_org ON support_deflections (org_id, at);
