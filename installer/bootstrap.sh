#!/usr/bin/env bash
# EduBridge set-up on Debian / Ubuntu: install what is missing, then open the app or run the tests.
#
#   bash installer/bootstrap.sh app  [edubridge arguments]   # e.g. app --db demo.db demo --scale county
#   bash installer/bootstrap.sh test [pytest arguments]      # e.g. test tests/db -x
#
# 1. System packages: as root, `apt-get install --no-upgrade` of the ones not yet installed (a machine
#    that has them all does not touch the network); as another user, the missing ones are named with
#    the sudo command to install them, and the script stops.
# 2. Python: a virtual environment in .venv (Python >= 3.11), `pip install -e .` (app) or
#    `pip install -e ".[test]"` (test) pinned by installer/constraints.txt. Skipped when the stamp in
#    .venv matches pyproject.toml + constraints.txt.
# 3. app: runs `edubridge "$@"`. test: starts a throwaway PostgreSQL on 127.0.0.1 (unless
#    EDUBRIDGE_TEST_PG_URL is already set), runs `ruff check` and `mypy` (exit 2 on any finding), then
#    pytest offscreen, and exits with pytest's status (5, "no tests collected", counts as a failure). The tests include the installer smoke test
#    (tests/installer, marked slow): the frozen bundle and the .deb built, unpacked, self-tested.
set -euo pipefail

say() { printf 'bootstrap: %s\n' "$*" >&2; }
die() { say "$*"; exit 2; }

MODE="${1:-}"
case "$MODE" in
    app | test) shift ;;
    *) die "usage: bash installer/bootstrap.sh app|test [arguments passed on]" ;;
esac

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
VENV="$ROOT/.venv"
CONSTRAINTS="$ROOT/installer/constraints.txt"
IS_ROOT=0
[ "$(id -u)" -eq 0 ] && IS_ROOT=1

# ---------------------------------------------------------------------------------------------
# 1. System packages
# ---------------------------------------------------------------------------------------------
# Qt (offscreen and xcb under Xvfb), PDF checks with poppler, Python's venv.
PACKAGES=(
    ca-certificates python3 python3-venv
    libglib2.0-0 libegl1 libgl1 libx11-6 libdbus-1-3 libfontconfig1 libfreetype6 libxkbcommon0
    libxcb-cursor0 libxcb-icccm4 libxcb-image0 libxcb-keysyms1 libxcb-render-util0 libxcb-shape0
    libxkbcommon-x11-0 xvfb xauth poppler-utils poppler-data
    libcups2  # Qt's print support (and the frozen bundle's Depends) need CUPS's client library
)
# The tests also exercise PostgreSQL; without it those tests are skipped. They also build the
# frozen bundle and the .deb (tests/installer): PyInstaller needs binutils (objdump, strip);
# dpkg-deb comes with dpkg. Without binutils those tests are skipped, saying why.
OPTIONAL=()
# A system Python (Debian's python3) ships its shared library separately; PyInstaller needs it.
[ "$MODE" = test ] && OPTIONAL+=(postgresql binutils libpython3-dev)

installed() {
    # Ubuntu 24.04 renamed some libraries with a t64 suffix; either name counts.
    local pkg
    for pkg in "$1" "$1t64"; do
        [ "$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null)" = "install ok installed" ] && return 0
    done
    return 1
}

# A Python >= 3.11: the machine's python3 if recent enough, else a versioned one.
find_python() {
    local candidate
    for candidate in python3 python3.13 python3.12 python3.11; do
        if command -v "$candidate" >/dev/null 2>&1 &&
            "$candidate" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
            command -v "$candidate"
            return 0
        fi
    done
    return 1
}

if ! command -v dpkg-query >/dev/null 2>&1; then
    say "not a Debian/Ubuntu system: install by hand the equivalents of: ${PACKAGES[*]} ${OPTIONAL[*]}"
else
    if ! find_python >/dev/null && command -v python3 >/dev/null 2>&1; then
        # e.g. Ubuntu 22.04 ships Python 3.10; its archive also carries python3.11.
        PACKAGES+=(python3.11 python3.11-venv)
    fi
    MISSING=() MISSING_OPTIONAL=()
    for pkg in "${PACKAGES[@]}"; do installed "$pkg" || MISSING+=("$pkg"); done
    for pkg in "${OPTIONAL[@]}"; do installed "$pkg" || MISSING_OPTIONAL+=("$pkg"); done
    ALL_MISSING=("${MISSING[@]}" "${MISSING_OPTIONAL[@]}")
    if [ ${#ALL_MISSING[@]} -gt 0 ]; then
        if [ "$IS_ROOT" -eq 1 ]; then
            say "installing system packages: ${ALL_MISSING[*]}"
            export DEBIAN_FRONTEND=noninteractive
            apt-get update -q
            apt-get install -y -q --no-install-recommends --no-upgrade "${ALL_MISSING[@]}"
        elif [ ${#MISSING[@]} -gt 0 ]; then
            say "these system packages are missing; install them, then run this script again:"
            printf '\n    sudo apt-get install --no-install-recommends %s\n\n' "${ALL_MISSING[*]}" >&2
            exit 2
        else
            say "optional: 'sudo apt-get install --no-install-recommends ${MISSING_OPTIONAL[*]}'" \
                "to run the PostgreSQL and installer tests too (they are skipped for now)"
        fi
    fi
fi

# ---------------------------------------------------------------------------------------------
# 2. Python virtual environment
# ---------------------------------------------------------------------------------------------
PYTHON="$(find_python)" || die "Python 3.11 or newer is needed (found: $(python3 --version 2>&1 || echo none))"

if [ -x "$VENV/bin/python" ] &&
    ! "$VENV/bin/python" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
    say "$VENV is broken or older than Python 3.11; recreating it"
    rm -rf "$VENV"
fi
if [ ! -x "$VENV/bin/python" ]; then
    say "creating $VENV with $("$PYTHON" --version)"
    "$PYTHON" -m venv "$VENV" || die "could not create $VENV (is python3-venv installed?)"
fi

# The stamp records what was installed: the hash of the inputs and the mode.
# A test install also serves the app; an app install must grow to serve the tests.
HASH="$(cat pyproject.toml "$CONSTRAINTS" | sha256sum | cut -d' ' -f1)"
STAMP="$VENV/.edubridge-installed"
stamp_ok() {
    [ -f "$STAMP" ] || return 1
    local line
    line="$(cat "$STAMP")"
    [ "$line" = "$HASH test" ] || { [ "$MODE" = app ] && [ "$line" = "$HASH app" ]; }
}
if stamp_ok; then
    say "Python packages up to date ($VENV)"
else
    target="."
    [ "$MODE" = test ] && target=".[test]"
    say "installing Python packages into $VENV: pip install -e \"$target\" (pinned by installer/constraints.txt)"
    PIP_FLAGS=(--disable-pip-version-check --no-input)
    [ -t 1 ] || PIP_FLAGS+=(--progress-bar off)
    "$VENV/bin/python" -m pip install "${PIP_FLAGS[@]}" -q -c "$CONSTRAINTS" -e "$target"
    echo "$HASH $MODE" >"$STAMP"
fi

# ---------------------------------------------------------------------------------------------
# 3. Run
# ---------------------------------------------------------------------------------------------
if [ "$MODE" = app ]; then
    # The default database (SQLite in the user's data folder) and the demo county on first run
    # are the app's own business.
    exec "$VENV/bin/edubridge" "$@"
fi

PG_DIR=""
PG_BIN=""
stop_postgres() {
    if [ -n "$PG_DIR" ]; then
        if [ -f "$PG_DIR/data/postmaster.pid" ]; then
            as_pg "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -m fast -w stop >/dev/null 2>&1 || true
        fi
        rm -rf "$PG_DIR"
    fi
}
as_pg() {
    # PostgreSQL refuses to run as root; as root run it as the postgres user (from its own folder,
    # which that user can enter).
    if [ "$IS_ROOT" -eq 1 ]; then
        (cd "$PG_DIR" && runuser -u postgres -- "$@")
    else
        "$@"
    fi
}

start_postgres() {
    PG_BIN="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)"
    [ -n "$PG_BIN" ] && [ -x "$PG_BIN/initdb" ] || { say "PostgreSQL is not installed"; return 1; }
    if [ "$IS_ROOT" -eq 1 ] && ! id postgres >/dev/null 2>&1; then
        say "no postgres user to run PostgreSQL as"
        return 1
    fi
    PG_DIR="$(mktemp -d /tmp/edubridge-pg.XXXXXX)"
    trap stop_postgres EXIT
    trap 'exit 130' INT TERM
    [ "$IS_ROOT" -eq 1 ] && chown postgres: "$PG_DIR"
    as_pg "$PG_BIN/initdb" -D "$PG_DIR/data" -U edubridge --auth=trust -E UTF8 --no-locale \
        >"$PG_DIR/initdb.log" 2>&1 || { cat "$PG_DIR/initdb.log" >&2; return 1; }
    local port
    for port in 54329 54330 54331 54332 54333; do
        if as_pg "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/server.log" -w -t 30 start \
            -o "-k $PG_DIR -p $port -c listen_addresses=127.0.0.1 -c fsync=off" >/dev/null 2>&1; then
            as_pg "$PG_BIN/createdb" -h 127.0.0.1 -p "$port" -U edubridge edubridge_test || return 1
            export EDUBRIDGE_TEST_PG_URL="postgresql+psycopg://edubridge@127.0.0.1:$port/edubridge_test"
            say "PostgreSQL $("$PG_BIN/postgres" --version | awk '{print $3}') for the tests on 127.0.0.1:$port"
            return 0
        fi
    done
    tail -n 5 "$PG_DIR/server.log" >&2 || true
    return 1
}

# Static checks first (issue 17; rules and strictness in pyproject.toml): a lint or type finding
# fails the run in seconds, before the slow tests start.
say "ruff check"
"$VENV/bin/ruff" check --quiet . || die "ruff found the problems above (many are fixed by 'ruff check --fix')"
say "mypy"
"$VENV/bin/mypy" || die "mypy found the problems above"

if [ -n "${EDUBRIDGE_TEST_PG_URL:-}" ]; then
    say "using the PostgreSQL database given in EDUBRIDGE_TEST_PG_URL"
elif ! start_postgres; then
    say "PostgreSQL could not be started: the tests marked 'postgres' will be skipped"
fi

# No windows on the desktop, and no display needed (without one Qt would abort).
export QT_QPA_PLATFORM=offscreen
status=0
# One worker per core (pytest-xdist), work-stealing so the long frozen-build test does not
# leave one core idle at the end; every test has its own folder and PostgreSQL schema.
"$VENV/bin/python" -m pytest -q -n auto --dist worksteal "$@" || status=$?
if [ "$status" -eq 5 ]; then
    say "pytest collected no tests: counted as a failure"
    status=1
fi
exit "$status"
