#!/usr/bin/python3
"""node-postgres (tests/clients/node, `npm ci` there first) against the server; the cases
are in node/pg_client_test.js, run with node's built-in test runner."""

import json
import shutil

import client_case

NODE_DIR = client_case.CLIENTS_DIR / "node"


class NodePg(client_case.ServerCase):
    def test_node_pg(self):
        config = {"host": self.server.host, "port": self.server.port,
                  "dbname": self.server.dbname, "kind": self.kind,
                  "passwords": self.server.passwords}
        result = self.run_client(
            [shutil.which("node") or "node", "--test", "--test-reporter=tap",
             str(NODE_DIR / "pg_client_test.js")], check=False, timeout=300,
            extra_env={"DBVAULT_TEST_CONFIG": json.dumps(config)})
        print(result.stdout)
        self.assertEqual(result.returncode, 0, result.stdout + result.stderr)


if __name__ == "__main__":
    if not (NODE_DIR / "node_modules" / "pg").is_dir() or not shutil.which("node"):
        client_case.harness.skip_or_fail(client_case.harness.ServerUnavailable(
            f"node or node-postgres missing: run `npm ci --prefix {NODE_DIR}`"))
    client_case.main()
