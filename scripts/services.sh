#!/usr/bin/env bash
# Starts the database servers the storage tests use (PostgreSQL, MariaDB, Redis on loopback) if
# one is down, with the commands this machine kind starts them with, then waits until each answers.
set -uo pipefail

up() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

start() {
  local name=$1 port=$2; shift 2
  if up "$port"; then return 0; fi
  echo "starting $name (port $port was closed)"
  "$@" || echo "could not start $name with: $*"
}

start PostgreSQL 5432 pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql 2>/dev/null | head -1)" main start
start MariaDB 3306 start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd
start Redis 6379 redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no --dir /var/lib/redis --logfile /var/log/redis/ci.log

status=0
for service in PostgreSQL:5432 MariaDB:3306 Redis:6379; do
  name=${service%%:*} port=${service##*:}
  for _ in $(seq 1 60); do up "$port" && break; sleep 0.5; done
  if up "$port"; then echo "$name is up on 127.0.0.1:$port"; else echo "$name did not come up on 127.0.0.1:$port"; status=1; fi
done
exit $status
