-- The SQL objects of the dbvault module (docs/postgresql.md, "Functions"). Run as
-- CREATE EXTENSION dbvault, or (PostgreSQL 15 has no extension_control_path) directly with
-- psql after replacing MODULE_PATHNAME by the module's path, as tests/pgext does.
CREATE SCHEMA dbvault;
REVOKE ALL ON SCHEMA dbvault FROM PUBLIC;
GRANT USAGE ON SCHEMA dbvault TO PUBLIC;

-- Any vault statement, run for the caller's vault session; one row per result row, as JSON
-- ({"column": "value"}), or one row (tag, NULL) for a statement without rows.
CREATE FUNCTION dbvault.execute(statement text) RETURNS TABLE (tag text, result jsonb)
  AS 'MODULE_PATHNAME', 'dbvault_execute' LANGUAGE C STRICT VOLATILE;

CREATE FUNCTION dbvault._unlock(realm text, secret text, by_token boolean)
  RETURNS TABLE (tag text, result jsonb)
  AS 'MODULE_PATHNAME', 'dbvault_unlock' LANGUAGE C STRICT VOLATILE;

CREATE FUNCTION dbvault._lock(realm text) RETURNS TABLE (tag text, result jsonb)
  AS 'MODULE_PATHNAME', 'dbvault_lock' LANGUAGE C STRICT VOLATILE;

-- UNLOCK REALM <realm> PASSWORD <password>: the token (for other connections of the same
-- user), its public id and its expiry.
CREATE FUNCTION dbvault.unlock_realm(realm text, password text)
  RETURNS TABLE (realm text, token text, token_id text, expires_at text)
  LANGUAGE sql STRICT VOLATILE
  AS $$ SELECT u.result->>'realm', u.result->>'token', u.result->>'token_id',
               u.result->>'expires_at'
        FROM dbvault._unlock($1, $2, false) AS u $$;

-- UNLOCK REALM <realm> TOKEN <token>: a token from another connection of the same user.
CREATE FUNCTION dbvault.unlock_realm_with_token(realm text, token text)
  RETURNS TABLE (realm text, token text, token_id text, expires_at text)
  LANGUAGE sql STRICT VOLATILE
  AS $$ SELECT u.result->>'realm', u.result->>'token', u.result->>'token_id',
               u.result->>'expires_at'
        FROM dbvault._unlock($1, $2, true) AS u $$;

-- LOCK REALM <realm>: ends this session's unlock (the token stays valid elsewhere).
CREATE FUNCTION dbvault.lock_realm(realm text) RETURNS text
  LANGUAGE sql STRICT VOLATILE
  AS $$ SELECT l.tag FROM dbvault._lock($1) AS l $$;

-- EXPLAIN VAULT of a query (planned by PostgreSQL, not run): every realm and command-rule
-- check the caller's session would meet (docs/vault.md §3a).
CREATE FUNCTION dbvault._explain(query text) RETURNS TABLE (tag text, result jsonb)
  AS 'MODULE_PATHNAME', 'dbvault_explain' LANGUAGE C STRICT VOLATILE;
CREATE FUNCTION dbvault.explain(query text)
  RETURNS TABLE (object text, "check" text, verdict text, why text)
  LANGUAGE sql STRICT VOLATILE
  AS $$ SELECT e.result->>'object', e.result->>'check', e.result->>'verdict', e.result->>'why'
        FROM dbvault._explain($1) AS e WHERE e.result IS NOT NULL $$;

-- The audit log, for AUDIT_VIEWER (anyone else: 42501): every durable record, in order, as
-- the audit store holds it (docs/audit.md §1), read from the files the audit worker writes.
CREATE FUNCTION dbvault._audit_log() RETURNS TABLE (tag text, result jsonb)
  AS 'MODULE_PATHNAME', 'dbvault_audit_log' LANGUAGE C STRICT VOLATILE;

CREATE VIEW dbvault.audit_log AS
  SELECT (a.result->>'seq')::bigint AS seq, (a.result->>'timestamp')::timestamptz AS "timestamp",
         a.result->>'event_type' AS event_type, a.result->>'severity' AS severity,
         a.result->>'user' AS "user", a.result->>'realm' AS realm,
         a.result->>'ip_address' AS ip_address, a.result->>'session_id' AS session_id,
         a.result->>'result' AS result, a.result->'detail' AS detail, a.result AS record
  FROM dbvault._audit_log() AS a WHERE a.result IS NOT NULL;
GRANT SELECT ON dbvault.audit_log TO PUBLIC;

-- Every function is callable by everyone (the PostgreSQL default): what a statement may do is
-- the vault's decision (its roles and separation of duties), not PostgreSQL's.

-- The audit log cannot be changed through SQL (docs/audit.md): an INSERT, UPDATE or DELETE of
-- the view is 42501, as in the embedded server — from PostgreSQL's privilege check for every
-- role but the view's owner (PUBLIC holds only SELECT), and from this trigger for the owner.
CREATE FUNCTION dbvault._audit_log_read_only() RETURNS trigger
  LANGUAGE plpgsql
  AS $$ BEGIN
    RAISE EXCEPTION 'dbvault.audit_log is read-only: audit records are never changed through SQL'
      USING ERRCODE = '42501';
  END $$;
CREATE TRIGGER read_only INSTEAD OF INSERT OR UPDATE OR DELETE ON dbvault.audit_log
  FOR EACH ROW EXECUTE FUNCTION dbvault._audit_log_read_only();

-- The vault's own views (docs/vault.md: vault.realms, vault.tokens, vault.emergency_unlocks)
-- for the caller's session, whose vault roles decide what each shows (as in the embedded
-- server); never a token or a password.
CREATE FUNCTION dbvault._view(name text) RETURNS TABLE (tag text, result jsonb)
  AS 'MODULE_PATHNAME', 'dbvault_view' LANGUAGE C STRICT VOLATILE;

CREATE VIEW dbvault.realms AS
  SELECT v.result->>'realm' AS realm, v.result->>'description' AS description,
         v.result->>'owner' AS owner, v.result->>'mode' AS mode, v.result->>'state' AS state,
         v.result->>'require_password' AS require_password,
         (v.result->>'objects')::bigint AS objects
  FROM dbvault._view('vault.realms') AS v WHERE v.result IS NOT NULL;

CREATE VIEW dbvault.tokens AS
  SELECT v.result->>'token_id' AS token_id, v.result->>'user' AS "user",
         v.result->>'realm' AS realm, v.result->>'issued_at' AS issued_at,
         v.result->>'expires_at' AS expires_at, v.result->>'revoked' AS revoked,
         v.result->>'password_id' AS password_id
  FROM dbvault._view('vault.tokens') AS v WHERE v.result IS NOT NULL;

CREATE VIEW dbvault.emergency_unlocks AS
  SELECT v.result->>'request_id' AS request_id, v.result->>'realm' AS realm,
         v.result->>'requester' AS requester, v.result->>'authorized_by' AS authorized_by,
         v.result->>'reason' AS reason, (v.result->>'valid_for_s')::bigint AS valid_for_s,
         v.result->>'state' AS state, v.result->>'requested_at' AS requested_at,
         v.result->>'decided_by' AS decided_by, v.result->>'decided_at' AS decided_at,
         v.result->>'expires_at' AS expires_at, v.result->>'reviewed_by' AS reviewed_by,
         v.result->>'reviewed_at' AS reviewed_at, v.result->>'needs_review' AS needs_review
  FROM dbvault._view('vault.emergency_unlocks') AS v WHERE v.result IS NOT NULL;
GRANT SELECT ON dbvault.realms, dbvault.tokens, dbvault.emergency_unlocks TO PUBLIC;
