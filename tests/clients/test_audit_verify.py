#!/usr/bin/python3
"""VERIFY AUDIT LOG over the wire finds a record altered on disk while the server runs
(docs/sql-reference.md §10.3, docs/audit.md §7).

The auditor verifies a sound chain (a row, status ok); one byte of the first record's sealed
payload is flipped in its segment file; the next VERIFY AUDIT LOG answers XX001 naming seq 1,
and the server log carries the CRITICAL alert; with the byte put back it answers ok again, so
the failure was the alteration and nothing else. The alert also lands in the file that
`audit.alert_file` names (docs/audit.md §8), as one JSON line.
"""

import json

import psycopg2

import client_case

SEGMENT_HEADER = 64  # docs/audit.md §3: segment header, then frames
FRAME_PREFIX = 24    # length, seq, ... before the sealed payload (nonce ‖ ciphertext ‖ tag)
NONCE = 12


class VerifyAuditLog(client_case.ServerCase):
    SERVER_OPTIONS = {"dbvault": {"config": {"audit.alert_file": "alerts.jsonl"}}}

    def verify(self):
        with self.connect("auditor").cursor() as c:
            c.execute("VERIFY AUDIT LOG")
            columns = [d.name for d in c.description]
            return dict(zip(columns, c.fetchone()))

    def test_an_altered_record_is_found_and_named(self):
        self.require_dbvault()
        before = self.verify()
        self.assertEqual(before["status"], "ok")
        self.assertGreater(int(before["records"]), 0)

        segments = sorted((self.server.data_dir / "audit").glob("seg-*.log"))
        self.assertTrue(segments, "no audit segment file")
        first = segments[0]
        offset = SEGMENT_HEADER + FRAME_PREFIX + NONCE + 3  # inside record 1's ciphertext
        with open(first, "r+b") as f:
            f.seek(offset)
            original = f.read(1)
            f.seek(offset)
            f.write(bytes([original[0] ^ 0x40]))
        try:
            with self.assertRaises(psycopg2.Error) as caught:
                self.verify()
            self.assertEqual(caught.exception.pgcode, "XX001")
            self.assertIn("audit log broken at seq 1", caught.exception.pgerror)
            log = self.server.log_path.read_text(errors="replace")
            self.assertIn("audit alert (audit_verify_failed)", log)
            alerts = (self.server.data_dir / "alerts.jsonl").read_text().splitlines()
            kinds = [json.loads(line)["kind"] for line in alerts]
            self.assertIn("audit_verify_failed", kinds)
        finally:
            with open(first, "r+b") as f:
                f.seek(offset)
                f.write(original)
        self.assertEqual(self.verify()["status"], "ok")

    def test_only_the_auditor_verifies(self):
        self.require_dbvault()
        for user in ("dba", "secadmin"):
            with self.subTest(user=user), self.connect(user).cursor() as c:
                with self.assertRaises(psycopg2.Error) as caught:
                    c.execute("VERIFY AUDIT LOG")
                self.assertEqual(caught.exception.pgcode, "42501")


if __name__ == "__main__":
    client_case.main()
