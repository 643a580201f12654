#!/usr/bin/env bash
# `make test-pure`: the tests that need neither Odoo nor a database
# (tests/pure/: engine/ and fake_google/), under plain pytest, in seconds.
# `make test` runs them too, with the rest of the suite.
#
# Run from the repo root, so `engine` and `fake_google` import as top-level
# packages; tools/pytest_pure.py keeps Odoo off the path.
#
# Environment: PYTEST_ARGS (extra pytest arguments, e.g. -k mapping), plus
# what tools/setup.sh reads.
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
bash "$repo/tools/setup.sh" --no-db >/dev/null
source "$repo/tools/env.sh"

cd "$GCS_REPO"
# PYTEST_ARGS is split like a shell command line, so -k "a or b" works.
eval "extra_args=(${PYTEST_ARGS:-})"
# -p no:odoo: pytest-odoo is installed in the virtualenv and would import Odoo.
PYTHONPATH="$GCS_REPO/tools${PYTHONPATH:+:$PYTHONPATH}" \
    exec "$GCS_VENV/bin/python" -m pytest -p no:cacheprovider -p no:odoo -p pytest_pure --rootdir=tests/pure \
    "${extra_args[@]}" tests/pure
