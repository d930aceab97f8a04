-- Full-text search that finds words inside paths and identifiers, and never refuses a row.
-- The English parser reads `/alphaword` as one file-path token and `order_id.alphaword` as
-- one host-like token, so `alphaword` alone did not match. The search vector now also
-- indexes the text with every run of non-alphanumeric characters replaced by a space.
-- A tsvector is capped at 1 MB: only the first 30,000 characters of the message and of the
-- error message are indexed (the stored event keeps them whole), so a long message is
-- searchable by its start instead of refused.
DROP INDEX IF EXISTS events_search_idx;
ALTER TABLE events DROP COLUMN search;
ALTER TABLE events ADD COLUMN search tsvector GENERATED ALWAYS AS (
  to_tsvector('english'::regconfig,
    left(coalesce(message, ''), 30000) || ' ' || left(coalesce(error_message, ''), 30000))
  || to_tsvector('english'::regconfig,
    regexp_replace(
      left(coalesce(message, ''), 30000) || ' ' || left(coalesce(error_message, ''), 30000),
      '[^[:alnum:]]+', ' ', 'g'))
) STORED;
CREATE INDEX events_search_idx ON events USING gin (search);
