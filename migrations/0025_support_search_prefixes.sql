-- Search indexes with prefix indexes for 2 to 6 characters (they were 2
-- and 3): a word typed in part ("retur") then reads one doclist instead of
-- merging every term it begins, which is what made the help centre's
-- search and its snippets slow (docs/BENCHMARKS.md). Same columns,
-- tokenizer, ranking and triggers; the indexes are rebuilt from the tables.
DROP TRIGGER support_kb_articles_ai;
DROP TRIGGER support_kb_articles_ad;
DROP TRIGGER support_kb_articles_au;
DROP TABLE support_kb_search;
DROP TRIGGER support_tickets_search_ai;
DROP TRIGGER support_tickets_search_ad;
DROP TRIGGER support_tickets_search_au;
DROP TABLE support_tickets_search;
DROP TRIGGER support_messages_search_ai;
DROP TRIGGER support_messages_search_ad;
DROP TRIGGER support_messages_search_au;
DROP TABLE support_messages_search;

CREATE VIRTUAL TABLE support_kb_search USING fts5(
    title, body, content = 'support_kb_articles', content_rowid = 'rowid',
    tokenize = 'unicode61 remove_diacritics 2', prefix = '2 3 4 5 6'
);
-- Ranking: BM25 with the title weighing eight times the body; `ORDER BY
-- rank` lets FTS5 sort the matches itself.
INSERT INTO support_kb_search (support_kb_search, rank) VALUES ('rank', 'bm25(8.0, 1.0)');
CREATE TRIGGER support_kb_articles_ai AFTER INSERT ON support_kb_articles BEGIN
    INSERT INTO support_kb_search (rowid, title, body) VALUES (new.rowid, new.title, new.body);
END;
CREATE TRIGGER support_kb_articles_ad AFTER DELETE ON support_kb_articles BEGIN
    INSERT INTO support_kb_search (support_kb_search, rowid, title, body) VALUES ('delete', old.rowid, old.title, old.body);
END;
CREATE TRIGGER support_kb_articles_au AFTER UPDATE OF title, body ON support_kb_articles BEGIN
    INSERT INTO support_kb_search (support_kb_search, rowid, title, body) VALUES ('delete', old.rowid, old.title, old.body);
    INSERT INTO support_kb_search (rowid, title, body) VALUES (new.rowid, new.title, new.body);
END;
INSERT INTO support_kb_search (support_kb_search) VALUES ('rebuild');

CREATE VIRTUAL TABLE support_tickets_search USING fts5(
    subject, description, content = 'support_tickets', content_rowid = 'rowid',
    tokenize = 'unicode61 remove_diacritics 2', prefix = '2 3 4 5 6'
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
    tokenize = 'unicode61 remove_diacritics 2', prefix = '2 3 4 5 6'
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
