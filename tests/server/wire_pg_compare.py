#!/usr/bin/python3
"""Compares server/wire's value formats with PostgreSQL 15's on thousands of random values.

Starts a throwaway PostgreSQL 15 cluster (initdb on a temporary directory, a free loopback
port), asks it for the text and send form of random numeric, timestamp, timestamptz and date
literals and the text form of random float4/float8 values, asks wire_pg_value_tool the same,
and fails on any difference. Skips (exit 0) when PostgreSQL 15 is not installed.
usage: wire_pg_compare.py WIRE_PG_VALUE_TOOL [SEED] [COUNT]
"""
import os, random, shutil, socket, struct, subprocess, sys, tempfile

PG = "/usr/lib/postgresql/15/bin"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def as_postgres(cmd):
    # initdb refuses to run as root: run the server as the postgres user then.
    return ["runuser", "-u", "postgres", "--"] + cmd if os.geteuid() == 0 else cmd


def digits(n):
    return "".join(random.choice("0123456789") for _ in range(n))


def value_cases(count):
    cases = []
    for _ in range(count):
        s = random.choice(["", "-", "+"]) + digits(random.randint(0, 25))
        if random.random() < 0.7:
            s += "." + digits(random.randint(0, 25))
        if random.random() < 0.2:
            s += "e" + random.choice(["", "-", "+"]) + str(random.randint(0, 40))
        cases.append((1700, "numeric", "numeric_send", s))
    for _ in range(count):
        y, m, d = random.randint(1, 9999), random.randint(1, 12), random.randint(1, 28)
        s = "%04d-%02d-%02d" % (y, m, d)
        if random.random() < 0.8:
            s += random.choice([" ", "T"]) + "%02d:%02d:%02d" % (
                random.randint(0, 23), random.randint(0, 59), random.randint(0, 59))
            if random.random() < 0.5:
                s += "." + digits(random.randint(1, 6))
            if 1 < y < 9999:
                s += random.choice(["", "Z", "+02", "-05:30", "+1130"])
        cases.append(random.choice([(1114, "timestamp", "timestamp_send"),
                                    (1184, "timestamptz", "timestamptz_send"),
                                    (1082, "date", "date_send")]) + (s,))
    return cases


def float_cases(count):
    doubles, floats = [], []
    for _ in range(count):
        r = random.random()
        if r < 0.3:
            x = float(random.getrandbits(random.randint(1, 64)))
        elif r < 0.6:
            x = 10 ** random.uniform(-30, 30) * random.choice([1, -1])
        else:
            x = struct.unpack("<d", struct.pack("<Q", random.getrandbits(64)))[0]
        if x == x and abs(x) != float("inf"):
            doubles.append(x)
        f = struct.unpack("<f", struct.pack("<I", random.getrandbits(32)))[0]
        if f == f and abs(f) != float("inf"):
            floats.append(f)
    doubles += [2.0 ** e for e in range(-1074, 1024, 7)]
    floats += [struct.unpack("<f", struct.pack("<f", 2.0 ** e))[0] for e in range(-149, 128, 3)]
    return doubles, floats


def psql(port, statements):
    """One output line per statement that succeeds (a failing one prints nothing)."""
    out = []
    for chunk in range(0, len(statements), 2000):
        script = "\\set ON_ERROR_STOP 0\nSET TimeZone = 'UTC';\n"
        script += "\n".join(statements[chunk:chunk + 2000]) + "\n"
        r = subprocess.run(["psql", "-h", "127.0.0.1", "-p", str(port), "-U", "postgres",
                            "-AtqX", "-d", "postgres"], input=script, capture_output=True,
                           text=True)
        out += r.stdout.splitlines()
    return out


def main():
    tool = sys.argv[1]
    seed = int(sys.argv[2]) if len(sys.argv) > 2 else 20261201
    count = int(sys.argv[3]) if len(sys.argv) > 3 else 3000
    if not os.path.exists(PG + "/initdb") or shutil.which("psql") is None:
        print("PostgreSQL 15 not installed: skipped")
        return 0
    random.seed(seed)
    tmp = tempfile.mkdtemp(prefix="wire-pg-")
    port = free_port()
    try:
        if os.geteuid() == 0:
            shutil.chown(tmp, "postgres")
        data = os.path.join(tmp, "data")
        subprocess.run(as_postgres([PG + "/initdb", "-D", data, "-A", "trust", "-U", "postgres"]),
                       check=True, capture_output=True)
        subprocess.run(as_postgres([PG + "/pg_ctl", "-D", data, "-w", "-l", os.path.join(tmp, "log"),
                                    "-o", "-p %d -k %s -c listen_addresses=127.0.0.1" % (port, tmp),
                                    "start"]), check=True, capture_output=True)
        try:
            return compare(tool, port, count)
        finally:
            subprocess.run(as_postgres([PG + "/pg_ctl", "-D", data, "-m", "fast", "stop"]),
                           capture_output=True)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def compare(tool, port, count):
    cases = value_cases(count)
    doubles, floats = float_cases(count)
    # A valid literal is compared; an invalid one must be refused by both sides.
    statements = ["SELECT '%s'::%s::text || '|' || encode(%s('%s'::%s), 'hex');" % (s, t, f, s, t)
                  for (_, t, f, s) in cases]
    statements += ["SELECT '%r'::float8;" % x for x in doubles]
    statements += ["SELECT '%.9e'::float4;" % x for x in floats]
    ours_in = ["V %d %s" % (o, s) for (o, _, _, s) in cases]
    ours_in += ["D %016x" % struct.unpack("<Q", struct.pack("<d", x))[0] for x in doubles]
    ours_in += ["F %08x" % struct.unpack("<I", struct.pack("<f", x))[0] for x in floats]
    ours = subprocess.run([tool], input="\n".join(ours_in) + "\n", capture_output=True,
                          text=True, check=True).stdout.splitlines()
    theirs = psql(port, statements)
    # psql prints nothing for a statement that failed: realign on our refusals.
    expected = [o for o in ours if not o.startswith("ERR")]
    refused = len(ours) - len(expected)
    bad = [(i, a, b) for i, (a, b) in enumerate(zip(theirs, expected)) if a != b]
    if len(theirs) != len(expected) or bad:
        for i, a, b in bad[:10]:
            print("differs: postgresql=%r wire=%r" % (a, b))
        print("FAILED: %d lines from PostgreSQL, %d from wire, %d differ"
              % (len(theirs), len(expected), len(bad)))
        return 1
    print("same as PostgreSQL 15: %d values (%d refused by both)" % (len(expected), refused))
    return 0


if __name__ == "__main__":
    sys.exit(main())
