#!/usr/bin/env bash
# Run the test suite. Integration tests use the machine's PostgreSQL (127.0.0.1:5432), Redis
# (6379) and RabbitMQ (5672), started here if installed and not running, and start their own S3
# server (moto) and Celery workers; under CI=true a missing service fails the run instead of skipping.
set -euo pipefail
cd "$(dirname "$0")/.."
if command -v pg_isready >/dev/null && ! pg_isready -q -h 127.0.0.1 -p 5432; then
  echo "test: starting PostgreSQL"
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -1)" main start || true
fi
port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
if ! port_open 6379 && command -v redis-server >/dev/null; then
  echo "test: starting Redis"
  redis-server --daemonize yes --save "" --appendonly no
fi
if ! port_open 5672 && command -v rabbitmq-server >/dev/null; then
  echo "test: starting RabbitMQ"
  rabbitmq-server -detached
  for _ in $(seq 30); do port_open 5672 && break; sleep 1; done
fi
export PRESCREEN_HOME=${PRESCREEN_HOME:-$(mktemp -d)}
# loadgroup: the Celery integration tests share one worker per broker (xdist_group)
exec .venv/bin/python -m pytest -n "${PYTEST_WORKERS:-2}" --dist loadgroup "$@"
