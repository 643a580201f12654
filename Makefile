# The two commands a newcomer needs are `make run` and `make test`.
.PHONY: run test test-pure lint readme bench soak fake pot setup clean

run:  ## set up, then serve Odoo (with the local Google fake) on http://localhost:8069
	@bash tools/run.sh

test:  ## set up, build a fresh test database, run the whole suite
	@bash tools/test.sh

test-pure:  ## the tests that need neither Odoo nor a database (tests/pure/), in seconds
	@bash tools/test_pure.sh

lint:  ## ruff, pylint-odoo, and README.rst matching readme/
	@bash tools/lint.sh

readme:  ## regenerate README.rst from the readme/ fragments (never edit README.rst by hand)
	@bash tools/setup.sh >/dev/null && $${GCS_VENV:-.venv}/bin/python tools/readme.py

bench:  ## performance benchmark (not part of make test)
	@bash tools/bench.sh

soak:  ## convergence property test, long and random (EXAMPLES=200 STEPS=40 KNOWN_BUGS=1), prints figures
	@python3 tools/soak.py --examples $${EXAMPLES:-200} --steps $${STEPS:-40} $${KNOWN_BUGS:+--known-bugs}

fake:  ## run the local Google fake alone (PORT=8765)
	@bash tools/setup.sh >/dev/null && .venv/bin/python -m fake_google --port $${PORT:-8765}

pot:  ## regenerate the translation template i18n/google_calendar_sync.pot
	@bash tools/pot.sh

setup:  ## only the set-up (virtualenv, PostgreSQL, Chromium, config)
	@bash tools/setup.sh --browser

clean:  ## forget the virtualenv, the build folder and this clone's demo database (test databases stay)
	@bash tools/clean.sh
