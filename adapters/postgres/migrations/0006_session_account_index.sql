-- The Security info page checks on every request that its Sekisho session still exists, and "sign
-- out everywhere" lists a user's sessions: both look Session rows up by the account in their payload,
-- which without this index reads every session of every user.
CREATE INDEX oidc_models_session_account ON oidc_models ((payload->>'accountId')) WHERE model = 'Session';
