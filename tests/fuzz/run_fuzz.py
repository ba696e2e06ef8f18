"""Write a fuzz target's seed corpus, check it, and fuzz for a bounded time.

    python3 tests/fuzz/run_fuzz.py --target TARGET [--fuzzer BIN] [--workdir DIR]
                                   [--seconds N] [--runs N] [-- LIBFUZZER_ARGS...]

Targets (tests/fuzz/CMakeLists.txt builds them; each harness's comment says
what it checks):

    kernel_info_fuzz    core/src/kernel_info.c: arm64 Image header, x86_64 ELF
                        vmlinux (program headers, PVH note)
    json_fuzz           payloads/init-oci/json.c
    image_config_fuzz   payloads/init-oci/image_config.c (over json.c)
    cmdline_fuzz        payloads/init-oci/cmdline.c

ctest runs each for a few seconds (core.kernel_info_fuzz,
init-oci.json_fuzz, ...; SMK_FUZZ_SECONDS_<target> in the CMake cache).
The longer run, after changing a parser or before a release:

    cmake --build build/test
    python3 tests/fuzz/run_fuzz.py --target json_fuzz --seconds 600
    python3 tests/fuzz/run_fuzz.py --target all --seconds 600   # one after another
    python3 tests/fuzz/run_fuzz.py --target image_config_fuzz --seconds 3600 -- -fork=2

--fuzzer defaults to build/test/tests/fuzz/TARGET and --workdir to
build/fuzz/TARGET. WORKDIR/corpus keeps what libFuzzer found across runs;
a crash is saved as WORKDIR/crash-* (rerun it: BIN WORKDIR/crash-...).

The seeds are written by tests/fuzz/seeds_<target minus _fuzz>.py, so the
repository holds generators, not binary fixtures. Each seed says whether
the parser must accept or refuse it; before fuzzing, every seed is run once
with SMK_FUZZ_EXPECT set (see fuzz_common.h), so a harness that never
reaches its parser's success path, or a generator out of step with the
parser, fails the run. Seeds marked "check-only" (the limits' edges, too
big to be worth mutating) get only that check.
"""

import argparse
import importlib
import os
import re
import shutil
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.normpath(os.path.join(HERE, "..", ".."))
TARGETS = ["kernel_info_fuzz", "json_fuzz", "image_config_fuzz", "cmdline_fuzz"]

sys.path.insert(0, HERE)


def dict_entry(token):
    body = "".join(chr(b) if 0x20 <= b < 0x7F and chr(b) not in '"\\' else "\\x%02x" % b
                   for b in token)
    return f'"{body}"\n'


def write_seeds(target, workdir):
    gen = importlib.import_module("seeds_" + target[: -len("_fuzz")])
    seed_dir = os.path.join(workdir, "seeds")
    check_dir = os.path.join(workdir, "check-only")
    for d in (seed_dir, check_dir):
        shutil.rmtree(d, ignore_errors=True)
        os.makedirs(d)
    os.makedirs(os.path.join(workdir, "corpus"), exist_ok=True)
    expect = {"accept": [], "refuse": []}
    for name, (data, verdict, *flags) in sorted(gen.seeds().items()):
        # "check-only": too big or slow to mutate; only its verdict is checked.
        path = os.path.join(check_dir if "check-only" in flags else seed_dir, name)
        with open(path, "wb") as fh:
            fh.write(data)
        expect[verdict].append(path)
    options = [f"-max_len={gen.MAX_LEN}"]
    if getattr(gen, "DICT", None):
        dict_path = os.path.join(workdir, target + ".dict")
        with open(dict_path, "w") as fh:
            fh.writelines(dict_entry(t) for t in gen.DICT)
        options.append(f"-dict={dict_path}")
    return seed_dir, expect, options


def check_seeds(fuzzer, expect):
    """Every seed once, as a file argument: accepted or refused as said."""
    for verdict, paths in expect.items():
        if not paths:
            continue
        env = dict(os.environ, SMK_FUZZ_EXPECT=verdict)
        r = subprocess.run([fuzzer] + paths, env=env, stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, text=True, errors="replace")
        if r.returncode != 0:
            print(r.stdout)
            print(f"seed check failed: a seed the parser should {verdict} (above)")
            return False
        print(f"seeds: {len(paths)} {'accepted' if verdict == 'accept' else 'refused'} as expected")
    return True


def run(target, fuzzer, workdir, seconds, runs, extra):
    if not os.path.exists(fuzzer):
        print(f"{fuzzer}: not built (cmake --build build/test)")
        return 1
    os.makedirs(workdir, exist_ok=True)
    seed_dir, expect, options = write_seeds(target, workdir)
    if not check_seeds(fuzzer, expect):
        return 1
    cmd = [fuzzer, f"-max_total_time={seconds}", "-timeout=10", "-rss_limit_mb=2048",
           "-print_final_stats=1", f"-artifact_prefix={workdir}/"] + options
    if runs is not None:
        cmd.append(f"-runs={runs}")
    cmd += extra + [os.path.join(workdir, "corpus"), seed_dir]
    print(" ".join(cmd), flush=True)
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True, errors="replace")
    inited = last = execs = None
    for line in proc.stdout:
        sys.stdout.write(line)
        m = re.search(r"#\d+\s+(INITED|NEW|REDUCE|pulse|DONE)\s+cov: (\d+)", line)
        if m:
            last = int(m.group(2))
            if m.group(1) == "INITED":
                inited = last
        m = re.match(r"stat::number_of_executed_units: (\d+)", line)
        if m:
            execs = int(m.group(1))
    rc = proc.wait()
    print(f"{target}: rc {rc}, {execs} executions, coverage {inited} after the seeds,"
          f" {last} at the end", flush=True)
    if rc == 0 and not execs:
        print("no executions reported")
        return 1
    return rc


def main():
    argv = sys.argv[1:]
    extra = []
    if "--" in argv:
        i = argv.index("--")
        argv, extra = argv[:i], argv[i + 1:]
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--target", required=True, choices=TARGETS + ["all"])
    ap.add_argument("--fuzzer", help="the harness binary (default build/test/tests/fuzz/TARGET)")
    ap.add_argument("--workdir", help="seeds, corpus, crashes (default build/fuzz/TARGET)")
    ap.add_argument("--seconds", type=int, default=20)
    ap.add_argument("--runs", type=int, help="stop after this many executions too")
    args = ap.parse_args(argv)
    targets = TARGETS if args.target == "all" else [args.target]
    if len(targets) > 1 and (args.fuzzer or args.workdir):
        ap.error("--fuzzer and --workdir name one target's files")
    rc = 0
    for t in targets:
        fuzzer = args.fuzzer or os.path.join(REPO, "build", "test", "tests", "fuzz", t)
        workdir = args.workdir or os.path.join(REPO, "build", "fuzz", t)
        rc = run(t, fuzzer, workdir, args.seconds, args.runs, extra) or rc
    return rc


if __name__ == "__main__":
    sys.exit(main())
