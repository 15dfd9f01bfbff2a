#!/usr/bin/env bash
# Make PostgreSQL and Redis answer on loopback for the test suite: use running servers, else start
# the locally installed ones, else the docker compose services, else say exactly what is missing.
set -u
PG_HOST=127.0.0.1 PG_PORT=5432 REDIS_PORT=6379
here=$(cd "$(dirname "$0")/.." && pwd)

pg_up() { pg_isready -q -h "$PG_HOST" -p "$PG_PORT" 2>/dev/null || (exec 3<>"/dev/tcp/$PG_HOST/$PG_PORT") 2>/dev/null; }
redis_up() {
  if command -v redis-cli >/dev/null; then [ "$(redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping 2>/dev/null)" = PONG ]
  else (exec 3<>"/dev/tcp/127.0.0.1/$REDIS_PORT") 2>/dev/null; fi
}
wait_for() { for _ in $(seq 1 30); do "$1" && return 0; sleep 0.5; done; return 1; }
compose() {
  if docker compose version >/dev/null 2>&1 && docker info >/dev/null 2>&1; then
    (cd "$here" && docker compose -f docker-compose.dev.yml up -d "$@") && return 0
  fi
  return 1
}

if ! pg_up; then
  if command -v pg_ctlcluster >/dev/null && [ -d /etc/postgresql ]; then
    echo "Starting the local PostgreSQL..."
    for version in $(ls /etc/postgresql); do pg_ctlcluster --skip-systemctl-redirect "$version" main start || true; done
  elif compose postgres; then echo "Started PostgreSQL with docker compose."
  fi
  wait_for pg_up || {
    echo "PostgreSQL is not answering on $PG_HOST:$PG_PORT and could not be started."
    echo "Install it (Debian: apt-get install postgresql) or run 'docker compose -f docker-compose.dev.yml up -d postgres',"
    echo "or point DATABASE_URL at a server where the user may create databases."
    exit 1
  }
fi

if ! redis_up; then
  if command -v redis-server >/dev/null; then
    echo "Starting the local Redis..."
    mkdir -p /tmp/igny8-redis
    redis-server --daemonize yes --bind 127.0.0.1 --port "$REDIS_PORT" --save "" --appendonly no \
      --dir /tmp/igny8-redis --logfile /tmp/igny8-redis/redis.log
  elif compose redis; then echo "Started Redis with docker compose."
  fi
  wait_for redis_up || {
    echo "Redis is not answering on 127.0.0.1:$REDIS_PORT and could not be started."
    echo "Install it (Debian: apt-get install redis-server) or run 'docker compose -f docker-compose.dev.yml up -d redis'."
    exit 1
  }
fi
echo "PostgreSQL and Redis are answering."
