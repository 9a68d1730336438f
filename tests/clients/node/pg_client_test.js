// node-postgres (pg) against the server, through the extended query protocol: parameters
// ($n with types from ParameterDescription), named prepared statements, binary results,
// row limits, errors with SQLSTATEs and the session after them. Run by test_node_pg.py,
// which starts the server and passes DBVAULT_TEST_CONFIG (JSON: host, port, dbname, kind,
// passwords).
'use strict';

const test = require('node:test');
const assert = require('node:assert/strict');
const { Client } = require('pg');

const config = JSON.parse(process.env.DBVAULT_TEST_CONFIG);

async function connect(user = 'dba', extra = {}) {
  const client = new Client({
    host: config.host, port: config.port, database: config.dbname, user,
    password: config.passwords[user], ssl: { rejectUnauthorized: false },
    application_name: 'node-pg-test', ...extra,
  });
  await client.connect();
  return client;
}

async function withClient(fn, user = 'dba') {
  const client = await connect(user);
  try { return await fn(client); } finally { await client.end(); }
}

test('parameters of several types through the extended protocol', () => withClient(async (c) => {
  await c.query('CREATE TABLE node_items (id INTEGER PRIMARY KEY, name TEXT, price REAL, data BYTEA)');
  await c.query('INSERT INTO node_items VALUES ($1, $2, $3, $4)',
                [1, "o'brien; --", 2.5, Buffer.from([0, 1, 2, 255])]);
  await c.query('INSERT INTO node_items (id, name) VALUES ($1, $2)', [2, null]);
  const r = await c.query('SELECT id, name, price, data FROM node_items WHERE id = $1', [1]);
  assert.equal(r.rowCount, 1);
  assert.equal(r.rows[0].id, 1);
  assert.equal(r.rows[0].name, "o'brien; --");
  assert.equal(Number(r.rows[0].price), 2.5);
  assert.deepEqual([...r.rows[0].data], [0, 1, 2, 255]);
  const n = await c.query('SELECT count(*) AS n FROM node_items WHERE name IS NULL');
  assert.equal(Number(n.rows[0].n), 1);
}));

test('named prepared statements are reused', () => withClient(async (c) => {
  for (const id of [1, 2, 1]) {
    const r = await c.query({ name: 'item_by_id', text: 'SELECT id FROM node_items WHERE id = $1', values: [id] });
    assert.deepEqual(r.rows.map((row) => row.id), [id]);
  }
}));

test('binary result format', () => withClient(async (c) => {
  const r = await c.query({
    text: 'SELECT id, name FROM node_items WHERE id = $1', values: [1], binary: true,
  });
  assert.equal(r.rows[0].id, 1);
  assert.equal(r.rows[0].name, "o'brien; --");
}));

test('array row mode and multiple rows', () => withClient(async (c) => {
  const r = await c.query({ text: 'SELECT id FROM node_items ORDER BY id', rowMode: 'array' });
  assert.deepEqual(r.rows, [[1], [2]]);
  assert.deepEqual(r.fields.map((f) => f.name), ['id']);
}));

test('an error carries its SQLSTATE and the session goes on', () => withClient(async (c) => {
  await assert.rejects(c.query('SELECT * FROM no_such_table WHERE id = $1', [1]),
                       (e) => e.code === '42P01');
  await assert.rejects(c.query('SELEC $1', [1]), (e) => e.code === '42601');
  const r = await c.query('SELECT $1::integer + 1 AS n', [41]);
  assert.equal(Number(r.rows[0].n), 42);
}));

test('transactions', () => withClient(async (c) => {
  await c.query('BEGIN');
  await c.query('INSERT INTO node_items (id, name) VALUES ($1, $2)', [3, 'rolled back']);
  await c.query('ROLLBACK');
  const r = await c.query('SELECT count(*) AS n FROM node_items WHERE id = $1', [3]);
  assert.equal(Number(r.rows[0].n), 0);
}));

test('the vault over the extended protocol', { skip: config.kind !== 'dbvault' }, async () => {
  await withClient(async (c) => {
    await c.query('CREATE TABLE node_secret (id INTEGER, v TEXT)');
    await c.query("INSERT INTO node_secret VALUES (1, 'classified')");
  });
  await withClient(async (c) => {
    await c.query("CREATE REALM node_realm REQUIRE VAULT PASSWORD 'node-realm-password-7'");
    await c.query('ALTER REALM node_realm ADD TABLE node_secret');
  }, 'secadmin');
  await withClient(async (c) => {
    // a prepared statement is checked on every execution, not once
    const q = { name: 'secret_by_id', text: 'SELECT v FROM node_secret WHERE id = $1', values: [1] };
    await assert.rejects(c.query(q), (e) => e.code === '42501' && /node_realm/.test(e.message));
    await assert.rejects(c.query('SELECT v FROM node_secret WHERE id = $1', [1]),
                         (e) => e.code === '42501');
    await assert.rejects(c.query("UNLOCK REALM node_realm PASSWORD 'wrong-password'"),
                         (e) => e.code === '28P01');
    const u = await c.query("UNLOCK REALM node_realm PASSWORD 'node-realm-password-7'");
    assert.ok(u.rows[0].token.startsWith('dbvt2.'));
    assert.deepEqual((await c.query(q)).rows, [{ v: 'classified' }]);
    await c.query('LOCK REALM node_realm');
    await assert.rejects(c.query(q), (e) => e.code === '42501');
  });
});

test('a statement prepared before the realm existed is refused after', { skip: config.kind !== 'dbvault' }, async () => {
  await withClient(async (c) => {
    await c.query('CREATE TABLE node_late (id INTEGER, v TEXT)');
    await c.query("INSERT INTO node_late VALUES (1, 'late secret')");
    await c.query('CREATE VIEW node_late_view AS SELECT id, v FROM node_late');
  });
  const c = await connect('dba');
  try {
    const direct = { name: 'late_direct', text: 'SELECT v FROM node_late WHERE id = $1', values: [1] };
    const viaView = { name: 'late_view', text: 'SELECT v FROM node_late_view WHERE id = $1', values: [1] };
    assert.equal((await c.query(direct)).rows.length, 1);
    assert.equal((await c.query(viaView)).rows.length, 1);
    await withClient(async (s) => {
      await s.query('CREATE REALM node_late_realm REQUIRE VAULT PASSWORD');
      await s.query('ALTER REALM node_late_realm ADD TABLE node_late');
    }, 'secadmin');
    // the same prepared statements, executed again in the same session
    await assert.rejects(c.query(direct), (e) => e.code === '42501' && /node_late_realm/.test(e.message));
    await assert.rejects(c.query(viaView), (e) => e.code === '42501' && /node_late_realm/.test(e.message));
  } finally {
    await c.end();
  }
});
