#!/usr/bin/env bash
# Scheduled PostgreSQL backups for Autonoma: pg_dump in custom format, checked, then kept for
# BACKUP_KEEP_DAYS days (the newest BACKUP_KEEP_MIN always stay, however old).
#
#   backup.sh            dump now, then every BACKUP_INTERVAL_SECONDS, forever (the Compose service)
#   backup.sh --once     one dump and the retention sweep, then exit (cron, Kubernetes CronJob, by hand)
#
# Connection: libpq's variables (PGHOST, PGPORT, PGUSER, PGPASSWORD, PGDATABASE), or DATABASE_URL.
# Output: $BACKUP_DIR/<database>-<UTC time>.dump; a dump is written under a temporary name and renamed
# only after `pg_restore --list` has read it back, so a file with the final name is always complete.
# Restore with restore.sh (docs/operations.md, "Backups and restore").
set -euo pipefail

BACKUP_DIR="${BACKUP_DIR:-/backups}"
BACKUP_INTERVAL_SECONDS="${BACKUP_INTERVAL_SECONDS:-86400}"
BACKUP_KEEP_DAYS="${BACKUP_KEEP_DAYS:-7}"
BACKUP_KEEP_MIN="${BACKUP_KEEP_MIN:-3}"

log() { printf '%s backup: %s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$*" >&2; }
fail() { log "error: $*"; exit 1; }

for name in BACKUP_INTERVAL_SECONDS BACKUP_KEEP_DAYS BACKUP_KEEP_MIN; do
  [[ "${!name}" =~ ^[0-9]+$ ]] || fail "$name must be a whole number, got '${!name}'"
done
[ "$BACKUP_INTERVAL_SECONDS" -gt 0 ] || fail "BACKUP_INTERVAL_SECONDS must be above 0"

connection=()
if [ -n "${DATABASE_URL:-}" ]; then connection=(--dbname "$DATABASE_URL"); fi
database="${PGDATABASE:-${DATABASE_URL##*/}}"
database="${database%%\?*}"
[ -n "$database" ] || fail "set PGDATABASE (or DATABASE_URL) to the database to back up"
[[ "$database" =~ ^[A-Za-z0-9_.-]+$ ]] || fail "unexpected characters in database name '$database'"

dump_once() {
  mkdir -p "$BACKUP_DIR"
  local stamp file partial
  stamp="$(date -u +%Y%m%dT%H%M%SZ)"
  file="$BACKUP_DIR/$database-$stamp.dump"
  partial="$file.partial"
  log "dumping $database to $file"
  if ! pg_dump "${connection[@]}" --format=custom --compress=6 --no-password --file="$partial"; then
    rm -f "$partial"
    fail "pg_dump of $database failed"
  fi
  if ! pg_restore --list "$partial" >/dev/null; then
    rm -f "$partial"
    fail "the dump of $database cannot be read back"
  fi
  mv "$partial" "$file"
  log "done: $file ($(du -h "$file" | cut -f1))"
}

# Removes dumps of this database older than BACKUP_KEEP_DAYS, except the newest BACKUP_KEEP_MIN.
sweep() {
  local index=0 file
  while IFS= read -r file; do
    index=$((index + 1))
    [ "$index" -le "$BACKUP_KEEP_MIN" ] && continue
    if [ -n "$(find "$file" -maxdepth 0 -mmin +"$((BACKUP_KEEP_DAYS * 1440))" 2>/dev/null)" ]; then
      log "removing $file (older than $BACKUP_KEEP_DAYS days)"
      rm -f "$file"
    fi
  done < <(ls -1t "$BACKUP_DIR/$database"-*.dump 2>/dev/null || true)
  # Leftovers of dumps interrupted by a crash.
  find "$BACKUP_DIR" -maxdepth 1 -name "$database-*.dump.partial" -mmin +1440 -delete 2>/dev/null || true
}

if [ "${1:-}" = "--once" ]; then
  dump_once
  sweep
  exit 0
elif [ -n "${1:-}" ]; then
  fail "unknown argument '$1' (expected --once or nothing)"
fi

trap 'log "stopping"; exit 0' TERM INT
while true; do
  # A failed dump is logged and retried at the next interval; the loop keeps running.
  (dump_once && sweep) || log "this backup failed; next attempt in $BACKUP_INTERVAL_SECONDS s"
  sleep "$BACKUP_INTERVAL_SECONDS" &
  wait $!
done
