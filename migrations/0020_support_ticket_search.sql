-- Full-text search of tickets for the team: subjects and descriptions, and
-- every message (internal notes included: only members search). External
-- content tables kept by triggers, like the knowledge base's.
CREATE VIRTUAL TABLE support_tickets_search USING fts5(
    subject, description, content = 'support_tickets', content_rowid = 'rowid',
    tokenize = 'unicode61 remove_diacritics 2', prefix = '2 3'
);
CREATE TRIGGER support_tickets_search_ai AFTER INSERT ON support_tickets BEGIN
    INSERT INTO support_tickets_search (rowid, subject, description) VALUES (new.rowid, new.subject, new.description);
END;
CREATE TRIGGER support_tickets_search_ad AFTER DELETE ON support_tickets BEGIN
    INSERT INTO support_tickets_search (support_tickets_search, rowid, subject, description)
    VALUES ('delete', old.rowid, old.subject, old.description);
END;
CREATE TRIGGER support_tickets_search_au AFTER UPDATE OF subject, description ON support_tickets BEGIN
    INSERT INTO support_tickets_search (support_tickets_search, rowid, subject, description)
    VALUES ('delete', old.rowid, old.subject, old.description);
    INSERT INTO support_tickets_search (rowid, subject, description) VALUES (new.rowid, new.subject, new.description);
END;
INSERT INTO support_tickets_search (support_tickets_search) VALUES ('rebuild');

CREATE VIRTUAL TABLE support_messages_search USING fts5(
    body, content = 'support_messages', content_rowid = 'rowid',
    tokenize = 'unicode61 remove_diacritics 2', prefix = '2 3'
);
CREATE TRIGGER support_messages_search_ai AFTER INSERT ON support_messages BEGIN
    INSERT INTO support_messages_search (rowid, body) VALUES (new.rowid, new.body);
END;
CREATE TRIGGER support_messages_search_ad AFTER DELETE ON support_messages BEGIN
    INSERT INTO support_messages_search (support_messages_search, rowid, body) VALUES ('delete', old.rowid, old.body);
END;
CREATE TRIGGER support_messages_search_au AFTER UPDATE OF body ON support_messages BEGIN
    INSERT INTO support_messages_search (support_messages_search, rowid, body) VALUES ('delete', old.rowid, old.body);
    INSERT INTO support_messages_search (rowid, body) VALUES (new.rowid, new.body);
END;
INSERT INTO support_messages_search (support_messages_search) VALUES ('rebuild');
