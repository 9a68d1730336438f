"""Attack: find a realm password in the server log by passing it to the vault in a statement
whose text does not name the dbvault schema, or through the CONTEXT lines of an error.

- `EXECUTE p('realm', 'password')` of a statement prepared with PREPARE (log_statement logs
  the EXECUTE text, with its arguments);
- a DO block or a function whose body calls dbvault.unlock_realm with a literal password:
  an error's CONTEXT line quotes the body's statement;
- a wrapper function `my_unlock('password')` (log_min_duration_statement and the STATEMENT
  line of an error show its call).
Each password is used once and searched for in the whole log.
"""

import secrets
import time

import psycopg2

from pgext_cluster import PgextCase, main

PASSWORD = "logpw-" + secrets.token_hex(6)


def wrong(tag: str) -> str:
    return f"wrong-{tag}-" + secrets.token_hex(4)


class LogCase(PgextCase):
    VAULT_SETUP = (
        f"CREATE REALM lr REQUIRE VAULT PASSWORD '{PASSWORD}'",
    )

    def assert_not_logged(self, *texts: str) -> None:
        time.sleep(0.3)  # the logging collector is not used: the log file is written at once
        log = self.server.log_path.read_text(errors="replace")
        for text in texts:
            self.assertNotIn(text, log)

    def run_failing(self, connection, sql: str, args=None) -> None:
        with self.assertRaises(psycopg2.Error) as caught:
            self.query(connection, sql, args)
        self.assertEqual(caught.exception.pgcode, "28P01", str(caught.exception))


class LoggedStatements(LogCase):
    SETTINGS = {"log_statement": "'all'", "log_min_duration_statement": "0",
                "log_error_verbosity": "'verbose'"}

    def test_execute_of_a_prepared_unlock(self):
        dba = self.connect("dba")
        bad = wrong("execute")
        self.query(dba, "PREPARE u(text, text) AS SELECT token FROM dbvault.unlock_realm($1, $2)")
        self.query(dba, f"EXECUTE u('lr', '{PASSWORD}')")
        self.run_failing(dba, f"EXECUTE u('lr', '{bad}')")
        self.assert_not_logged(PASSWORD, bad)

    def test_do_block_context(self):
        dba = self.connect("dba")
        bad = wrong("do")
        self.run_failing(dba, "DO $$ BEGIN PERFORM dbvault.unlock_realm('lr', "
                         f"'{bad}'); END $$")
        self.assert_not_logged(bad)

    def test_function_body_context(self):
        dba = self.connect("dba")
        bad = wrong("body")
        self.query(dba, "CREATE FUNCTION pg_temp.bad_unlock() RETURNS text LANGUAGE plpgsql AS "
                   "$f$ BEGIN RETURN (SELECT token FROM dbvault.unlock_realm('lr', "
                   f"'{bad}')); END $f$")
        self.run_failing(dba, "SELECT pg_temp.bad_unlock()")
        self.assert_not_logged(bad)


class WrapperFunction(LogCase):
    # log_statement is off: PostgreSQL writes it before anything runs, so a wrapper's call
    # cannot be recognised then (docs/postgresql.md §5). Everything logged later is redacted.
    SETTINGS = {"log_min_duration_statement": "0", "log_error_verbosity": "'verbose'"}
    OWNER_SQL = """
        CREATE FUNCTION my_unlock(p text) RETURNS text LANGUAGE plpgsql AS
          $$ BEGIN RETURN (SELECT token FROM dbvault.unlock_realm('lr', p)); END $$;
    """

    def test_wrapper_call(self):
        dba = self.connect("dba")
        bad = wrong("wrapper")
        self.query(dba, "SELECT my_unlock(%s)", (PASSWORD,))
        self.run_failing(dba, f"SELECT my_unlock('{bad}')")
        self.assert_not_logged(PASSWORD, bad)


if __name__ == "__main__":
    main()
