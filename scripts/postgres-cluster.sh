#!/usr/bin/env bash
# A throw-away PostgreSQL cluster from Debian's packages, for tests and benchmarks: initialised in
# a temporary folder, listening on 127.0.0.1 at a free port chosen now (and on a Unix socket in the
# folder), with durability off, and removed afterwards.
#
#   scripts/postgres-cluster.sh run COMMAND...   start a cluster, run COMMAND with TEST_DATABASE_URL
#                                                set to its `postgres` database, stop and remove it
#   scripts/postgres-cluster.sh start            start one and print `DIR URL` (for scripts that
#   scripts/postgres-cluster.sh stop DIR         keep it across several steps), and remove it
#
# `initdb` refuses to run as root, so as root the cluster runs as the `postgres` user.
# POSTGRES_DURABLE=1 keeps PostgreSQL's defaults (fsync and synchronous commit on), for benchmarks
# that compare it with SQLite, which syncs every commit.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-system-packages.sh postgresql-15 >&2
bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)

as_owner() {
  if [[ $(id -u) -eq 0 ]]; then runuser -u postgres -- "$@"; else "$@"; fi
}

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

start() {
  local dir port password
  dir=$(mktemp -d /tmp/todo-postgres.XXXXXX)
  [[ $(id -u) -eq 0 ]] && chown postgres: "$dir"
  # A password of its own (SCRAM), so that other users of this machine cannot use the cluster;
  # the folder (socket, data, password file) is its owner's alone.
  password=$(python3 -c 'import secrets; print(secrets.token_hex(16))')
  echo "$password" >"$dir/password"
  [[ $(id -u) -eq 0 ]] && chown postgres: "$dir/password"
  chmod 600 "$dir/password"
  as_owner "$bin/initdb" -D "$dir/data" -A scram-sha-256 --pwfile="$dir/password" -U postgres -E UTF8 --locale=C.UTF-8 --no-sync \
    >"$dir/initdb.log" 2>&1 || {
    cat "$dir/initdb.log" >&2
    rm -rf "$dir"
    return 1
  }
  local durability="-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
  [[ "${POSTGRES_DURABLE:-}" == 1 ]] && durability=""
  # A port chosen now may be taken before the server binds it: try a few.
  for _ in 1 2 3 4 5; do
    port=$(free_port)
    if as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/log" -w -t 30 -o "-p $port -k $dir -c listen_addresses=127.0.0.1 \
      $durability -c max_connections=400 -c shared_buffers=128MB" start >/dev/null; then
      echo "$dir postgres://postgres:$password@127.0.0.1:$port/postgres?sslmode=disable"
      return 0
    fi
  done
  cat "$dir/log" >&2
  rm -rf "$dir"
  return 1
}

stop() {
  local dir=$1
  [[ -d "$dir/data" ]] && as_owner "$bin/pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null 2>&1 || true
  rm -rf "$dir"
}

case "${1:-}" in
  start) start ;;
  stop) stop "$2" ;;
  run)
    shift
    read -r dir url < <(start)
    trap 'stop "$dir"' EXIT INT TERM
    TEST_DATABASE_URL=$url "$@"
    ;;
  *)
    echo "usage: $0 run COMMAND... | start | stop DIR" >&2
    exit 2
    ;;
esac
