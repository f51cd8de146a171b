#!/usr/bin/env bash
# `make demo`: the vt-refs command and the vt_refs library against a local fake VirusTotal.
# Needs no key and no network: the fake listens on 127.0.0.1 and its key reaches the
# commands through VT_API_KEY, never on a command line. The Makefile puts .venv/bin on PATH.
set -euo pipefail
cd "$(dirname "$0")/.."

work=$(mktemp -d)
fake_pid=""

stop_fake() {
    if [[ -n $fake_pid ]]; then
        kill "$fake_pid" 2>/dev/null || true
        wait "$fake_pid" 2>/dev/null || true
    fi
    rm -rf "$work"
}
trap stop_fake EXIT

# Show each command as a person would type it, then run it.
run() {
    printf '\n$'
    printf ' %q' "$@"
    printf '\n'
    "$@"
}

# Start the fake on a free port; it prints `base_url=...` and `api_key=...` once listening.
python -m vt_refs.testing --port 0 >"$work/fake.out" 2>"$work/fake.err" &
fake_pid=$!
base_url="" api_key=""
for _ in $(seq 100); do # 10 s at most
    base_url=$(sed -n 's/^base_url=//p' "$work/fake.out")
    api_key=$(sed -n 's/^api_key=//p' "$work/fake.out")
    [[ -n $base_url && -n $api_key ]] && break
    if ! kill -0 "$fake_pid" 2>/dev/null; then
        echo "demo: the fake VirusTotal did not start:" >&2
        cat "$work/fake.err" >&2
        exit 1
    fi
    sleep 0.1
done
if [[ -z $base_url || -z $api_key ]]; then
    echo "demo: the fake VirusTotal printed no address within 10 s" >&2
    exit 1
fi
export VT_API_KEY=$api_key
seed_url=$(python -c 'from vt_refs.testing import SEED_URL; print(SEED_URL)')
echo "A fake VirusTotal API is listening at $base_url (its key is in VT_API_KEY)."

echo
echo "1. The references related to the seed URL, as a table:"
run vt-refs --base-url "$base_url" "$seed_url" --format table

echo
echo "2. At most 3 items of a longer list; stderr says how to resume exactly:"
run vt-refs --base-url "$base_url" https://example.com/login --max-items 3 --format table \
    2>"$work/stopped"
cat "$work/stopped"
# The line ends with `--cursor C`, C quoted for a shell when it needs to be: unquote it.
cursor=$(python -c 'import shlex, sys; print(shlex.split(sys.stdin.read().split("--cursor ")[1])[0])' \
    <"$work/stopped")
run vt-refs --base-url "$base_url" https://example.com/login --cursor "$cursor" \
    --max-items 2 --format table

echo
echo "3. Descriptors of the references related to an IPv6 address, and to a domain:"
run vt-refs --base-url "$base_url" --object ip_addresses --id 2001:db8::1 --descriptors \
    --max-items 2 --format table 2>/dev/null
run vt-refs --base-url "$base_url" --object domains --id example.com --max-items 2 \
    --format table 2>/dev/null

echo
echo "4. The same with the library (examples/related_references.py):"
run python examples/related_references.py "$base_url"
