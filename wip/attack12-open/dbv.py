"""Shared helper: init a fresh dbvault data dir in /tmp and serve it."""
import os, subprocess, tempfile, time, signal, shutil, sys, atexit
import psycopg2

BIN = os.environ.get("DBVAULT_BIN", "/work/attack2/bin/dbvault")
PW = {"dba": "dba-Secret-1", "secadmin": "sec-Secret-1", "auditor": "aud-Secret-1"}
# A throwaway test master key (an obvious pattern), never a real one.
MK = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"

def env():
    e = dict(os.environ)
    e.update(DBVAULT_DBA_PASSWORD=PW["dba"], DBVAULT_SECADMIN_PASSWORD=PW["secadmin"],
             DBVAULT_AUDITOR_PASSWORD=PW["auditor"], DBVAULT_ALLOW_TEST_CLOCK="1",
             DBVAULT_MASTER_KEY_HEX=MK, DBVAULT_MASTER_KEY_ID="mk-test-1")
    return e

class Server:
    def __init__(self, d=None):
        self.tmp = d or tempfile.mkdtemp(prefix="dbvatk-", dir="/tmp")
        self.data = os.path.join(self.tmp, "data")
        self.clock = os.path.join(self.tmp, "clock")
        self.proc = None
        atexit.register(self.stop)  # never leave a server behind
        if d is None:
            open(self.clock, "w").write("0")
            r = subprocess.run([BIN, "init", "--data-dir", self.data, "--kms", "env"],
                               env=env(), capture_output=True, text=True)
            if r.returncode != 0:
                raise RuntimeError("init failed: " + r.stdout + r.stderr)

    def start(self):
        pf = os.path.join(self.tmp, "port")
        if os.path.exists(pf): os.unlink(pf)
        self.log = open(os.path.join(self.tmp, "server.log"), "ab")
        self.proc = subprocess.Popen([BIN, "serve", "--data-dir", self.data, "--listen", "127.0.0.1:0",
                                      "--port-file", pf, "--test-clock-file", self.clock],
                                     env=env(), stdout=self.log, stderr=subprocess.STDOUT)
        for _ in range(300):
            if os.path.exists(pf) and open(pf).read().strip():
                self.port = int(open(pf).read().strip()); return self
            if self.proc.poll() is not None:
                raise RuntimeError("server exited %s; log %s" % (self.proc.returncode, self.tmp))
            time.sleep(0.05)
        raise RuntimeError("no port")

    def advance(self, secs):
        cur = int(open(self.clock).read().strip() or 0)
        open(self.clock, "w").write(str(cur + secs))

    def connect(self, user, autocommit=True, **kw):
        c = psycopg2.connect(host="127.0.0.1", port=self.port, user=user,
                             password=kw.pop("password", PW.get(user, "")), dbname="dbvault",
                             sslmode="require", **kw)
        c.autocommit = autocommit
        return c

    def stop(self, sig=signal.SIGTERM):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(sig)
            try: self.proc.wait(30)
            except subprocess.TimeoutExpired: self.proc.kill(); self.proc.wait()
        rc = self.proc.returncode if self.proc else None
        self.proc = None
        return rc

    def cleanup(self):
        self.stop()
        if not os.environ.get("KEEP"): shutil.rmtree(self.tmp, ignore_errors=True)

def run(conn, sql):
    """Execute; return ('ok', rows) or ('err', sqlstate, message)."""
    cur = conn.cursor()
    try:
        cur.execute(sql)
        rows = cur.fetchall() if cur.description else None
        return ("ok", rows)
    except psycopg2.Error as e:
        return ("err", e.pgcode, (e.pgerror or str(e)).strip().splitlines()[0] if (e.pgerror or str(e)) else "")
