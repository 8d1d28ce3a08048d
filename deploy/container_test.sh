#!/usr/bin/env bash
# The containers for real: builds deploy/Dockerfile, brings a scheduler and two workers up from
# deploy/docker-compose.yml, scales the workers to three, submits a Lasso job from the host with
# --upload, stops the scheduler container with SIGTERM mid-job, brings it back and checks that the
# job resumes from its checkpoint and succeeds, and that the health checks (where the compose file
# defines them) report healthy. Prints the figures deploy/README.md reports.
#
# Not in ctest's fast set: it takes minutes (the image build alone is about 5 on 2 cores) and needs
# a Docker engine. It exits 77 (skipped), saying why, where none can start: not root, no dockerd,
# or no base image to be had. Traffic stays on the machine: with no registry reachable the base
# images are made from Debian's archive (debootstrap), and the engine runs with --iptables=false.
#
#   deploy/container_test.sh [BUILD_BIN_DIR]   (default build/bin; needs bin/strads on the host)
# Environment: STRADS_CT_KEEP=1 leaves the cluster up; STRADS_CT_DIR (default
# /var/lib/strads-container-test) holds the engine's log, the base rootfs and the scratch files;
# STRADS_CT_DOCKERFILE builds from another Dockerfile (default deploy/Dockerfile).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bin=$(cd "${1:-$root/build/bin}" 2>/dev/null && pwd) || { echo "container test: no $1" >&2; exit 2; }
state=${STRADS_CT_DIR:-/var/lib/strads-container-test}
compose_file=$root/deploy/docker-compose.yml
dockerfile=${STRADS_CT_DOCKERFILE:-$root/deploy/Dockerfile}
project=stradsct
port=7070  # the compose file publishes the scheduler here

say() { echo "container test: $*"; }
skip() { say "SKIPPED: $*" >&2; exit 77; }
fail() {
  say "FAIL: $*" >&2
  compose ps >&2 || true
  compose logs --tail 30 >&2 || true
  exit 1
}
compose() { docker-compose -p "$project" -f "$compose_file" "$@"; }

[ -x "$bin/strads" ] || { echo "container test: $bin/strads missing; build first" >&2; exit 2; }
command -v docker > /dev/null || skip "no docker client (apt-get install docker.io)"
command -v docker-compose > /dev/null || skip "no docker-compose (apt-get install docker-compose)"
mkdir -p "$state"

# 1. An engine: the running one, or dockerd started here in the background.
if ! docker info > /dev/null 2>&1; then
  [ "$(id -u)" = 0 ] || skip "docker is not running and only root can start dockerd"
  command -v dockerd > /dev/null || skip "docker is not running and there is no dockerd"
  say "starting dockerd --iptables=false (log: $state/dockerd.log)"
  nohup dockerd --iptables=false > "$state/dockerd.log" 2>&1 &
  for _ in $(seq 60); do docker info > /dev/null 2>&1 && break; sleep 1; done
  docker info > /dev/null 2>&1 ||
    skip "dockerd cannot start here: $(tail -3 "$state/dockerd.log" | tr '\n' ' ')"
fi

# 2. Every base image the Dockerfile names, from Debian's archive when it is not there.
for base in $(awk 'toupper($1) == "FROM" { print $2 }' "$dockerfile" | sort -u); do
  docker image inspect "$base" > /dev/null 2>&1 && continue
  case "$base" in
    debian:bookworm | debian:bookworm-slim) ;;
    *) skip "no base image $base, and only Debian bookworm can be made locally" ;;
  esac
  if ! docker image inspect debian:bookworm > /dev/null 2>&1; then
    command -v debootstrap > /dev/null || skip "no base image $base and no debootstrap"
    say "making debian:bookworm with debootstrap (a few minutes)"
    rm -rf "$state/rootfs"
    debootstrap --variant=minbase bookworm "$state/rootfs" http://deb.debian.org/debian \
      > "$state/debootstrap.log" 2>&1 || skip "debootstrap failed: $(tail -2 "$state/debootstrap.log")"
    # What a registry's image leaves out too: package caches and lists.
    rm -rf "$state"/rootfs/var/cache/apt/archives/*.deb "$state"/rootfs/var/lib/apt/lists/*
    tar -C "$state/rootfs" -c . | docker import - debian:bookworm > /dev/null
  fi
  docker tag debian:bookworm "$base"
done

# 3. The image, as the compose file names it. Host networking for the build: with
# --iptables=false a bridge has no route out, and apt-get needs Debian's archive.
image=$(awk '/^ *image:/ { print $2; exit }' "$compose_file")
say "building $image from $dockerfile"
build_start=$(date +%s)
docker build --network host -f "$dockerfile" -t "$image" "$root" > "$state/build.log" 2>&1 ||
  fail "docker build failed: $(tail -5 "$state/build.log")"
build_seconds=$(( $(date +%s) - build_start ))
image_mb=$(( $(docker image inspect -f '{{.Size}}' "$image") / 1000000 ))
user=$(docker run --rm "$image" id -u)
[ "$user" != 0 ] || fail "the image runs as root"
say "image $image: ${image_mb} MB, built in ${build_seconds} s, runs as uid $user"

# 4. The cluster, from the compose file as written.
if (exec 3<> "/dev/tcp/127.0.0.1/$port") 2> /dev/null; then
  fail "port $port is taken on this machine; the compose file publishes the scheduler there"
fi
cleanup() {
  if [ "${STRADS_CT_KEEP:-0}" = 1 ]; then
    say "cluster left up (docker-compose -p $project -f $compose_file down -v)"
  else
    compose down -v --remove-orphans > /dev/null 2>&1 || true
  fi
  rm -rf "$scratch"
}
scratch=$(mktemp -d)
trap cleanup EXIT
compose down -v --remove-orphans > /dev/null 2>&1 || true
compose up -d --no-build > "$scratch/up.log" 2>&1 || fail "compose up: $(cat "$scratch/up.log")"
export STRADS_SERVER=127.0.0.1:$port
count_workers() {
  "$bin/strads" workers --json 2> /dev/null |
    python3 -c 'import json, sys; print(len(json.load(sys.stdin)))' 2> /dev/null || echo 0
}
wait_workers() {  # wait_workers N: until the scheduler has N workers connected
  for _ in $(seq 90); do [ "$(count_workers)" = "$1" ] && return 0; sleep 1; done
  fail "the scheduler has $(count_workers) workers connected, want $1"
}
# deploy.replicas: 2 must mean two worker containers (docker-compose 1.29 and the plugin).
running=$(compose ps -q worker | wc -l)
[ "$running" = 2 ] || fail "deploy.replicas says 2 workers, compose started $running"
wait_workers 2
say "scheduler and 2 workers up; scaling to 3"
compose up -d --no-build --no-recreate --scale worker=3 > "$scratch/scale.log" 2>&1 ||
  fail "scale: $(cat "$scratch/scale.log")"
wait_workers 3

# 5. A job from the host, long enough to be stopped mid-way (the dynamic schedule, a tight tol).
"$bin/strads" generate lasso --samples 20000 --features 4000 --density 0.01 --correlation 0.9 \
  --group-size 10 --seed 3 --out "$scratch/train.libsvm" > /dev/null
job=$("$bin/strads" submit lasso --upload --data "$scratch/train.libsvm" --workers 3 \
  --scheduler dynamic --tol 1e-13 --max-rounds 50000 --path-ratio 0.05 --name container-test) ||
  fail "submit --upload failed"
job=$(tail -1 <<< "$job")  # the job id comes last, after "uploaded ... to ..."
say "submitted $job"
for _ in $(seq 120); do
  round=$("$bin/strads" status "$job" --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["rounds"])')
  [ "$round" -ge 5 ] && break
  sleep 0.5
done
state_now=$("$bin/strads" status "$job" --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["state"])')
[ "$state_now" = running ] || fail "$job is $state_now before the stop; make the job longer"

# 6. SIGTERM to the scheduler container (docker-compose stop sends it, then waits the grace
# period): the scheduler checkpoints the job and exits on its own.
say "stopping the scheduler container at round $round"
stop_start=$(date +%s)
compose stop scheduler > /dev/null 2>&1 || fail "compose stop scheduler"
stop_seconds=$(( $(date +%s) - stop_start ))
exit_code=$(docker inspect -f '{{.State.ExitCode}}' "$(compose ps -q scheduler)")
[ "$exit_code" = 0 ] || fail "the scheduler exited with $exit_code on SIGTERM (killed at the grace period?)"
compose logs scheduler > "$scratch/scheduler-1.log" 2>&1
grep -q "event=job_interrupted job=$job" "$scratch/scheduler-1.log" ||
  fail "the scheduler did not say it interrupted $job"
grep -q "event=checkpoint job=$job" "$scratch/scheduler-1.log" ||
  fail "no checkpoint of $job on SIGTERM"

compose up -d --no-build scheduler > /dev/null 2>&1 || fail "compose up scheduler"
for _ in $(seq 60); do "$bin/strads" jobs > /dev/null 2>&1 && break; sleep 1; done
"$bin/strads" watch "$job" -q --timeout 600 --summary-json "$scratch/summary.json" \
  > "$scratch/watch.txt" || fail "$job did not succeed after the restart: $(cat "$scratch/watch.txt")"
compose logs scheduler > "$scratch/scheduler-2.log" 2>&1
grep -q "event=job_resumed job=$job" "$scratch/scheduler-2.log" ||
  fail "the restarted scheduler did not resume $job from its checkpoint"
read -r job_seconds job_rounds < <(python3 -c '
import json, sys
s = json.load(open(sys.argv[1]))
assert s["state"] == "succeeded", s["state"]
print("%.1f %d" % (s["seconds"], s["rounds"]))' "$scratch/summary.json") || fail "bad summary"
say "$job resumed and succeeded: $job_rounds rounds, ${job_seconds} s of job time"

# 7. Health checks, for every container whose image or compose entry defines one.
health_report=""
for id in $(compose ps -q); do
  name=$(docker inspect -f '{{.Name}}' "$id")
  if [ -z "$(docker inspect -f '{{if .State.Health}}yes{{end}}' "$id")" ]; then
    health_report+=" ${name#/}=none"
    continue
  fi
  status=""
  for _ in $(seq 60); do
    status=$(docker inspect -f '{{.State.Health.Status}}' "$id")
    [ "$status" = healthy ] && break
    sleep 1
  done
  [ "$status" = healthy ] || fail "${name#/} health is $status"
  health_report+=" ${name#/}=healthy"
done
say "health:$health_report"
say "OK: image ${image_mb} MB, build ${build_seconds} s, stop ${stop_seconds} s, job $job_rounds rounds in ${job_seconds} s on 3 workers"
