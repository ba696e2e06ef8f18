"""KERNEL_BYTES & co. are decoded on first access, never at import.

Measured in a fresh interpreter: the resident memory that importing the
package (and using everything that must not decode: the *_LEN constants,
dir(), assets() and default_dir() of every architecture, a star import) adds must stay far below the kernel's size, while reading
KERNEL_BYTES must add at least the kernel's size (the decoded buffer and the
bytes object), which shows the measure can see a decode.
"""

from __future__ import annotations

import json
import subprocess
import sys

import supermachine_kernel as smk

PROBE = r"""
import json

def rss():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024

before = rss()
import supermachine_kernel as smk
names = dir(smk)
lens = (smk.KERNEL_LEN, smk.INIT_OCI_LEN, smk.SUPERMACHINE_AGENT_LEN)
smk.assets()
for arch in smk.ARCHS:
    smk.assets(arch=arch)
    smk.default_dir(arch=arch)
exec("from supermachine_kernel import *", {})
after_import = rss()
decoded_early = [n for n in ("KERNEL_BYTES", "INIT_OCI_BYTES", "SUPERMACHINE_AGENT_BYTES")
                 if n in vars(smk)]
data = smk.KERNEL_BYTES
after_access = rss()
print(json.dumps({"import": after_import - before, "access": after_access - after_import,
                  "decoded_early": decoded_early, "listed": "KERNEL_BYTES" in names,
                  "len": len(data)}))
"""


def test_import_decodes_nothing_and_first_access_does():
    out = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, check=True)
    r = json.loads(out.stdout)
    assert r["decoded_early"] == []
    assert r["listed"]
    assert r["len"] == smk.KERNEL_LEN
    assert r["import"] < smk.KERNEL_LEN // 4, r
    assert r["access"] >= smk.KERNEL_LEN, r


def test_concurrent_first_access_gives_one_object():
    code = (
        "import threading, supermachine_kernel as smk\n"
        "got = []\n"
        "b = threading.Barrier(6)\n"
        "def run():\n"
        "    b.wait()\n"
        "    got.append(smk.INIT_OCI_BYTES)\n"
        "ts = [threading.Thread(target=run) for _ in range(6)]\n"
        "[t.start() for t in ts]\n"
        "[t.join() for t in ts]\n"
        "assert len(got) == 6 and all(g is smk.INIT_OCI_BYTES for g in got)\n"
        "print(len(got[0]))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert int(out.stdout) == smk.INIT_OCI_LEN


def test_import_and_exit_are_clean_with_warnings_as_errors():
    # SWIG < 4.4 created a type without __module__ while unloading the
    # module: a DeprecationWarning, and a crash under -W error.
    r = subprocess.run(
        [sys.executable, "-X", "dev", "-W", "error", "-c",
         "import supermachine_kernel as s; s.assets(); s.kernel_info(); print(s.KERNEL_LEN)"],
        capture_output=True, text=True,
    )
    assert (r.returncode, r.stderr) == (0, ""), r.stderr
    assert int(r.stdout) == smk.KERNEL_LEN
