-- API keys for the server: only a SHA-256 of each key is kept. A key belongs to one org
-- and carries scopes (`ingest`, `read`); revoking keeps the row for the audit trail.
CREATE TABLE api_keys (
  id text PRIMARY KEY,
  org_id text NOT NULL,
  name text,
  scopes text[] NOT NULL,
  key_hash text NOT NULL UNIQUE,
  created_at timestamptz NOT NULL DEFAULT now(),
  revoked_at timestamptz
);
