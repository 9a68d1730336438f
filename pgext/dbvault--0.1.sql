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
