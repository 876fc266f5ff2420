#!/usr/bin/env bash
# A throwaway PostgreSQL 15 cluster for the tests and the demo.
#
#   tests/pg.sh start DIR           initdb + start (no-op if already up)
#   tests/pg.sh stop DIR            stop and delete the cluster
#   tests/pg.sh restart DIR         pg_ctl restart, same port
#   tests/pg.sh stop-only DIR       stop, keep everything
#   tests/pg.sh start-only DIR      start the kept cluster again
#   tests/pg.sh psql DIR [args...]  psql as the superuser
#   tests/pg.sh load DIR FILE...    run SQL files as the superuser
#
# DIR is a state directory. After `start`, DIR/env holds KEY=VALUE lines
# (PGHOST, PGPORT, PGDATABASE, PGUSER, PGPASSWORD for the application role,
# plus LF_PG_SUPERUSER, LF_PG_BINDIR, LF_PG_DATA, LF_PG_LOG), sourceable by
# bash and trivial to parse elsewhere.
#
# The cluster listens on 127.0.0.1 only, on a free random port, with no unix
# socket (socket paths are limited to 107 bytes and DIR can be deep). As on
# Lakebase the application role logs in with a password (scram-sha-256) and
# may only read; the superuser "postgres" is trusted from 127.0.0.1.
#
# initdb refuses to run as root: as root the server runs as the OS user
# postgres. If that user cannot reach DIR (say a clone under /root), the data
# directory goes to a fresh mktemp dir under /tmp, recorded in DIR/pgroot.
set -euo pipefail

prog=${0##*/}
SUPERUSER=postgres
APP_ROLE=lakefront_app
DATABASE=lakefront

die() {
    echo "$prog: $*" >&2
    exit 1
}

usage() {
    sed -n '4,10p' "$0" | sed 's/^# \{0,1\}//' >&2
    exit 2
}

# Our psql and pg_ctl calls say what they mean; settings inherited from the
# caller (PGSSLMODE=require, PGOPTIONS, a PGSERVICE...) must not change that.
for v in "${!PG@}"; do
    unset "$v"
done
export PGCLIENTENCODING=UTF8

# ---------------------------------------------------------------- helpers

find_bindir() {
    if [[ -n "${LF_PG_BINDIR:-}" ]]; then
        [[ -x "$LF_PG_BINDIR/pg_ctl" ]] || die "LF_PG_BINDIR=$LF_PG_BINDIR has no pg_ctl"
        echo "$LF_PG_BINDIR"
        return
    fi
    local d
    for d in /usr/lib/postgresql/15/bin /usr/lib/postgresql/*/bin; do
        if [[ -x "$d/initdb" && -x "$d/pg_ctl" && -x "$d/psql" ]]; then
            echo "$d"
            return
        fi
    done
    d=$(command -v initdb 2>/dev/null || true)
    [[ -n "$d" ]] || die "no PostgreSQL server binaries found (apt-get install postgresql-15, or run tests/deps.sh)"
    dirname "$d"
}

# Runs a server-side command (initdb, pg_ctl) as the user that owns the
# cluster: postgres when we are root, else ourselves.
# From / because postgres may not be allowed into our working directory;
# every path we pass is absolute.
as_owner() {
    if ((EUID == 0)); then
        (cd / && runuser -u "$SUPERUSER" -- "$@")
    else
        "$@"
    fi
}

# Values go into DIR/env unquoted so that both bash and a naive KEY=VALUE
# parser read them; refuse anything that would need quoting.
check_plain() {
    [[ "$2" =~ ^[A-Za-z0-9_./:@+-]*$ ]] ||
        die "$1 '$2' contains spaces or shell characters; use a plainer path"
}

# True if something accepts TCP connections on 127.0.0.1:$1.
port_in_use() {
    local port=$1
    if command -v ss >/dev/null 2>&1; then
        if ss -Hltn "sport = :$port" 2>/dev/null | grep -q .; then
            return 0
        fi
    fi
    # The connect is local: it succeeds or is refused at once.
    (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null
}

pick_port() {
    local i port
    for ((i = 0; i < 100; i++)); do
        port=$((20000 + (RANDOM * 32768 + RANDOM) % 40001))
        if ! port_in_use "$port"; then
            echo "$port"
            return
        fi
    done
    die "no free port found in 20000-60000 after 100 tries"
}

show_log() {
    local log=$1
    if [[ -r "$log" ]]; then
        echo "$prog: last 50 lines of $log:" >&2
        tail -n 50 "$log" >&2
    else
        echo "$prog: no server log at $log" >&2
    fi
}

# Reads DIR/env into ENV_* variables without sourcing it into our own
# environment (that would put PG* back into it). Returns 1 if there is none.
read_env() {
    local key value
    ENV_PGPORT="" ENV_PGPASSWORD="" ENV_LF_PG_DATA="" ENV_LF_PG_LOG="" ENV_LF_PG_BINDIR=""
    [[ -r "$STATE/env" ]] || return 1
    while IFS='=' read -r key value; do
        case "$key" in
        PGPORT) ENV_PGPORT=$value ;;
        PGPASSWORD) ENV_PGPASSWORD=$value ;;
        LF_PG_DATA) ENV_LF_PG_DATA=$value ;;
        LF_PG_LOG) ENV_LF_PG_LOG=$value ;;
        LF_PG_BINDIR) ENV_LF_PG_BINDIR=$value ;;
        esac
    done <"$STATE/env"
    [[ -n "$ENV_PGPORT" && -n "$ENV_LF_PG_DATA" ]]
}

need_env() {
    read_env || die "no cluster in $STATE (no usable $STATE/env); run: $prog start $STATE"
    [[ -z "$ENV_LF_PG_BINDIR" ]] || BINDIR=$ENV_LF_PG_BINDIR
}

is_ready() {
    "$BINDIR/pg_isready" -q -h 127.0.0.1 -p "$1" -d postgres -U "$SUPERUSER" -t 2
}

is_running() { # data dir
    [[ -f "$1/postmaster.pid" ]] && as_owner "$BINDIR/pg_ctl" status -D "$1" >/dev/null 2>&1
}

superuser_psql() { # port, then psql args
    local port=$1
    shift
    "$BINDIR/psql" -h 127.0.0.1 -p "$port" -U "$SUPERUSER" -d "$DATABASE" \
        -v ON_ERROR_STOP=1 -X -q "$@"
}

# Writes the port into the settings file that postgresql.conf includes.
set_port() { # data dir, port
    as_owner sed -i "s/^port = .*/port = $2/" "$1/lakefront.conf"
}

pg_start() { # data dir, log
    as_owner "$BINDIR/pg_ctl" start -w -t 60 -D "$1" -l "$2" >/dev/null
}

# Starts the cluster in $1; if its port was taken meanwhile (another test
# grabbed it between our probe and the bind), moves to a new one, at most 5
# times. Prints the port in use.
start_with_retry() { # data dir, log, port
    local data=$1 log=$2 port=$3 tries
    for ((tries = 1; ; tries++)); do
        set_port "$data" "$port"
        : >"$log" # a fresh log per attempt, so the bind check below is about this one
        if pg_start "$data" "$log"; then
            echo "$port"
            return 0
        fi
        if ((tries < 5)) && grep -q 'could not bind\|Address already in use\|could not create any TCP/IP sockets' "$log"; then
            echo "$prog: port $port was taken, trying another" >&2
            port=$(pick_port)
            continue
        fi
        show_log "$log"
        return 1
    done
}

write_env() { # port, password, data, log
    local tmp="$STATE/env.tmp"
    {
        echo "PGHOST=127.0.0.1"
        echo "PGPORT=$1"
        echo "PGDATABASE=$DATABASE"
        echo "PGUSER=$APP_ROLE"
        echo "PGPASSWORD=$2"
        echo "LF_PG_SUPERUSER=$SUPERUSER"
        echo "LF_PG_BINDIR=$BINDIR"
        echo "LF_PG_DATA=$3"
        echo "LF_PG_LOG=$4"
    } >"$tmp"
    chmod 600 "$tmp"
    mv "$tmp" "$STATE/env"
}

# ---------------------------------------------------------------- commands

cmd_start() {
    if read_env; then
        [[ -z "$ENV_LF_PG_BINDIR" ]] || BINDIR=$ENV_LF_PG_BINDIR
        if is_ready "$ENV_PGPORT"; then
            echo "$prog: already running on port $ENV_PGPORT" >&2
            return 0
        fi
        # A cluster kept by stop-only (the demo does that): start it again
        # rather than paying for initdb and a data load; on a new port if
        # something else took the old one meanwhile.
        if [[ -f "$ENV_LF_PG_DATA/PG_VERSION" ]]; then
            if ! port_in_use "$ENV_PGPORT"; then
                cmd_start_only
                return
            fi
            echo "$prog: port $ENV_PGPORT is taken by something else; moving the cluster" >&2
            local port
            port=$(start_with_retry "$ENV_LF_PG_DATA" "$ENV_LF_PG_LOG" "$(pick_port)") ||
                die "could not start PostgreSQL in $ENV_LF_PG_DATA"
            write_env "$port" "$ENV_PGPASSWORD" "$ENV_LF_PG_DATA" "$ENV_LF_PG_LOG"
            echo "$prog: started on port $port" >&2
            return
        fi
        echo "$prog: $STATE/env is stale (no $ENV_LF_PG_DATA); creating a new cluster" >&2
        cmd_stop
    fi

    # Leftovers of a failed start: a server may even be running.
    cmd_stop

    local data="$STATE/data" log="$STATE/postgres.log" root=""
    check_plain DIR "$STATE"
    if ((EUID == 0)); then
        id -u "$SUPERUSER" >/dev/null 2>&1 || die "OS user $SUPERUSER does not exist (apt-get install postgresql-15 creates it)"
        mkdir -p "$data"
        : >"$log"
        chown "$SUPERUSER:" "$data" "$log"
        if ! runuser -u "$SUPERUSER" -- test -x "$data" -a -w "$data" -a -w "$log"; then
            rm -rf "$data" "$log"
            root=$(mktemp -d /tmp/lakefront-pg.XXXXXX)
            echo "$root" >"$STATE/pgroot"
            echo "$prog: $SUPERUSER cannot reach $STATE; the cluster goes to $root" >&2
            data="$root/data"
            log="$root/postgres.log"
            chmod 755 "$root"
            mkdir -p "$data"
            : >"$log"
            chown "$SUPERUSER:" "$root" "$data" "$log"
            # Easier to find for a human.
            ln -sfn "$log" "$STATE/postgres.log"
        fi
    else
        mkdir -p "$data"
    fi
    chmod 700 "$data"

    # C.UTF-8 where glibc has it (Debian 12 does): byte-order collation,
    # UTF-8 character classes, the same everywhere.
    local locale_opt=(--no-locale)
    if locale -a 2>/dev/null | grep -qix 'c\.utf-\{0,1\}8'; then
        locale_opt=(--locale=C.UTF-8)
    fi
    echo "$prog: initdb $data" >&2
    if ! as_owner "$BINDIR/initdb" -D "$data" -U "$SUPERUSER" --auth=trust --encoding=UTF8 \
        "${locale_opt[@]}" --no-instructions >"$STATE/initdb.log" 2>&1; then
        cat "$STATE/initdb.log" >&2
        die "initdb failed"
    fi

    # Settings in a file of our own, included last, so they win and set_port
    # has one line to rewrite.
    as_owner tee "$data/lakefront.conf" >/dev/null <<'EOF'
# Written by tests/pg.sh: a disposable cluster, durability off.
listen_addresses = '127.0.0.1'
port = 0
unix_socket_directories = ''
max_connections = 200
shared_buffers = 128MB
fsync = off
synchronous_commit = off
full_page_writes = off
timezone = 'UTC'
log_timezone = 'UTC'
log_line_prefix = '%m [%p] %q%u@%d '
log_connections = off
log_disconnections = off
EOF
    echo "include 'lakefront.conf'" | as_owner tee -a "$data/postgresql.conf" >/dev/null
    # Trust the superuser (the test harness) but make the application role
    # authenticate with a password, as it must on Lakebase.
    as_owner tee "$data/pg_hba.conf" >/dev/null <<EOF
# Written by tests/pg.sh. TCP only; there is no unix socket.
host all $SUPERUSER 127.0.0.1/32 trust
host all all 127.0.0.1/32 scram-sha-256
EOF

    local port
    port=$(pick_port)
    port=$(start_with_retry "$data" "$log" "$port") || die "could not start PostgreSQL in $data"

    local password
    password=$(od -An -N24 -tx1 /dev/urandom | tr -d ' \n')
    if ! "$BINDIR/psql" -h 127.0.0.1 -p "$port" -U "$SUPERUSER" -d postgres \
        -v ON_ERROR_STOP=1 -X -q -v pw="$password" <<EOF; then
CREATE DATABASE $DATABASE;
CREATE ROLE $APP_ROLE LOGIN PASSWORD :'pw';
EOF
        show_log "$log"
        stop_server "$data"
        die "could not create database $DATABASE or role $APP_ROLE"
    fi

    write_env "$port" "$password" "$data" "$log"
    echo "$prog: PostgreSQL $("$BINDIR/postgres" -V | awk '{print $3}') on 127.0.0.1:$port, data $data, env $STATE/env" >&2
}

# Removes everything of ours in DIR, and the /tmp fallback.
cleanup_files() {
    local root=""
    [[ -r "$STATE/pgroot" ]] && root=$(<"$STATE/pgroot")
    if [[ -n "$root" ]]; then
        case "$root" in
        /tmp/lakefront-pg.*) rm -rf -- "$root" ;;
        *) echo "$prog: not removing unexpected pgroot '$root'" >&2 ;;
        esac
    fi
    rm -rf -- "$STATE/data"
    rm -f -- "$STATE/env" "$STATE/env.tmp" "$STATE/pgroot" "$STATE/initdb.log"
    # A dangling symlink to the removed /tmp log is of no use.
    if [[ -L "$STATE/postgres.log" && ! -e "$STATE/postgres.log" ]]; then
        rm -f -- "$STATE/postgres.log"
    fi
}

# Stops a running server, whatever its state files say.
stop_server() { # data dir
    local data=$1
    if is_running "$data"; then
        echo "$prog: stopping $data" >&2
        as_owner "$BINDIR/pg_ctl" stop -D "$data" -m fast -w -t 60 >/dev/null ||
            echo "$prog: pg_ctl stop failed for $data" >&2
    fi
}

cmd_stop() {
    local d root=""
    [[ -r "$STATE/pgroot" ]] && root=$(<"$STATE/pgroot")
    if read_env; then
        [[ -z "$ENV_LF_PG_BINDIR" ]] || BINDIR=$ENV_LF_PG_BINDIR
        stop_server "$ENV_LF_PG_DATA"
    fi
    for d in "$STATE/data" ${root:+"$root/data"}; do
        [[ -d "$d" ]] && stop_server "$d"
    done
    # Keep the log of a tmp cluster: it is what one reads after a failure.
    if [[ -n "$root" && -f "$root/postgres.log" ]]; then
        rm -f -- "$STATE/postgres.log"
        cp -- "$root/postgres.log" "$STATE/postgres.log" 2>/dev/null || true
    fi
    cleanup_files
}

cmd_stop_only() {
    need_env
    if is_running "$ENV_LF_PG_DATA"; then
        as_owner "$BINDIR/pg_ctl" stop -D "$ENV_LF_PG_DATA" -m fast -w -t 60 >/dev/null ||
            die "pg_ctl stop failed"
        echo "$prog: stopped (kept $ENV_LF_PG_DATA)" >&2
    else
        echo "$prog: not running" >&2
    fi
}

cmd_start_only() {
    need_env
    [[ -f "$ENV_LF_PG_DATA/PG_VERSION" ]] || die "no cluster at $ENV_LF_PG_DATA; run: $prog start $STATE"
    if is_running "$ENV_LF_PG_DATA"; then
        echo "$prog: already running on port $ENV_PGPORT" >&2
        return 0
    fi
    # Same port as before: clients hold it in their configuration.
    if ! pg_start "$ENV_LF_PG_DATA" "$ENV_LF_PG_LOG"; then
        show_log "$ENV_LF_PG_LOG"
        die "could not start PostgreSQL on port $ENV_PGPORT"
    fi
    echo "$prog: started on port $ENV_PGPORT" >&2
}

cmd_restart() {
    need_env
    if ! as_owner "$BINDIR/pg_ctl" restart -D "$ENV_LF_PG_DATA" -l "$ENV_LF_PG_LOG" -m fast -w -t 60 >/dev/null; then
        show_log "$ENV_LF_PG_LOG"
        die "pg_ctl restart failed"
    fi
    echo "$prog: restarted on port $ENV_PGPORT" >&2
}

cmd_psql() {
    need_env
    superuser_psql "$ENV_PGPORT" "$@"
}

cmd_load() {
    need_env
    (($# > 0)) || die "load: no SQL file given"
    local f
    for f in "$@"; do
        [[ -r "$f" ]] || die "load: cannot read $f"
        # psql runs as us (it is only a client), so it can read files that
        # the postgres OS user could not.
        # NOTICEs ("table ... does not exist, skipping") are noise here.
        PGOPTIONS='-c client_min_messages=warning' superuser_psql "$ENV_PGPORT" -f "$f" ||
            die "load: $f failed"
    done
}

# ---------------------------------------------------------------- main

(($# >= 2)) || usage
cmd=$1
STATE=$2
shift 2
[[ -n "$STATE" ]] || usage
case "$cmd" in
start | start-only | restart | stop-only | stop | psql | load) ;;
*) usage ;;
esac
if [[ "$cmd" == start ]]; then
    mkdir -p "$STATE"
fi
if [[ -d "$STATE" ]]; then
    STATE=$(cd "$STATE" && pwd -P)
elif [[ "$cmd" == stop ]]; then
    exit 0 # nothing was ever started here
else
    die "no such directory: $STATE"
fi
BINDIR=$(find_bindir)

case "$cmd" in
start) cmd_start ;;
stop) cmd_stop ;;
restart) cmd_restart ;;
stop-only) cmd_stop_only ;;
start-only) cmd_start_only ;;
psql) cmd_psql "$@" ;;
load) cmd_load "$@" ;;
esac
