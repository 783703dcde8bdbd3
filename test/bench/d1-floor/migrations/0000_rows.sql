-- 100,000 rows shaped like Latchkey's session rows (ids, timestamps, client details), ~200 bytes each.
CREATE TABLE sessions (
  id INTEGER PRIMARY KEY,
  user_id TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL,
  last_seen_at INTEGER NOT NULL,
  ip TEXT,
  user_agent TEXT,
  country TEXT,
  city TEXT
);

WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 100000)
INSERT INTO sessions (id, user_id, created_at, expires_at, last_seen_at, ip, user_agent, country, city)
SELECT
  i,
  'usr_' || printf('%016x', i * 2654435761),
  1764547200000 + i,
  1767139200000 + i,
  1764547200000 + i,
  '203.0.113.' || (i % 256),
  'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36',
  'DE',
  'Berlin'
FROM n;
