# Shared by scripts/demo and scripts/test: a virtual environment and a .env with a secret key.
PYTHON="${PYTHON:-python3}"

# One line before each step, so that a long first run never sits silent.
step() { printf '%s\n' "$*"; }

ensure_venv() {
  local extra="${1:-}"
  if ! "$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then
    echo "Rohstoff needs Python 3.11 or newer ($PYTHON is $("$PYTHON" --version 2>&1))." >&2
    exit 1
  fi
  if [ ! -x .venv/bin/python ]; then
    step "Creating the virtual environment in .venv…"
    "$PYTHON" -m venv .venv || { echo "Creating the virtual environment failed; on Debian: apt-get install -y python3-venv" >&2; exit 1; }
  fi
  local stamp=".venv/.installed${extra:+-$extra}"
  if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
    if [ -f "$stamp" ]; then
      step "Updating Python packages (pyproject.toml changed)…"
    else
      step "Installing Python packages (first run: about a minute)…"
    fi
    .venv/bin/python -m pip install -q --upgrade pip
    if [ -n "$extra" ]; then .venv/bin/pip install -q -e ".[$extra]"; else .venv/bin/pip install -q -e .; fi
    touch "$stamp"
  fi
}

ensure_dotenv() {
  if [ ! -f .env ]; then
    local key
    key=$(.venv/bin/python -c 'import secrets; print(secrets.token_urlsafe(50))')
    printf 'DEBUG=true\nSECRET_KEY=%s\n' "$key" > .env
    echo "Wrote .env for local use (DEBUG=true, a random SECRET_KEY)."
  fi
}
