#!/usr/bin/env bash
# Installs what the benchmark's peer scripts need; safe to run again (it only
# reinstalls when python/requirements.txt changed or the venv is broken).
#   - a Python venv at ${BENCH_VENV:-target/bench/venv} (relative to the repo
#     root) with the exact versions of python/requirements.txt;
#   - a check that Node >= 18 is on PATH (sync.mjs uses built-in fetch only).
# Needs python3 >= 3.10 with the venv module (Debian: apt-get install python3-venv)
# and node >= 18. PYTHON=/path/to/python3.11 picks another interpreter.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
requirements="$here/python/requirements.txt"
venv=${BENCH_VENV:-target/bench/venv}
case "$venv" in /*) ;; *) venv="$root/$venv" ;; esac
python=${PYTHON:-python3}

fail() {
    echo "bench/peers/install.sh: $*" >&2
    exit 1
}

# --- Python -----------------------------------------------------------------
command -v "$python" >/dev/null 2>&1 ||
    fail "$python not found: install Python 3.11 (Debian: apt-get install python3 python3-venv)"
"$python" - <<'PY' || fail "$python is too old: the peers need Python >= 3.10 (auth0-python 6 requires it; tested with 3.11)"
import sys
sys.exit(0 if sys.version_info >= (3, 10) else 1)
PY
"$python" -c 'import venv, ensurepip' 2>/dev/null ||
    fail "$python has no working venv module (Debian: apt-get install python3-venv)"

stamp="$venv/.requirements.sha256"
want=$( (cat "$requirements"; "$python" -c 'import sys; print(sys.version)') | sha256sum | cut -d' ' -f1)
if [[ -x "$venv/bin/python" && -f "$stamp" && "$(cat "$stamp")" == "$want" ]] &&
    "$venv/bin/python" -c 'import requests, auth0.management, auth0.authentication' 2>/dev/null; then
    echo "peers venv up to date: $venv"
else
    if [[ -e "$venv" && ! -x "$venv/bin/python" ]]; then
        echo "removing broken venv $venv"
        rm -rf "$venv"
    fi
    mkdir -p "$(dirname "$venv")"
    # --clear: a venv made by another interpreter (or half made) is rebuilt, not patched.
    "$python" -m venv --clear "$venv" ||
        fail "could not create the venv at $venv (Debian: apt-get install python3-venv)"
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$requirements" ||
        fail "pip could not install $requirements into $venv (network or package index unreachable?)"
    "$venv/bin/python" -c 'import requests, auth0.management, auth0.authentication' ||
        fail "the venv at $venv cannot import requests and auth0-python"
    echo "$want" >"$stamp"
    echo "peers venv ready: $venv ($("$venv/bin/python" --version), $("$venv/bin/python" -m pip show auth0-python 2>/dev/null | sed -n 's/^Version: /auth0-python /p'))"
fi

# --- Node -------------------------------------------------------------------
command -v node >/dev/null 2>&1 || fail "node not found: install Node.js >= 18 (20 recommended)"
node_major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
[[ "$node_major" =~ ^[0-9]+$ && "$node_major" -ge 18 ]] ||
    fail "node $(node --version 2>/dev/null || echo '?') is too old: sync.mjs needs Node >= 18 (built-in fetch)"
echo "node $(node --version) ok"
