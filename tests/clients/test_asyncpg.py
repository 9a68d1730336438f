#!/usr/bin/python3
"""Debian's python3-asyncpg against the server, unmodified. asyncpg speaks only the extended
protocol: it describes each statement, encodes every parameter in binary as the type the
ParameterDescription names (so a wrongly inferred type fails in the client), asks for all
results in binary, and keeps prepared statements in a cache. A pool resets each connection
it gets back with SQL of its own (pg_advisory_unlock_all(), CLOSE ALL, UNLISTEN *,
RESET ALL), and set_type_codec looks the type up in pg_type."""

import asyncio
import ssl

import asyncpg

import driver_case
from driver_case import COLUMNS, NULL_ROW, ROW

SELECT_ROW = driver_case.SELECT_ROW + "$1"
INSERT_ROW = f"INSERT INTO drv_types VALUES ({', '.join(f'${i + 1}' for i in range(len(ROW)))})"


def tls_without_verification() -> ssl.SSLContext:
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context


class Asyncpg(driver_case.DriverCase):
    def run_async(self, coroutine_function):
        """Runs `await coroutine_function(connection)` on a fresh connection as dba."""
        async def body():
            connection = await self.connect_async()
            try:
                return await coroutine_function(connection)
            finally:
                await connection.close()
        return asyncio.run(asyncio.wait_for(body(), 30))

    def connect_async(self, user: str = "dba", **options):
        return asyncpg.connect(host=self.server.host, port=self.server.port, user=user,
                               password=self.server.passwords[user],
                               database=self.server.dbname, ssl=tls_without_verification(),
                               **options)

    def test_binary_results_of_each_type(self):
        async def read(connection):
            return [tuple(await connection.fetchrow(SELECT_ROW, key)) for key in (1, 2)]
        self.assertEqual(self.run_async(read), [ROW, NULL_ROW])

    def test_typed_parameters_in_binary(self):
        async def insert(connection):
            for row in (ROW, NULL_ROW):
                await connection.execute(INSERT_ROW, row[0] + 100, *row[1:])
            return [tuple(await connection.fetchrow(SELECT_ROW, key))[1:] for key in (101, 102)]
        self.assertEqual(self.run_async(insert), [ROW[1:], NULL_ROW[1:]])

    def test_parameter_types_from_the_description(self):
        async def describe(connection):
            found = {}
            for column, value in zip(COLUMNS[1:], ROW[1:]):
                statement = await connection.prepare(f"SELECT id FROM drv_types WHERE "
                                                     f"{column} = $1")
                found[column] = ([t.name for t in statement.get_parameters()],
                                 await statement.fetchval(value))
            return found
        found = self.run_async(describe)
        expected = {"c_int": "int4", "c_bigint": "int8", "c_text": "text",
                    "c_numeric": "numeric", "c_bool": "bool", "c_bytea": "bytea",
                    "c_ts": "timestamp"}
        self.assertEqual(found, {c: ([t], 1) for c, t in expected.items()})

    def test_result_types_from_the_description(self):
        async def types(connection):
            statement = await connection.prepare(SELECT_ROW)
            return [t.type.name for t in statement.get_attributes()]
        self.assertEqual(self.run_async(types), ["int4", "int4", "int8", "text", "numeric",
                                                 "bool", "bytea", "timestamp"])

    def test_prepared_statement_reused(self):
        async def reuse(connection):
            statement = await connection.prepare("SELECT c_text FROM drv_types WHERE id = $1")
            values = [await statement.fetchval(key) for key in (1, 2, 1, 2)]
            cached = [await connection.fetchval("SELECT c_int FROM drv_types WHERE id = $1", k)
                      for k in (1, 1)]
            return values, cached
        self.assertEqual(self.run_async(reuse), ([ROW[3], None, ROW[3], None], [ROW[1]] * 2))

    def test_error_then_usable(self):
        async def error(connection):
            with self.assertRaises(asyncpg.UndefinedTableError) as caught:
                await connection.fetch("SELECT * FROM no_such_table WHERE id = $1", 1)
            self.assertEqual(caught.exception.sqlstate, "42P01")
            with self.assertRaises(asyncpg.PostgresSyntaxError):
                await connection.fetch("SELEC $1", 1)
            return await connection.fetchval("SELECT $1::integer + 1", 41)
        self.assertEqual(self.run_async(error), 42)

    def test_transaction_rolled_back(self):
        async def rollback(connection):
            with self.assertRaises(asyncpg.UniqueViolationError):
                async with connection.transaction():
                    await connection.execute("INSERT INTO drv_types (id) VALUES ($1)", 40)
                    await connection.execute("INSERT INTO drv_types (id) VALUES ($1)", 40)
            transaction = connection.transaction()
            await transaction.start()
            await connection.execute("INSERT INTO drv_types (id) VALUES ($1)", 41)
            await transaction.rollback()
            return await connection.fetchval(
                "SELECT count(*) FROM drv_types WHERE id BETWEEN $1 AND 49", 40)
        self.assertEqual(self.run_async(rollback), 0)

    def test_pool_resets_connections(self):
        async def pool_round():
            async with asyncpg.create_pool(host=self.server.host, port=self.server.port,
                                           user="dba", password=self.server.passwords["dba"],
                                           database=self.server.dbname, min_size=1, max_size=1,
                                           ssl=tls_without_verification()) as pool:
                values = []
                for _ in range(3):  # each release runs the reset query
                    async with pool.acquire() as connection:
                        values.append(await connection.fetchval("SELECT $1::bigint", 7))
                return values
        self.assertEqual(asyncio.run(asyncio.wait_for(pool_round(), 30)), [7, 7, 7])

    def test_codec_by_type_name_is_looked_up(self):
        # set_type_codec finds the type's OID in pg_catalog.pg_type
        async def introspect(connection):
            await connection.set_type_codec("numeric", schema="pg_catalog", format="text",
                                            encoder=str, decoder=lambda text: f"<{text}>")
            return await connection.fetchval("SELECT c_numeric FROM drv_types WHERE id = 1")
        self.assertEqual(self.run_async(introspect), f"<{ROW[4]}>")

    def test_vault_scenario(self):
        self.require_dbvault()

        async def scenario(connection):
            with self.assertRaises(asyncpg.InsufficientPrivilegeError) as caught:
                await connection.fetch("SELECT v FROM drv_secret")
            self.assertIn(driver_case.REALM, str(caught.exception))
            self.assertEqual(await connection.fetchval("SELECT 1"), 1)
            with self.assertRaises(asyncpg.InvalidPasswordError):
                await connection.fetch(f"UNLOCK REALM {driver_case.REALM} PASSWORD $1", "not-it")
            unlocked = await connection.fetchrow(f"UNLOCK REALM {driver_case.REALM} PASSWORD $1",
                                                 driver_case.REALM_PASSWORD)
            self.assertEqual(list(unlocked.keys())[:2], ["realm", "token"])
            return await connection.fetchval("SELECT v FROM drv_secret")
        self.assertEqual(self.run_async(scenario), driver_case.SECRET_ROW)


if __name__ == "__main__":
    driver_case.client_case.main()
