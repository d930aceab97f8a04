-- Integrations: forwarding of ingested events to a vendor (Datadog, Splunk, CloudWatch,
-- webhook). `org_id` is null in local mode. Credentials are stored only encrypted by the
-- server (AES-256-GCM); `credentials_hint` is the masked form shown in answers.
CREATE TABLE integrations (
  id text PRIMARY KEY,
  org_id text,
  name text NOT NULL,
  integration_type text NOT NULL,
  config jsonb NOT NULL DEFAULT '{}'::jsonb,
  credentials_encrypted text,
  credentials_hint text,
  enabled boolean NOT NULL DEFAULT true,
  filters jsonb NOT NULL DEFAULT '{}'::jsonb,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX integrations_org_idx ON integrations (org_id, created_at DESC);
