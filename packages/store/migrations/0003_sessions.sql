-- Sessions (LLM conversations) are listed and opened by session id: without an index,
-- opening one session reads every row of the window.
CREATE INDEX events_session_time_idx ON events (session_id, "timestamp" DESC)
  WHERE session_id IS NOT NULL;
