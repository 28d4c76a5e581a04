#!/usr/bin/env bash
# Fuzz the API of a live server: a throwaway PostgreSQL 15 (scripts/with_postgres.sh), the demo
# clinic, gunicorn with production settings (DEBUG off), then schemathesis once per demo role's
# token, then the patient API with the demo patient's live link token against their live course.
# Prints, per run, the requests made, 5xx answers, undocumented statuses and accepted invalid
# requests, and exits non-zero if any of them is not 0 (or a run broke).
#
# The fuzzer must not spoil its own run: the staff runs skip `DELETE /me/tokens/{id}` (it
# revoked the run's own token within seconds), each run starts from a fresh copy of the seeded
# database (a run discontinues courses, cancels sessions, rotates feeds), and the token
# revocation is fuzzed last, on its own, with a throwaway token ("self-revoke").
#
# The in-process fuzz test (tests/test_api_fuzz.py) runs in CI; this one catches what only a real
# server shows (gunicorn, connection handling, PostgreSQL under concurrent requests).
#
# Environment (all optional):
#   FUZZ_MAX_EXAMPLES  test cases per operation and phase (default 20)
#   FUZZ_MAX_TIME      seconds per role, a hard cap on each run (default 150)
#   FUZZ_PHASES        schemathesis phases (default examples,coverage,fuzzing)
#   FUZZ_WORKERS       concurrent schemathesis workers (default 1: with more, hypothesis 6 has
#                      hit an internal race, "AST constructor recursion depth mismatch")
#   FUZZ_ROLES         runs, in order (default "scheduler nurse clinician admin patient
#                      self-revoke"): a staff role's demo token, the patient link, or the
#                      token revocation with a throwaway scheduler token
#   FUZZ_SEED          schemathesis seed (default 1, so a run can be repeated)
#   FUZZ_REPORT_DIR    where reports and the server log go (default: a new temporary directory)
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"

if [ -z "${DATABASE_URL:-}" ] || [ -z "${LIVE_FUZZ_INNER:-}" ]; then
  # Outer call: start the throwaway PostgreSQL and come back in here with DATABASE_URL set.
  export LIVE_FUZZ_INNER=1
  exec bash scripts/with_postgres.sh bash "$0" "$@"
fi

PY=.venv/bin/python
ST=.venv/bin/st
GUNICORN=.venv/bin/gunicorn
MAX_EXAMPLES=${FUZZ_MAX_EXAMPLES:-20}
MAX_TIME=${FUZZ_MAX_TIME:-150}
PHASES=${FUZZ_PHASES:-examples,coverage,fuzzing}
WORKERS=${FUZZ_WORKERS:-1}
ROLES=${FUZZ_ROLES:-scheduler nurse clinician admin patient self-revoke}
SEED=${FUZZ_SEED:-1}
REPORT_DIR=${FUZZ_REPORT_DIR:-$(mktemp -d /tmp/live-fuzz.XXXXXX)}
mkdir -p "$REPORT_DIR"

random_key() { "$PY" -c 'import secrets; print(secrets.token_urlsafe(48))'; }

# Production-like: DEBUG off, long random secrets. The demo tokens are stored HMAC'd with
# TOKEN_HASH_KEY, so seeding and serving share it. Plain HTTP on the loopback, hence no SSL
# redirect (a TLS proxy does that in production).
export DEBUG=0
export SECRET_KEY=$(random_key)
export TOKEN_HASH_KEY=$(random_key)
export ALLOWED_HOSTS=127.0.0.1
export SECURE_SSL_REDIRECT=0
export LOG_LEVEL=${LOG_LEVEL:-WARNING}
# The fuzzer sends requests without valid credentials by design (the patient-token endpoints,
# mutated Authorization headers); with the production limit the address would be locked out
# after 10 of them and every later answer would be a 429.
export LOGIN_FAILURE_LIMIT=1000000
unset ALLOW_INSECURE_KEY CLINIC_NOW

# SQL on the server's maintenance database (CREATE/DROP DATABASE cannot run inside `clinic`).
pg() {
  "$PY" -c '
import os, sys, psycopg2
conn = psycopg2.connect(host="127.0.0.1", port=os.environ["PGTEST_PORT"], user="postgres", dbname="postgres")
conn.autocommit = True
conn.cursor().execute(sys.argv[1])
' "$1"
}

echo "live_fuzz: preparing the database" >&2
# with_postgres.sh starts an empty server; the application's database is ours to create.
pg "CREATE DATABASE clinic"
"$PY" manage.py migrate --noinput >/dev/null
"$PY" manage.py load_protocols >/dev/null
"$PY" manage.py load_form_templates >/dev/null
"$PY" manage.py seed_demo --force >"$REPORT_DIR/seed.txt" 2>&1
# The demo self-report patient's link (/p/<token>/) and their live course (/courses/<id>/...),
# both printed by seed_demo: the patient run fuzzes the patient API with them.
PATIENT_TOKEN=$(grep 'Demo self-report patient' "$REPORT_DIR/seed.txt" | grep -o '/p/icf_[A-Za-z0-9_-]*' | head -1 | cut -d/ -f3)
PATIENT_COURSE=$(grep -A1 'Demo self-report patient' "$REPORT_DIR/seed.txt" | grep -o '/courses/[0-9]*/outcomes' | head -1 | cut -d/ -f3)
if [ -z "$PATIENT_TOKEN" ] || [ -z "$PATIENT_COURSE" ]; then
  echo "live_fuzz: seed_demo printed no patient link or course" >&2; cat "$REPORT_DIR/seed.txt" >&2; exit 1
fi
# The seeded state every run starts from (a template database; nothing is connected to it).
pg "CREATE DATABASE clinic_seeded TEMPLATE clinic"
printf '[parameters]\n"path.course_id" = %s\n' "$PATIENT_COURSE" >"$REPORT_DIR/patient.toml"

PORT=$("$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')
BASE="http://127.0.0.1:$PORT"
SERVER_LOG="$REPORT_DIR/gunicorn.log"
GUNICORN_PID=
start_server() {
  "$GUNICORN" config.wsgi:application --bind "127.0.0.1:$PORT" --workers 2 --timeout 60 \
    --access-logfile "$REPORT_DIR/access.log" \
    --access-logformat '%(h)s %(t)s "%(m)s %(U)s" %(s)s %(B)s %(L)s' \
    --error-logfile "$SERVER_LOG" 2>>"$SERVER_LOG" &
  GUNICORN_PID=$!
  for _ in $(seq 1 60); do
    curl -fsS -o /dev/null "$BASE/api/v1/openapi.json" 2>/dev/null && return 0
    kill -0 "$GUNICORN_PID" 2>/dev/null || { echo "live_fuzz: gunicorn died" >&2; cat "$SERVER_LOG" >&2; exit 1; }
    sleep 0.5
  done
  echo "live_fuzz: gunicorn did not answer" >&2; exit 1
}
stop_server() {
  [ -n "$GUNICORN_PID" ] || return 0
  kill "$GUNICORN_PID" 2>/dev/null && wait "$GUNICORN_PID" 2>/dev/null || true
  GUNICORN_PID=
}
trap stop_server EXIT INT TERM

# Each run starts from the seeded state: what the previous run discontinued, cancelled, revoked
# or rotated is back, so every run fuzzes live courses with live tokens.
fresh_database() {
  stop_server
  pg "DROP DATABASE IF EXISTS clinic WITH (FORCE)"
  pg "CREATE DATABASE clinic TEMPLATE clinic_seeded"
  start_server
}

# A scheduler token that only the self-revoke run uses (and may revoke).
throwaway_token() {
  "$PY" manage.py shell -v 0 -c '
from django.contrib.auth.models import User
from clinic.models import ApiToken
from clinic.tokens import hash_token, new_token
token = new_token("ict")
ApiToken.objects.create(user=User.objects.get(username="scheduler"), name="live fuzz (self-revoke)", prefix=token[:12], token_hash=hash_token(token))
print(token)
' | tail -1
}

echo "live_fuzz: gunicorn (2 workers) on $BASE, reports in $REPORT_DIR" >&2

status=0
for role in $ROLES; do
  fresh_database
  config=()
  run_time=$MAX_TIME
  case "$role" in
    patient)
      # The patient API, with the patient's live link token, on their live course.
      auth=(--header "X-Patient-Token: $PATIENT_TOKEN" --include-tag patient)
      config=(--config-file "$REPORT_DIR/patient.toml")
      ;;
    self-revoke)
      auth=(--header "Authorization: Bearer $(throwaway_token)"
            --include-operation-id clinic_account_api_my_token_revoke)
      # Once it has hit its own token, every later request is a 401: half a minute is plenty.
      run_time=$(( MAX_TIME < 30 ? MAX_TIME : 30 ))
      ;;
    *)
      # Revoking its own token would turn the rest of the run into 401s.
      auth=(--header "Authorization: Bearer ict_demo-$role"
            --exclude-operation-id clinic_account_api_my_token_revoke)
      ;;
  esac
  echo "live_fuzz: fuzzing as $role (at most ${run_time}s)" >&2
  # Exit 1 just means failures were found; the summary below counts them.
  "$ST" "${config[@]}" run "$BASE/api/v1/openapi.json" \
    "${auth[@]}" \
    --checks not_a_server_error,status_code_conformance,negative_data_rejection \
    --phases "$PHASES" --max-examples "$MAX_EXAMPLES" --max-time "$run_time" \
    --workers "$WORKERS" --seed "$SEED" --request-timeout 30 \
    --generation-database none --generation-with-security-parameters false \
    --no-color --output-truncate false \
    --report ndjson --report-ndjson-path "$REPORT_DIR/$role.ndjson" \
    >"$REPORT_DIR/$role.txt" 2>&1 || true
  "$PY" scripts/live_fuzz_summary.py "$role" "$REPORT_DIR/$role.ndjson" || status=1
done
stop_server

fives=$(awk 'NF >= 3 && $(NF-2) ~ /^5/' "$REPORT_DIR/access.log" | wc -l)
echo "== server: $(wc -l <"$REPORT_DIR/access.log") requests in the access log, $fives answered 5xx"
[ "$fives" = 0 ] || status=1
exit $status
