-- Back-channel logout notifications still to be delivered to relying parties. A row stays until the
-- client answers 200/204 (or gives up after many attempts), so a client that is down hears of the
-- logout once it is back. One row per (client, sid): a second logout of the same session adds nothing.
CREATE TABLE backchannel_outbox (
  id bigserial PRIMARY KEY,
  client_id text NOT NULL,
  account_id text NOT NULL,
  sid text NOT NULL,
  attempts integer NOT NULL DEFAULT 0,
  next_attempt_at timestamptz NOT NULL,
  last_error text,
  created_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (client_id, sid)
);
CREATE INDEX backchannel_outbox_due ON backchannel_outbox (next_attempt_at);
CREATE INDEX backchannel_outbox_account ON backchannel_outbox (account_id);
