-- Feed state and the item ledger (var/feeds.db). Applied with IF NOT EXISTS on open.
PRAGMA user_version = 1;

CREATE TABLE IF NOT EXISTS feed_state (
    url TEXT PRIMARY KEY,
    state TEXT NOT NULL              -- FeedState as JSON
);

-- Every item key (entry id, link, content hash) a poll has taken. status 'pending' is a
-- lease held by one worker until lease_until; 'done' means indexed or failed with a record.
CREATE TABLE IF NOT EXISTS seen_items (
    key TEXT PRIMARY KEY,
    status TEXT NOT NULL,
    lease_until REAL,
    feed_url TEXT,
    first_seen TEXT NOT NULL
);
