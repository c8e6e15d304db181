#!/usr/bin/env bash
# Run the test suite. Integration tests use the machine's PostgreSQL (127.0.0.1:5432) and start
# their own S3 server (moto); under CI=true a missing service fails the run instead of skipping.
set -euo pipefail
cd "$(dirname "$0")/.."
if command -v pg_isready >/dev/null && ! pg_isready -q -h 127.0.0.1 -p 5432; then
  echo "test: starting PostgreSQL"
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -1)" main start || true
fi
export PRESCREEN_HOME=${PRESCREEN_HOME:-$(mktemp -d)}
exec .venv/bin/python -m pytest -n "${PYTEST_WORKERS:-2}" "$@"
