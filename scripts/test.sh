#!/usr/bin/env bash
# Set up this checkout for development (system packages, .venv, models; see bootstrap.sh)
# and run the tests. Arguments go to pytest:
#   ./scripts/test.sh                  everything (about 13 minutes on two cores): the tests
#                                      without real-time audio two at a time (pytest-xdist),
#                                      then the slow ones (`slow`: real-time audio, a booted
#                                      installer, fuzzing, broker crashes) one at a time
#   ./scripts/test.sh -m "not slow"    the fast suite alone (about four minutes, one at a time)
#   ./scripts/test.sh tests/test_config.py -k site_area
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh --dev
if (($#)); then
    exec .venv/bin/python -m pytest -q "$@"
fi
status=0
.venv/bin/python -m pytest -q -m "not slow" -n 2 || status=$?
.venv/bin/python -m pytest -q -m slow || status=$?
exit "$status"
