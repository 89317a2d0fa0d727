-- SqliteStore schema (the embedded default). Applied with CREATE ... IF NOT EXISTS on open,
-- after worker/store/sqlite_schema.py has upgraded a file of an older user_version: bump it
-- there and here together when a change needs more than IF NOT EXISTS.

CREATE TABLE IF NOT EXISTS articles (
    rowid INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    url TEXT,
    canonical_url TEXT,
    source TEXT COLLATE NOCASE,
    title TEXT NOT NULL,
    published_at TEXT,              -- ISO 8601 UTC, "YYYY-MM-DDTHH:MM:SSZ", sorts as text
    language TEXT,
    ingested_at TEXT NOT NULL,
    content_hash TEXT NOT NULL,
    simhash TEXT,
    duplicate_of TEXT,
    extractor_version TEXT,
    doc TEXT NOT NULL               -- the whole Article as JSON, returned by get()
);
CREATE INDEX IF NOT EXISTS articles_published ON articles (published_at);
-- Search reads rowid sets from these, never the wide rows (worker/store/sqlite_query.py filters).
DROP INDEX IF EXISTS articles_source;
CREATE INDEX IF NOT EXISTS articles_source_published ON articles (source, published_at);
CREATE INDEX IF NOT EXISTS articles_duplicate_of ON articles (duplicate_of);

-- Each article's publication time and whether it is a near-copy, by rowid, narrow: search
-- ranks every match by score, then newest first, and hides copies; reading either from the
-- articles rows (whole documents), or testing each match against the set of copies, would
-- cost more than the ranking itself. Kept by the triggers below; filled once for older stores
-- (schema 1 stores gain is_copy in sqlite_schema.py).
CREATE TABLE IF NOT EXISTS article_dates (
    rowid INTEGER PRIMARY KEY,      -- articles.rowid
    published_at TEXT,
    is_copy INTEGER NOT NULL DEFAULT 0  -- articles.duplicate_of IS NOT NULL
);
-- The near-copies alone (a tenth of a store of wire copies): small enough to stay in SQLite's
-- page cache, so counting the originals among a word's matches probes it, not article_dates,
-- whose pages for 200,000 articles do not stay (2,037 matches: 1.7 -> 0.6 ms). Made on the next
-- open of an older store, like everything here; a store opened read-only may lack it.
CREATE INDEX IF NOT EXISTS article_dates_copies ON article_dates (is_copy) WHERE is_copy = 1;
-- Filling starts after the last rowid it has: a seek, not a scan of articles on every open.
INSERT OR IGNORE INTO article_dates (rowid, published_at, is_copy)
    SELECT rowid, published_at, duplicate_of IS NOT NULL FROM articles
    WHERE rowid > (SELECT coalesce(max(rowid), 0) FROM article_dates);
CREATE TRIGGER IF NOT EXISTS article_dates_insert AFTER INSERT ON articles BEGIN
    INSERT OR REPLACE INTO article_dates (rowid, published_at, is_copy)
        VALUES (new.rowid, new.published_at, new.duplicate_of IS NOT NULL);
END;
CREATE TRIGGER IF NOT EXISTS article_dates_update AFTER UPDATE OF published_at, duplicate_of ON articles BEGIN
    UPDATE article_dates SET published_at = new.published_at, is_copy = new.duplicate_of IS NOT NULL
        WHERE rowid = new.rowid;
END;
CREATE TRIGGER IF NOT EXISTS article_dates_delete AFTER DELETE ON articles BEGIN
    DELETE FROM article_dates WHERE rowid = old.rowid;
END;

-- Words: title, standfirst and body, stemmed; rowid = articles.rowid.
CREATE VIRTUAL TABLE IF NOT EXISTS articles_fts USING fts5 (
    title, standfirst, body,
    tokenize = 'porter unicode61 remove_diacritics 2'
);

CREATE TABLE IF NOT EXISTS entities (
    article_rowid INTEGER NOT NULL REFERENCES articles (rowid) ON DELETE CASCADE,
    canonical TEXT NOT NULL COLLATE NOCASE,
    label TEXT NOT NULL,
    text TEXT NOT NULL COLLATE NOCASE,
    iso_code TEXT,
    count INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS entities_canonical ON entities (canonical, article_rowid);
CREATE INDEX IF NOT EXISTS entities_text ON entities (text);
CREATE INDEX IF NOT EXISTS entities_article ON entities (article_rowid);

CREATE TABLE IF NOT EXISTS figures (
    article_rowid INTEGER NOT NULL REFERENCES articles (rowid) ON DELETE CASCADE,
    ord INTEGER NOT NULL,           -- position in Article.figures
    value REAL NOT NULL,
    value_max REAL,
    category TEXT NOT NULL,
    qualifier TEXT NOT NULL,
    counts TEXT,
    location TEXT COLLATE NOCASE,
    role TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS figures_category_value ON figures (category, value);
CREATE INDEX IF NOT EXISTS figures_article ON figures (article_rowid);

CREATE TABLE IF NOT EXISTS events (
    article_rowid INTEGER NOT NULL REFERENCES articles (rowid) ON DELETE CASCADE,
    type TEXT NOT NULL,
    key TEXT NOT NULL,
    actor TEXT COLLATE NOCASE,
    location TEXT COLLATE NOCASE,
    value REAL,
    from_value REAL,
    to_value REAL,
    date TEXT
);
CREATE INDEX IF NOT EXISTS events_key ON events (key);
CREATE INDEX IF NOT EXISTS events_article ON events (article_rowid);

-- Inputs that could not be ingested, with the reason; `status` shows the latest.
CREATE TABLE IF NOT EXISTS failures (
    origin TEXT NOT NULL,
    stage TEXT NOT NULL,
    reason TEXT NOT NULL,
    at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS failures_at ON failures (at);

-- Near-duplicates: each article's MinHash LSH bands (worker/duplicates.py); near-copies
-- share a band, so candidates are found by equality on this index.
CREATE TABLE IF NOT EXISTS near_bands (
    band TEXT NOT NULL,
    article_rowid INTEGER NOT NULL REFERENCES articles (rowid) ON DELETE CASCADE
);
CREATE INDEX IF NOT EXISTS near_bands_band ON near_bands (band);
CREATE INDEX IF NOT EXISTS near_bands_article ON near_bands (article_rowid);

-- The events rollup (worker/rollup.py): one row per fact across all articles, recomputed
-- per group (kind|measure|location) after each batch and by reindex.
CREATE TABLE IF NOT EXISTS event_records (
    key TEXT PRIMARY KEY,
    grp TEXT NOT NULL,
    type TEXT NOT NULL,
    types TEXT NOT NULL,            -- " troop_level troop_level_change ": the type and every framing
    actor TEXT COLLATE NOCASE,
    location TEXT COLLATE NOCASE,
    date TEXT,
    first_seen TEXT,
    last_seen TEXT,
    source_count INTEGER NOT NULL,
    search_text TEXT NOT NULL,      -- summary and the reports' sentences, for `events QUERY`
    doc TEXT NOT NULL               -- the EventRecord as JSON
);
CREATE INDEX IF NOT EXISTS event_records_grp ON event_records (grp);
CREATE INDEX IF NOT EXISTS event_records_date ON event_records (date);
-- `events --location X`: the place's records in date order, read up to the page.
CREATE INDEX IF NOT EXISTS event_records_location ON event_records (location, date, key);
CREATE TABLE IF NOT EXISTS event_record_articles (
    key TEXT NOT NULL,
    article_id TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS event_record_articles_article ON event_record_articles (article_id);
CREATE INDEX IF NOT EXISTS event_record_articles_key ON event_record_articles (key);

-- Last: only a file the whole script has run on says it is at this version.
PRAGMA user_version = 2;
