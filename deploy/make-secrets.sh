#!/usr/bin/env bash
# Writes the random secrets deploy/compose.yaml reads, one file each, into DIR (default
# deploy/secrets). Never overwrites one: a changed link_secret breaks every unsubscribe link
# already sent, a changed jwt_secret signs everyone out.
set -euo pipefail
dir=${1:-"$(dirname "${BASH_SOURCE[0]}")/secrets"}
mkdir -p "$dir"
chmod 700 "$dir"
umask 077
random() { head -c 48 /dev/urandom | base64 | tr -d '\n/+=' | head -c 48; }
put() { [ -e "$dir/$1" ] || printf '%s' "$2" > "$dir/$1"; }
put db_password "$(random)"
password=$(cat "$dir/db_password")
put db_url "postgres://nghedan:$password@pgbouncer:5432/nghedan"
put db_url_direct "postgres://nghedan:$password@postgres:5432/nghedan"
put jwt_secret "$(random)"
put link_secret "$(random)"
put metrics_token "$(random)"
put s3_secret "$(random)"
ls "$dir"
