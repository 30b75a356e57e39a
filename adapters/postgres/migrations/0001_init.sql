-- Sekisho's schema: runs unchanged on PGlite and PostgreSQL.

CREATE TABLE users (
  id text PRIMARY KEY,
  username text NOT NULL,
  email text,
  name text,
  locale text,
  source text NOT NULL DEFAULT 'local' CHECK (source IN ('local', 'ldap')),
  password_hash text,
  imported_phone text,
  disabled_at timestamptz,
  mfa_reset_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX users_username ON users (lower(username));

-- Every second factor a user has: authenticator apps, phones, the backup-code set, passes.
CREATE TABLE methods (
  id text PRIMARY KEY,
  user_id text NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  kind text NOT NULL,
  label text,
  status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'active')),
  is_default boolean NOT NULL DEFAULT false,
  secret_enc text,
  phone text,
  phone_kind text,
  extension text,
  flagged_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now(),
  last_used_at timestamptz
);
CREATE INDEX methods_user ON methods (user_id);

-- A TOTP step accepted once is never accepted again: the primary key refuses the second insert.
CREATE TABLE totp_used_steps (
  method_id text NOT NULL REFERENCES methods (id) ON DELETE CASCADE,
  step bigint NOT NULL,
  used_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (method_id, step)
);

-- One-time challenges: SMS codes, calls, e-mail codes.
CREATE TABLE challenges (
  id text PRIMARY KEY,
  user_id text NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  method_id text REFERENCES methods (id) ON DELETE CASCADE,
  kind text NOT NULL,
  code_hash text,
  call_sid text,
  outcome text,
  expires_at timestamptz NOT NULL,
  consumed_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX challenges_user ON challenges (user_id);
CREATE UNIQUE INDEX challenges_call ON challenges (call_sid) WHERE call_sid IS NOT NULL;

CREATE TABLE backup_codes (
  id text PRIMARY KEY,
  user_id text NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  method_id text NOT NULL REFERENCES methods (id) ON DELETE CASCADE,
  code_hash text NOT NULL,
  used_at timestamptz
);
CREATE INDEX backup_codes_user ON backup_codes (user_id);

CREATE TABLE access_passes (
  id text PRIMARY KEY,
  user_id text NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  code_hash text NOT NULL,
  once boolean NOT NULL DEFAULT false,
  expires_at timestamptz NOT NULL,
  used_at timestamptz,
  created_by text,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX access_passes_user ON access_passes (user_id);

-- Failure budgets per (scope, subject), e.g. ('password', user id) or ('totp', user id).
CREATE TABLE failure_counters (
  scope text NOT NULL,
  subject text NOT NULL,
  failures integer NOT NULL DEFAULT 0,
  window_failures integer NOT NULL DEFAULT 0,
  lockouts integer NOT NULL DEFAULT 0,
  locked_until timestamptz,
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (scope, subject)
);

-- Sent messages and calls, for per-user, per-number and per-country limits.
CREATE TABLE phone_sends (
  id bigserial PRIMARY KEY,
  user_id text,
  phone text NOT NULL,
  country text NOT NULL,
  channel text NOT NULL,
  sent_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX phone_sends_phone ON phone_sends (phone, sent_at);
CREATE INDEX phone_sends_user ON phone_sends (user_id, sent_at);
CREATE INDEX phone_sends_country ON phone_sends (country, sent_at);

-- What the sign-in journey has proven so far, keyed by the oidc-provider interaction uid.
CREATE TABLE journeys (
  interaction_uid text PRIMARY KEY,
  user_id text NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  state jsonb NOT NULL,
  expires_at timestamptz NOT NULL
);

-- oidc-provider's models (sessions, codes, tokens, grants, interactions, ...).
CREATE TABLE oidc_models (
  model text NOT NULL,
  id text NOT NULL,
  payload jsonb NOT NULL,
  grant_id text,
  uid text,
  user_code text,
  expires_at timestamptz,
  consumed_at timestamptz,
  PRIMARY KEY (model, id)
);
CREATE INDEX oidc_models_grant ON oidc_models (grant_id) WHERE grant_id IS NOT NULL;
CREATE INDEX oidc_models_uid ON oidc_models (uid) WHERE uid IS NOT NULL;
CREATE INDEX oidc_models_user_code ON oidc_models (user_code) WHERE user_code IS NOT NULL;
CREATE INDEX oidc_models_expires ON oidc_models (expires_at) WHERE expires_at IS NOT NULL;

CREATE TABLE clients (
  client_id text PRIMARY KEY,
  metadata jsonb NOT NULL,
  secret_enc text,
  first_party boolean NOT NULL DEFAULT false,
  admin boolean NOT NULL DEFAULT false,
  mfa_policy text NOT NULL DEFAULT 'required',
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);

-- Signing keys: 'next' is published before it signs, 'current' signs, 'retired' stays published until tokens expire.
CREATE TABLE signing_keys (
  kid text PRIMARY KEY,
  alg text NOT NULL,
  private_enc text NOT NULL,
  public_jwk jsonb NOT NULL,
  status text NOT NULL CHECK (status IN ('next', 'current', 'retired')),
  created_at timestamptz NOT NULL DEFAULT now(),
  activated_at timestamptz,
  retired_at timestamptz
);

-- Other server secrets shared by every instance (cookie keys), encrypted.
CREATE TABLE server_secrets (
  name text PRIMARY KEY,
  value_enc text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE audit_log (
  id bigserial PRIMARY KEY,
  at timestamptz NOT NULL DEFAULT now(),
  type text NOT NULL,
  outcome text NOT NULL DEFAULT 'success',
  user_id text,
  username text,
  client_id text,
  actor text,
  factor text,
  ip text,
  user_agent text,
  details jsonb
);
CREATE INDEX audit_log_at ON audit_log (at);
CREATE INDEX audit_log_user ON audit_log (user_id, at);
CREATE INDEX audit_log_type ON audit_log (type, at);
