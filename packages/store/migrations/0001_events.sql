-- One table for logs and spans, partitioned by day on `timestamp` so that retention
-- drops whole partitions. Partitions are created by the store on first write of a day.
-- Typed columns mirror the wire schema's top-level fields (snake_case, same names where
-- they are top-level; nested `http.*`, `llm.*` and `error.*` flattened with a prefix);
-- `body` keeps the whole event as written; `attributes` and `search` are derived from it.
CREATE TABLE events (
  id text NOT NULL,
  "timestamp" timestamptz NOT NULL,
  kind text NOT NULL,
  level text NOT NULL,
  level_value smallint NOT NULL,
  message text,
  service text NOT NULL,
  environment text,
  service_version text,
  category text,
  event text,
  trace_id text,
  span_id text,
  parent_span_id text,
  request_id text,
  org_id text,
  user_id text,
  session_id text,
  resource_type text,
  resource_id text,
  action text,
  name text,
  span_kind text,
  status text,
  duration_ms double precision,
  cost_usd double precision,
  http_method text,
  http_route text,
  http_status_code smallint,
  http_outcome text,
  llm_provider text,
  llm_model text,
  llm_input_tokens integer,
  llm_output_tokens integer,
  llm_total_tokens integer,
  error_type text,
  error_message text,
  error_fingerprint text,
  tags text[],
  body jsonb NOT NULL,
  attributes jsonb GENERATED ALWAYS AS (body -> 'attributes') STORED,
  received_at timestamptz NOT NULL DEFAULT now(),
  search tsvector GENERATED ALWAYS AS (
    to_tsvector('english'::regconfig, coalesce(message, '') || ' ' || coalesce(error_message, ''))
  ) STORED,
  PRIMARY KEY (id, "timestamp")
) PARTITION BY RANGE ("timestamp");

CREATE INDEX events_trace_idx ON events (trace_id);
CREATE INDEX events_org_time_idx ON events (org_id, "timestamp" DESC);
CREATE INDEX events_org_cat_event_time_idx ON events (org_id, category, event, "timestamp" DESC);
CREATE INDEX events_level_time_idx ON events (level_value, "timestamp" DESC) WHERE level_value >= 40;
CREATE INDEX events_user_time_idx ON events (user_id, "timestamp" DESC) WHERE user_id IS NOT NULL;
CREATE INDEX events_fingerprint_idx ON events (error_fingerprint, "timestamp" DESC)
  WHERE error_fingerprint IS NOT NULL;
CREATE INDEX events_time_idx ON events ("timestamp" DESC, id DESC);
CREATE INDEX events_attributes_idx ON events USING gin (attributes jsonb_path_ops);
CREATE INDEX events_search_idx ON events USING gin (search);
