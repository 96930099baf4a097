#!/usr/bin/env bash
# Set up this checkout for development (system packages, .venv, models; see bootstrap.sh)
# and run the tests. Arguments go to pytest:
#   ./scripts/test.sh                  everything (about 13 minutes on two cores)
#   ./scripts/test.sh -m "not slow"    the fast suite (about three minutes)
#   ./scripts/test.sh tests/test_config.py -k site_area
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh --dev
exec .venv/bin/python -m pytest -q "$@"
