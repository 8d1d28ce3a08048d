#!/usr/bin/env python3
"""Runs the shell commands of README.md and deploy/README.md, so docs and programs cannot drift.

Every fenced code block whose first line is a command (it starts with build/bin/, scripts/,
export, docker or kubectl) is a shell block; each of its commands (backslash lines joined, a
trailing "# comment" dropped) is run in order against what the commands themselves start, in one
scratch directory, and must exit 0. Usage: docs_commands_test.py REPO_DIR BUILD_BIN_DIR.

What cannot run on one machine, or would take too long, is changed or skipped by the visible
rules below; the test prints every change and skip.
"""
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

SHELL_STARTS = ("build/bin/", "scripts/", "export ", "docker ", "kubectl ", "openssl ")

# Skipped, by prefix, with the reason printed.
SKIP_PREFIXES = {
    "docker ": "needs a container engine (tests/deploy_check.sh checks the compose file)",
    "kubectl ": "needs a Kubernetes cluster (tests/deploy_check.sh checks the manifests)",
    "scripts/": "installs packages, builds and runs the whole suite (it is what runs this test)",
}
# Commands that serve until stopped: started in the background, stopped at the end. Workers are
# started twice, as the documented jobs ask for 2.
BACKGROUND = {"build/bin/strads-scheduler": 1, "build/bin/strads-worker": 2}

def substitutions(port, data_dir):
    """(pattern, replacement, why): applied to every command, in order."""
    address = f"127.0.0.1:{port}"
    return [
        (r"0\.0\.0\.0:7070", address, "the scheduler listens on a free loopback port"),
        (r"HOST:7070|127\.0\.0\.1:7070", address, "the machine names are this machine"),
        (r"/var/lib/strads", data_dir, "a scratch data directory"),
        (r"/shared/lasso\.libsvm", "lasso.libsvm", "the shared file is the one generated above"),
        (r"/shared/(ratings(-test)?\.txt)", r"\1", "the shared ratings are the ones generated above"),
        (r"--samples 20000 --features 10000", "--samples 400 --features 200",
         "small data keeps the test fast"),
        (r"--samples 30000 --features 123", "--samples 1000 --features 123",
         "small data keeps the test fast"),
        (r"--users 100000 --items 20000 --ratings 2000000", "--users 300 --items 200 --ratings 6000",
         "small data keeps the test fast"),
        (r"\[(--[^]]*)\]", r"\1", "optional flags ([...]) are given"),
    ]

# Files the documented commands read and no documented command writes, made before the run.
def make_fixtures(work):
    with open(os.path.join(work, "pairs.txt"), "w") as out:
        out.write("1 1\n2 3\n")

def mmt_from_libsvm(work):
    """X.mmt and Y.mmt (the MatrixMarket example) from lasso.libsvm, once that exists."""
    rows = [line.split() for line in open(os.path.join(work, "lasso.libsvm")) if line.strip()]
    entries = [(i + 1, int(t.split(":")[0]), t.split(":")[1])
               for i, r in enumerate(rows) for t in r[1:]]
    cols = max(j for _, j, _ in entries)
    with open(os.path.join(work, "X.mmt"), "w") as x:
        x.write("%%MatrixMarket matrix coordinate real general\n")
        x.write(f"{len(rows)} {cols} {len(entries)}\n")
        x.writelines(f"{i} {j} {v}\n" for i, j, v in entries)
    with open(os.path.join(work, "Y.mmt"), "w") as y:
        y.write(f"%%MatrixMarket matrix array real general\n{len(rows)} 1\n")
        y.writelines(r[0] + "\n" for r in rows)

def shell_commands(path):
    """The commands of the file's shell blocks, in order, as (line number, command)."""
    commands, block, in_block, start = [], [], False, 0
    for number, line in enumerate(open(path), 1):
        if line.startswith("```"):
            if in_block:
                first = next((l for _, l in block if l.strip()), "")
                if first.startswith(SHELL_STARTS):
                    commands.extend(join_lines(block))
                else:
                    print(f"  not shell: {os.path.basename(path)} block at line {start} "
                          f"({first.strip()[:40]!r}...)")
                block = []
            in_block, start = not in_block, number
        elif in_block:
            block.append((number, line.rstrip("\n")))
    return commands

def join_lines(block):
    out, pending, first = [], "", 0
    for number, line in block:
        if not pending:
            first = number
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        command = re.sub(r"\s+#.*$", "", pending + line).strip()
        pending = ""
        if command:
            out.append((first, command))
    return out

def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]

def main():
    repo, bin_dir = sys.argv[1], os.path.abspath(sys.argv[2])
    work = tempfile.mkdtemp(prefix="strads-docs-")
    port = free_port()
    data_dir = os.path.join(work, "data")
    rules = substitutions(port, data_dir)
    env = dict(os.environ)
    env.pop("STRADS_SERVER", None)
    background, failures, ran = [], [], 0
    make_fixtures(work)
    try:
        for doc in ("README.md", "deploy/README.md"):
            print(f"{doc}:")
            for number, original in shell_commands(os.path.join(repo, doc)):
                where = f"{doc}:{number}"
                skip = next((why for prefix, why in SKIP_PREFIXES.items()
                             if original.startswith(prefix)), None)
                if skip:
                    print(f"  skip {where}: {original[:60]} -- {skip}")
                    continue
                command = original
                for pattern, replacement, why in rules:
                    changed = re.sub(pattern, replacement, command)
                    if changed != command:
                        print(f"  change {where}: {why}")
                        command = changed
                if command.startswith("export "):
                    name, _, value = command[len("export "):].partition("=")
                    env[name] = value
                    print(f"  env {where}: {name}={value}")
                    continue
                if "X.mmt" in command and not os.path.exists(os.path.join(work, "X.mmt")):
                    mmt_from_libsvm(work)
                    print(f"  fixture {where}: X.mmt and Y.mmt written from lasso.libsvm")
                runnable = command.replace("build/bin/", bin_dir + "/")
                copies = next((n for prefix, n in BACKGROUND.items()
                               if command.startswith(prefix)), 0)
                if copies:
                    for _ in range(copies):
                        log = open(os.path.join(work, f"background{len(background)}.log"), "w")
                        # A session of its own, so the shell and the program it starts are
                        # ended together (terminating the shell alone can orphan the program).
                        background.append(subprocess.Popen(runnable, shell=True, cwd=work, env=env,
                                                           stdout=log, stderr=subprocess.STDOUT,
                                                           start_new_session=True))
                    print(f"  background {where}: {command} (x{copies})")
                    wait_for_scheduler(bin_dir, port)
                    continue
                started = time.time()
                result = subprocess.run(runnable, shell=True, cwd=work, env=env,
                                        capture_output=True, text=True, timeout=120)
                ran += 1
                status = "ok" if result.returncode == 0 else f"EXIT {result.returncode}"
                print(f"  {status} {where} ({time.time() - started:.1f}s): {command}")
                if result.returncode != 0:
                    failures.append(f"{where}: {command}\n    {result.stderr.strip()}")
        for process in background:
            if process.poll() is not None:
                failures.append(f"a background command exited early ({process.args})")
    finally:
        for process in background:
            try:
                os.killpg(process.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
        for process in background:
            process.wait(timeout=30)
        if failures:
            for log in sorted(os.listdir(work)):
                if log.startswith("background"):
                    print(f"--- {log}\n" + open(os.path.join(work, log)).read()[-1500:])
        shutil.rmtree(work, ignore_errors=True)
    if failures:
        print("docs: FAIL:\n  " + "\n  ".join(failures))
        return 1
    if ran < 10:
        print(f"docs: FAIL: only {ran} commands ran; did the docs' shape change?")
        return 1
    print(f"docs: ok ({ran} commands ran)")
    return 0

def wait_for_scheduler(bin_dir, port):
    for _ in range(100):
        if subprocess.run([f"{bin_dir}/strads", "jobs", "--server", f"127.0.0.1:{port}"],
                          capture_output=True).returncode == 0:
            return
        time.sleep(0.1)

if __name__ == "__main__":
    sys.exit(main())
