#!/usr/bin/env bash
# Restores an Autonoma PostgreSQL dump made by backup.sh (pg_dump custom format).
#
#   restore.sh [--yes] [--recreate] <file.dump>
#
# Target: the database named by PGDATABASE (or DATABASE_URL), on the server of PGHOST/PGPORT/PGUSER/
# PGPASSWORD (or DATABASE_URL). Stop the API and the workers first (docs/operations.md, "Restore").
# - --recreate: drop the database (closing its connections) and create it empty, then restore: the
#   database ends up exactly as dumped. The usual choice, e.g. after a failed upgrade, since tables a
#   newer migration created would otherwise stay behind.
# - without it: the database is created when missing; when it exists, every object in the dump is
#   dropped and recreated (`--clean --if-exists`) and objects the dump does not know are left alone.
# The restore itself runs in one transaction: if it fails, the database is left as it was before it
# (with --recreate: empty). Without --yes, it asks on a terminal and refuses when there is none.
set -euo pipefail

log() { printf 'restore: %s\n' "$*" >&2; }
fail() { log "error: $*"; exit 1; }

assume_yes=false
recreate=false
file=""
for argument in "$@"; do
  case "$argument" in
    --yes | -y) assume_yes=true ;;
    --recreate) recreate=true ;;
    -*) fail "unknown option '$argument'" ;;
    *) [ -z "$file" ] || fail "one dump file, please"; file="$argument" ;;
  esac
done
[ -n "$file" ] || fail "usage: restore.sh [--yes] [--recreate] <file.dump>"
[ -r "$file" ] || fail "cannot read '$file'"
pg_restore --list "$file" >/dev/null || fail "'$file' is not a readable pg_dump custom-format archive"

database="${PGDATABASE:-}"
maintenance=(--dbname postgres)
if [ -n "${DATABASE_URL:-}" ]; then
  database="${DATABASE_URL##*/}"
  database="${database%%\?*}"
  maintenance=(--dbname "${DATABASE_URL%/*}/postgres")
fi
[ -n "$database" ] || fail "set PGDATABASE (or DATABASE_URL) to the database to restore into"
[[ "$database" =~ ^[A-Za-z0-9_]+$ ]] || fail "unexpected characters in database name '$database'"
target=(--dbname "$database")
if [ -n "${DATABASE_URL:-}" ]; then target=(--dbname "$DATABASE_URL"); fi

if ! $assume_yes; then
  [ -t 0 ] || fail "refusing to overwrite '$database' without --yes (no terminal to ask on)"
  read -r -p "Overwrite database '$database' with '$file'? Type the database name to confirm: " answer
  [ "$answer" = "$database" ] || fail "not confirmed"
fi

if $recreate; then
  log "dropping database $database"
  psql "${maintenance[@]}" --no-password -q -v ON_ERROR_STOP=1 \
    -c "DROP DATABASE IF EXISTS \"$database\" WITH (FORCE)"
fi
exists="$(psql "${maintenance[@]}" --no-password -tA -v ON_ERROR_STOP=1 \
  -c "SELECT 1 FROM pg_database WHERE datname = '$database'")"
if [ "$exists" != "1" ]; then
  log "creating database $database"
  psql "${maintenance[@]}" --no-password -q -v ON_ERROR_STOP=1 -c "CREATE DATABASE \"$database\""
fi

log "restoring $file into $database"
pg_restore "${target[@]}" --no-password --clean --if-exists --no-owner --no-privileges \
  --single-transaction --exit-on-error "$file"
log "done: $database restored from $file"
