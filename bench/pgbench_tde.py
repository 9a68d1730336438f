#!/usr/bin/python3
"""pgbench through the server with TDE on against TDE off, in one run (issue 11). Run it as
bench/pgbench_tde.sh; docs/encryption.md §7 describes it, docs/performance.md records it.

tde-on: the dbvault binary (build/server/dbvault, or DBVAULT_BIN): every database file
encrypted. tde-off: build/bench/dbvault_bench_plain (or DBVAULT_PLAIN_BIN), the same server
built with its VFS passing every file through unencrypted (bench/tde.cmake): the difference
is the encryption, the page version table and the WAL state record, not the rest of the
server. Both get the same vault setup as bench/pgbench_vault.py's dbvault-on (a realm with a
vault password over the pgbench tables, unlocked once per connection with a token).

Both servers run at once, idle but for the pgbench run of the moment; each figure is measured
on tde-on, then tde-off, then again in the opposite order (BENCH_REPEAT rounds, default 2, the
best of each kept), so that a busy machine disturbs both alike.

Environment: BENCH_SECONDS (per run, default 10), BENCH_CLIENTS (default "1 8"), BENCH_MODES
("simple prepared"), BENCH_SCRIPTS ("select readwrite"), BENCH_SCALE (pgbench scale, default
1), BENCH_REPEAT, BENCH_SSLMODE (as in pgbench_vault.py), DBVAULT_BIN, DBVAULT_PLAIN_BIN.
"""

import math
import os
import sys
from pathlib import Path

os.environ.setdefault("BENCH_CLIENTS", "1 8")
os.environ.setdefault("BENCH_IDLE", "0")  # no RSS figure here
sys.path.insert(0, str(Path(__file__).resolve().parent))

import pgbench_vault as pv  # noqa: E402

BUILD = Path(__file__).resolve().parents[1] / "build"
BINARIES = {
    "tde-on": os.environ.get("DBVAULT_BIN", str(BUILD / "server" / "dbvault")),
    "tde-off": os.environ.get("DBVAULT_PLAIN_BIN", str(BUILD / "bench" / "dbvault_bench_plain")),
}
REPEAT = int(os.environ.get("BENCH_REPEAT", "2"))
TARGET = 0.95


def start(name: str, workdir: Path) -> pv.harness.Server:
    os.environ["DBVAULT_BIN"] = BINARIES[name]  # read by the harness when the server starts
    return pv.start("dbvault-on", workdir)


def encrypted(server: pv.harness.Server) -> bool:
    """Whether the engine database starts with the dbvault file header (docs/encryption.md
    §3.3): tde-on must be, tde-off must not, or the comparison means nothing."""
    with open(server.data_dir / "data" / "main.db", "rb") as f:
        return f.read(4) == b"DBVT"


def measure(servers: dict, scripts: dict, results: dict) -> bool:
    all_ok = True
    for script in pv.SCRIPTS:
        for mode in pv.MODES:
            for clients in pv.CLIENTS:
                for r in range(REPEAT):
                    order = list(servers) if r % 2 == 0 else list(reversed(servers))
                    for name in order:
                        try:
                            tps = pv.run_tps(servers[name], scripts[name][script], mode, clients)
                        except RuntimeError as error:
                            print(f"bench: {name} {script} {mode} {clients} clients: "
                                  f"{str(error).strip().splitlines()[-2:]}", file=sys.stderr)
                            all_ok = False
                            continue
                        key = (name, script, mode, clients)
                        results[key] = max(results.get(key, 0.0), tps)
                for name in servers:
                    if (name, script, mode, clients) in results:
                        print(f"tps server={name} script={script} mode={mode} clients={clients} "
                              f"value={results[(name, script, mode, clients)]:.1f}", flush=True)
    return all_ok


def report(results: dict) -> None:
    print(f"\npgbench through dbvault, {pv.SECONDS} s per run, best of {REPEAT}, scale "
          f"{pv.SCALE}, sslmode={pv.SSLMODE} (TPS)")
    print(f"{'script':<10} {'mode':<9} {'clients':>7} {'tde-on':>10} {'tde-off':>10} {'on/off':>7}")
    lines, ratios = [], []
    for script in pv.SCRIPTS:
        for mode in pv.MODES:
            for clients in pv.CLIENTS:
                on = results.get(("tde-on", script, mode, clients))
                off = results.get(("tde-off", script, mode, clients))
                r = on / off if on and off else None
                print(f"{script:<10} {mode:<9} {clients:>7} {on or float('nan'):>10.1f} "
                      f"{off or float('nan'):>10.1f} " + (f"{r:>7.3f}" if r else f"{'-':>7}"))
                if r:
                    ratios.append(r)
                    lines.append(f"ratio name=tde_on/tde_off:{script}:{mode}:c{clients} "
                                 f"value={r:.3f}")
    if ratios:
        mean = math.exp(sum(map(math.log, ratios)) / len(ratios))
        lines.append(f"ratio name=tde_on/tde_off:geomean value={mean:.3f}")
    print(f"target: tde_on/tde_off >= {TARGET}\n")
    print("\n".join(lines))


def main() -> int:
    results: dict = {}
    ok = True
    with pv.harness.temp_workdir("bench-tde-on") as on_dir, \
            pv.harness.temp_workdir("bench-tde-off") as off_dir:
        servers: dict = {}
        try:
            servers["tde-on"] = start("tde-on", on_dir)
            servers["tde-off"] = start("tde-off", off_dir)
            if not encrypted(servers["tde-on"]) or encrypted(servers["tde-off"]):
                raise RuntimeError(f"tde-on must be encrypted and tde-off not: check "
                                   f"{BINARIES['tde-on']} and {BINARIES['tde-off']}")
            scripts = {name: pv.prepare("dbvault-on", s) for name, s in servers.items()}
            ok = measure(servers, scripts, results)
        except (pv.harness.ServerUnavailable, pv.harness.ServerError, RuntimeError) as error:
            print(f"bench: {error}", file=sys.stderr)
            ok = False
        finally:
            for s in servers.values():
                s.stop()
    report(results)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
