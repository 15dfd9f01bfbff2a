"""Benchmarks (not tests): each prints the ratios of its targets, measured side by side in one run.

    make bench                                  # all of them
    .venv/bin/python bench/run.py scale         # only those of bench/scale.py (P2, P3, P4)
    .venv/bin/python bench/run.py throughput    # P1 and P5 (bench/throughput.py), with real workers
    .venv/bin/python bench/run.py ratelimits [--quick]  # pacing to a rate-limited provider

They need PostgreSQL and Redis, like the tests, and use a fresh database, `igny8_bench` unless
BENCH_DATABASE_URL names another (it is dropped and created again at each start).
See docs/PERFORMANCE.md for the targets and the figures of the reference machine.
"""

import importlib
import logging
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ["DATABASE_URL"] = os.environ.get(
    "BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/igny8_bench"
)
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")

# Each module has a main() that sets up its own data and prints its lines.
MODULES = ("engine_basics", "scale", "throughput", "ratelimits", "site_links")


def fresh_database() -> None:
    import psycopg

    url = os.environ["DATABASE_URL"]
    server, name = url.rsplit("/", 1)
    with psycopg.connect(server + "/postgres", autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{name}"')


def main(names: list[str]) -> None:
    unknown = set(names) - set(MODULES)
    if unknown:
        sys.exit(f"unknown benchmark module(s) {sorted(unknown)}; choose from {list(MODULES)}")
    fresh_database()
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    logging.disable(
        logging.INFO
    )  # runs, HTTP calls and the scheduler log a line each: they would drown the figures
    for name in names or MODULES:
        started = time.perf_counter()
        print(f"== bench/{name}.py")
        importlib.import_module(f"bench.{name}").main()
        print(f"   ({time.perf_counter() - started:.0f} s)")


if __name__ == "__main__":
    main([argument for argument in sys.argv[1:] if not argument.startswith("--")])
