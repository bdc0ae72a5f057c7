#!/usr/bin/env bash
# Creates bench/.venv-peers: tokentrace (editable, light core) plus the peer instrumentations
# of bench/peers/, pinned. Peers are benchmark-only: they never enter tokentrace's dependencies.
# Re-running it updates the venv in place. Usage: bash bench/setup_peers.sh [python]
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
venv="$here/.venv-peers"
python="${1:-python3}"

[ -x "$venv/bin/python" ] || "$python" -m venv "$venv"
pip=("$venv/bin/python" -m pip --disable-pip-version-check --quiet)
"${pip[@]}" install -r "$here/peers/requirements.txt" -e "$here/.."
# OpenLIT's declared SDK bounds exclude the current SDKs: install it without them.
openlit="$here/peers/requirements-openlit.txt"
"${pip[@]}" install --no-deps $(grep '^openlit==' "$openlit")
grep -v '^openlit==' "$openlit" | "${pip[@]}" install -r /dev/stdin
"$venv/bin/python" -m pip check > "$venv/pip-check.txt" 2>&1 || true
echo "peers venv ready: $venv (pip check: $venv/pip-check.txt)"
