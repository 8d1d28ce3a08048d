#!/usr/bin/env bash
# Checks the deployment files against the programs they deploy, without a container engine:
#  - the Dockerfile's runtime stage installs a package for every shared library the binaries link;
#  - every flag the compose file and the Kubernetes manifests pass exists in the programs' --help;
#  - the YAML files parse, and every probe and health check asks /healthz or /readyz on the port
#    the program's --http-listen opens (when python3-yaml is present).
set -euo pipefail
bin=${1:?usage: deploy_check.sh BUILD_BIN_DIR}
root=$(cd "$(dirname "$0")/.." && pwd)
fail() { echo "deploy_check: FAIL: $*" >&2; exit 1; }

runtime=$(sed -n '/^ARG RUNTIME_PACKAGES=/,/"$/p' "$root/deploy/Dockerfile" | tr -d '\\"' \
  | sed 's/ARG RUNTIME_PACKAGES=//')
[ -n "$runtime" ] || fail "no RUNTIME_PACKAGES in deploy/Dockerfile"

# Every library the programs link, by its real path; dpkg is asked once for all of them.
mapfile -t libs < <(for program in strads strads-scheduler strads-worker; do
  ldd "$bin/$program" | awk '/=>/ {print $3}'
done | xargs -n1 readlink -f | sort -u)
owners=$(for lib in "${libs[@]}"; do echo "$lib"; echo "${lib#/usr}"; done \
  | xargs dpkg -S 2>/dev/null || true)
for lib in "${libs[@]}"; do
  package=$(awk -F': ' -v a="$lib" -v b="${lib#/usr}" '$2 == a || $2 == b {sub(/:[a-z0-9]+$/, "", $1); print $1; exit}' \
    <<< "$owners")
  [ -n "$package" ] || fail "no Debian package owns $lib"
  echo " $runtime " | tr -s ' \n' ' ' | grep -q " $package " \
    || fail "the programs need $lib from $package, missing from the Dockerfile's RUNTIME_PACKAGES"
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

# Probes reach what the programs serve: an HTTP probe names /healthz or /readyz on the port the
# program's --http-listen opens.
import re
def listen_port(args):
    for i, arg in enumerate(args[:-1]):
        if arg == "--http-listen":
            return int(args[i + 1].rsplit(":", 1)[1])
    return None
for path in glob.glob(root + "/deploy/k8s/*.yaml"):
    for doc in yaml.safe_load_all(open(path)):
        spec = ((doc or {}).get("spec") or {}).get("template", {}).get("spec", {})
        for c in spec.get("containers", []):
            ports = {p.get("name"): p["containerPort"] for p in c.get("ports", [])}
            for kind in ("livenessProbe", "readinessProbe"):
                probe = c.get(kind)
                assert probe, f"{path}: {c['name']} has no {kind}"
                get = probe.get("httpGet")
                assert get, f"{path}: {c['name']} {kind} is not an httpGet probe"
                assert get["path"] in ("/healthz", "/readyz"), (path, kind, get)
                port = ports.get(get["port"], get["port"])
                assert port == listen_port(c.get("command", []) + c.get("args", [])), \
                    f"{path}: {c['name']} {kind} probes port {port}, not its --http-listen"
compose = yaml.safe_load(open(root + "/deploy/docker-compose.yml"))
for name, service in compose["services"].items():
    test = " ".join(service.get("healthcheck", {}).get("test", []))
    m = re.search(r"http://127\.0\.0\.1:(\d+)(/\w+)", test)
    assert m, f"docker-compose.yml: {name} has no HTTP health check"
    assert m.group(2) == "/readyz", (name, test)
    assert int(m.group(1)) == listen_port(service["command"]), \
        f"docker-compose.yml: {name} checks port {m.group(1)}, not its --http-listen"
PY
else
  echo "deploy_check: python3-yaml not installed; YAML parse skipped"
fi
echo "deploy_check: ok"
