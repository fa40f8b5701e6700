#!/usr/bin/env bash
# The build steps of deploy/Dockerfile, as a plain script: the Dockerfile runs this script, and CI
# runs it on the host (no container engine there), so the two cannot drift apart.
#
#   deploy/build.sh OUT_DIR          build the release binary into OUT_DIR/nghedan and check it
#
# NGHEDAN_BUILD_PROFILE=dev builds the debug profile instead (CI: the test run has built it
# already; the steps and the checks are the same). Needs Rust, a C compiler, perl and make: the
# bundled SQLite, libpq and OpenSSL are compiled in.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
out=${1:?usage: deploy/build.sh OUT_DIR}
profile=${NGHEDAN_BUILD_PROFILE:-release}
case $profile in
  release) dir=release ;;
  dev) dir=debug ;;
  *) echo "NGHEDAN_BUILD_PROFILE is release or dev, not $profile" >&2; exit 2 ;;
esac

# The commit is baked into `nghedan --version`; a container build has no .git, so the caller
# passes it (docker build --build-arg NGHEDAN_GIT_COMMIT=$(git rev-parse --short HEAD)).
cargo build --locked --profile "$profile" --bin nghedan
mkdir -p "$out"
install -m 0755 "${CARGO_TARGET_DIR:-target}/$dir/nghedan" "$out/nghedan"

# The runtime image has nothing but libc and CA certificates: the binary must need nothing else.
extra=$(ldd "$out/nghedan" | awk '{print $1}' \
  | grep -Ev '^(linux-vdso\.so|/lib64/ld-linux|libc\.so|libm\.so|libgcc_s\.so|libpthread\.so|libdl\.so|librt\.so)' || true)
if [ -n "$extra" ]; then
  echo "nghedan needs libraries a slim image lacks:" >&2
  echo "$extra" >&2
  exit 1
fi
"$out/nghedan" --version
