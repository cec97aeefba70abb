#!/usr/bin/env bash
# The service-account flow with curl, as an administrator would script it:
#   1. sign in and get a session token;
#   2. create a service account (a long-running token for a script);
#   3. call GET /api/issues/getAll with that token.
#
#   BASE_URL=http://127.0.0.1:4000 ADMIN_USERNAME=admin ADMIN_PASSWORD=... ./examples/curl.sh
set -euo pipefail
BASE_URL=${BASE_URL:-http://127.0.0.1:4000}
: "${ADMIN_USERNAME:?set ADMIN_USERNAME}" "${ADMIN_PASSWORD:?set ADMIN_PASSWORD}"

# Pull one string field out of a JSON answer (no jq needed).
field() { sed -n "s/.*\"$1\":\"\\([^\"]*\\)\".*/\\1/p"; }

# 1. Sign in (REST, as RegScale's scripts do).
login=$(curl -sS --fail-with-body -X POST "$BASE_URL/api/authentication/login" \
  -H 'Content-Type: application/json' \
  -d "{\"userName\":\"$ADMIN_USERNAME\",\"password\":\"$ADMIN_PASSWORD\"}")
session=$(printf '%s' "$login" | field auth_token)
[ -n "$session" ] || { echo "login failed: $login" >&2; exit 1; }

# 2. Create a service account valid for 30 days. The token is shown once: keep it safe.
created=$(curl -sS --fail-with-body -X POST "$BASE_URL/graphql" \
  -H 'Content-Type: application/json' -H "Authorization: Bearer $session" \
  -d '{"query":"mutation { createServiceAccount(input: { durationDays: 30, purpose: \"Nightly export (curl example)\" }) { token serviceAccount { id expiresAt } } }"}')
token=$(printf '%s' "$created" | field token)
[ -n "$token" ] || { echo "could not create the service account: $created" >&2; exit 1; }
echo "service account created; it expires $(printf '%s' "$created" | field expiresAt)" >&2

# 3. Use it like any script would.
issues=$(curl -sS --fail-with-body "$BASE_URL/api/issues/getAll" -H "Authorization: Bearer $token")
# grep finds nothing in an empty list ([]) and exits 1, which pipefail would make fatal.
count=$(printf '%s' "$issues" | { grep -o '"uuid"' || true; } | wc -l | tr -d ' ')
echo "getAll returned $count issues"
