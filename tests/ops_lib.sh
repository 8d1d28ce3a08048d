# Shared by the monitoring end-to-end tests (sourced after cluster_lib.sh): the --http-listen
# port a process reports, an HTTP GET, and a Debian package a test needs (installed when missing,
# or the test is skipped with exit 77).
# http_port LOG: the port of the process's "event=http_listening ... port=N" line (waits for it).
http_port() {
  local port=""
  for _ in $(seq 100); do
    port=$(grep -o 'event=http_listening [^ ]* port=[0-9]*' "$1" | head -1 | sed 's/.*port=//' || true)
    [ -n "$port" ] && { echo "$port"; return 0; }
    sleep 0.1
  done
  fail "no http_listening line in $1"
}
# get URL [CURL_ARGS...]: the body; fails on an HTTP error.
get() { curl -fsS --max-time 10 "$@"; }
# need_package PACKAGE COMMAND: installs PACKAGE with apt when COMMAND is missing; exit 77 if not
# possible.
need_package() {
  command -v "$2" > /dev/null && return 0
  if [ "$(id -u)" -eq 0 ] && command -v apt-get > /dev/null; then
    echo "installing $1 (for $2)" >&2
    # Another test may be installing at the same moment: wait for dpkg's lock.
    { apt-get -o DPkg::Lock::Timeout=600 update -qq &&
      DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -qq \
        --no-install-recommends "$1"; } > "$work/apt-$1.log" 2>&1 || true
  fi
  command -v "$2" > /dev/null && return 0
  echo "SKIP: $2 (Debian package $1) is not installed and cannot be installed here" >&2
  exit 77
}
