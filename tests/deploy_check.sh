#!/usr/bin/env bash
# Checks the deployment files against the programs they deploy, without a container engine:
#  - the Dockerfile's runtime stage installs a package for every shared library the binaries link;
#  - every flag the compose file and the Kubernetes manifests pass exists in the programs' --help;
#  - the YAML files parse (when python3-yaml is present).
set -euo pipefail
bin=${1:?usage: deploy_check.sh BUILD_BIN_DIR}
root=$(cd "$(dirname "$0")/.." && pwd)
fail() { echo "deploy_check: FAIL: $*" >&2; exit 1; }

runtime=$(sed -n '/^ARG RUNTIME_PACKAGES=/,/"$/p' "$root/deploy/Dockerfile" | tr -d '\\"' \
  | sed 's/ARG RUNTIME_PACKAGES=//')
[ -n "$runtime" ] || fail "no RUNTIME_PACKAGES in deploy/Dockerfile"

owner_of() {
  local path=$1 real
  real=$(readlink -f "$path")
  for candidate in "$path" "$real" "${real#/usr}" "/usr$real"; do
    dpkg -S "$candidate" 2>/dev/null | head -1 | cut -d: -f1 && return 0
  done
  return 1
}
for program in strads strads-scheduler strads-worker; do
  for lib in $(ldd "$bin/$program" | awk '/=>/ {print $3}'); do
    package=$(owner_of "$lib") || fail "no Debian package owns $lib"
    echo " $runtime " | tr -s ' \n' ' ' | grep -q " $package " \
      || fail "$program needs $lib from $package, missing from the Dockerfile's RUNTIME_PACKAGES"
  done
done

help=$("$bin/strads-scheduler" --help; "$bin/strads-worker" --help)
for flag in $(grep -ohE '"--[a-z-]+"' "$root/deploy/docker-compose.yml" "$root"/deploy/k8s/*.yaml \
  | tr -d '"' | sort -u); do
  grep -q -- "$flag" <<< "$help" || fail "deployment passes $flag, which no program accepts"
done

if /usr/bin/python3 -c 'import yaml' 2>/dev/null; then
  /usr/bin/python3 - "$root" <<'PY' || fail "a YAML file does not parse"
import glob, sys, yaml
root = sys.argv[1]
for path in [root + "/deploy/docker-compose.yml"] + glob.glob(root + "/deploy/k8s/*.yaml"):
    docs = [d for d in yaml.safe_load_all(open(path)) if d]
    assert docs, path
PY
else
  echo "deploy_check: python3-yaml not installed; YAML parse skipped"
fi
echo "deploy_check: ok"
