"""Where a boot test gets the three guest artifacts.

--assets DIR   a directory holding kernel, init-oci and supermachine-agent
               (a kernel or init-oci not committed yet, e.g. build/kernel-net)
--cli CLI      `CLI extract` (the library's CLI, as a user gets them)
--payloads DIR decode the committed payloads/*.xz (the default)
"""
import lzma
import os
import shutil
import subprocess

HERE = os.path.dirname(os.path.abspath(__file__))
ASSET_FILES = ["kernel", "init-oci", "supermachine-agent"]


def add_arguments(ap):
    ap.add_argument("--payloads", default=os.path.join(HERE, "..", "..", "payloads"),
                    help="decode the artifacts from DIR/*.xz (default: the committed payloads)")
    ap.add_argument("--cli", help="supermachine-kernel CLI to extract the artifacts with")
    ap.add_argument("--assets", metavar="DIR",
                    help="take kernel, init-oci and supermachine-agent from DIR as they are")


def extract(payloads, cli, dest):
    if cli:
        subprocess.run([cli, "extract", dest], check=True)
        return
    for name in ASSET_FILES:
        with lzma.open(os.path.join(payloads, name + ".xz")) as src, \
                open(os.path.join(dest, name), "wb") as out:
            shutil.copyfileobj(src, out)


def missing_in(directory):
    """The artifact files `directory` lacks."""
    return [f for f in ASSET_FILES if not os.path.isfile(os.path.join(directory, f))]


def get(args, work):
    """(kernel, init_oci, agent) paths per the command line's choice; the
    extracted ones go to work/assets. Raises FileNotFoundError for an
    --assets directory missing one."""
    if args.assets:
        missing = missing_in(args.assets)
        if missing:
            raise FileNotFoundError(f"--assets {args.assets}: no {', '.join(missing)}")
        directory = args.assets
    else:
        directory = os.path.join(work, "assets")
        os.makedirs(directory, exist_ok=True)
        extract(args.payloads, args.cli, directory)
    return tuple(os.path.abspath(os.path.join(directory, f)) for f in ASSET_FILES)


def describe(args):
    if args.assets:
        return f"--assets {args.assets}"
    return f"extracted with {args.cli}" if args.cli else f"decoded from {args.payloads}"
