"""``odoo-bin`` for ``tools/bench.py``, measured from the inside.

Usage: python tools/bench_server.py /path/to/odoo-bin [odoo-bin arguments]

Runs odoo-bin in this process, unchanged, except that:

- with ``$GCS_BENCH_PROFILE`` (``--route-profile DIR``), each HTTP request
  carrying an ``X-Bench-Label`` header (the bench sends it with the Sync
  requests it measures) runs under cProfile, from the moment Odoo's WSGI
  application receives it to the moment it returns the response; the profile
  is written to ``$GCS_BENCH_PROFILE/<label>.prof`` (read it with
  ``python -m pstats``). Requests without the header are not profiled.
- with ``$GCS_BENCH_SQL_COUNT`` (a file path; W8 and W9), the number of SQL
  queries the process has run so far (every thread: the cron's included) is
  written to that file every 0.2 s.
"""

import cProfile
import os
import re
import runpy
import sys
import threading
import time


def profile_labelled_requests(directory):
    from odoo import http

    serve = http.Application.__call__

    def profiled(application, environ, start_response):
        label = environ.get("HTTP_X_BENCH_LABEL")
        if not label:
            return serve(application, environ, start_response)
        profiler = cProfile.Profile()
        try:
            return profiler.runcall(serve, application, environ, start_response)
        finally:
            name = re.sub(r"[^\w.-]", "_", label)
            profiler.dump_stats(os.path.join(directory, f"{name}.prof"))

    http.Application.__call__ = profiled


def write_sql_count(path):
    from odoo import sql_db

    def writer():
        while True:
            with open(path + ".tmp", "w") as handle:
                handle.write(str(sql_db.sql_counter))
            os.replace(path + ".tmp", path)
            time.sleep(0.2)

    threading.Thread(target=writer, daemon=True, name="bench-sql-count").start()


def main():
    odoo_bin, *arguments = sys.argv[1:]
    if os.environ.get("GCS_BENCH_PROFILE"):
        profile_labelled_requests(os.environ["GCS_BENCH_PROFILE"])
    if os.environ.get("GCS_BENCH_SQL_COUNT"):
        write_sql_count(os.environ["GCS_BENCH_SQL_COUNT"])
    sys.argv = [odoo_bin, *arguments]
    runpy.run_path(odoo_bin, run_name="__main__")


if __name__ == "__main__":
    main()
