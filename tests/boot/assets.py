"""Where a boot test gets the three guest artifacts of one architecture.

--assets DIR   a directory holding kernel, init-oci and supermachine-agent
               (a kernel or init-oci not committed yet, e.g. build/kernel-net)
--cli CLI      `CLI extract --arch ARCH DIR` (the library's CLI, as a user
               gets them; a CLI without --arch, one with only the aarch64
               set, is run as `CLI extract DIR` for aarch64)
--payloads DIR decode the committed payloads: the assets of DIR/manifest.json
               whose "arch" is the test's (the default)

Whichever it is, the kernel must be for the test's architecture (an arm64
Image for aarch64, an x86_64 ELF for x86_64): a set of the wrong
architecture fails here, not as a guest that never boots.
"""
import json
import lzma
import os
import shutil
import subprocess

from guest import kernel_arch

HERE = os.path.dirname(os.path.abspath(__file__))
ASSET_FILES = ["kernel", "init-oci", "supermachine-agent"]
# manifest.json's asset names for the three files
MANIFEST_NAMES = {"kernel": "kernel", "init_oci": "init-oci", "supermachine_agent": "supermachine-agent"}
CLI_USAGE_ERROR = 2  # tests/conformance: the CLI's exit status for a usage error


class Unavailable(Exception):
    """The chosen source has no set for the architecture."""


def add_arguments(ap):
    ap.add_argument("--payloads", default=os.path.join(HERE, "..", "..", "payloads"),
                    help="decode the artifacts from DIR/*.xz per DIR/manifest.json"
                         " (default: the committed payloads)")
    ap.add_argument("--cli", help="supermachine-kernel CLI to extract the artifacts with")
    ap.add_argument("--assets", metavar="DIR",
                    help="take kernel, init-oci and supermachine-agent from DIR as they are")


def payload_files(payloads, arch):
    """{file name: xz path} of the committed set of `arch`, from manifest.json."""
    with open(os.path.join(payloads, "manifest.json")) as f:
        manifest = json.load(f)
    found = {}
    for a in manifest["assets"]:
        if a.get("arch") == arch and a["name"] in MANIFEST_NAMES:
            found[MANIFEST_NAMES[a["name"]]] = os.path.join(payloads, a["xz"])
    missing = [f for f in ASSET_FILES if f not in found]
    if missing:
        raise Unavailable(f"{payloads}/manifest.json has no {arch} {', '.join(missing)}")
    return found


def extract(payloads, cli, dest, arch="aarch64"):
    """Write the set of `arch` into dest: through the CLI when given, else
    by decoding the committed payloads."""
    if cli:
        r = subprocess.run([cli, "extract", "--arch", arch, dest], capture_output=True, text=True)
        if r.returncode == CLI_USAGE_ERROR and arch == "aarch64":
            # A CLI from before `extract --arch`: it embeds only aarch64.
            r = subprocess.run([cli, "extract", dest], capture_output=True, text=True)
        if r.returncode != 0:
            raise Unavailable(f"{cli} extract --arch {arch} {dest}: exit {r.returncode}:"
                              f" {r.stderr.strip()}")
    else:
        for name, xz in payload_files(payloads, arch).items():
            with lzma.open(xz) as src, open(os.path.join(dest, name), "wb") as out:
                shutil.copyfileobj(src, out)
    check_arch(dest, arch)


def check_arch(directory, arch):
    got = kernel_arch(os.path.join(directory, "kernel"))
    if got != arch:
        raise Unavailable(f"{directory}/kernel is {'for ' + got if got else 'no kernel we know'},"
                          f" not an {arch} kernel")


def missing_in(directory):
    """The artifact files `directory` lacks."""
    return [f for f in ASSET_FILES if not os.path.isfile(os.path.join(directory, f))]


def get(args, work, arch="aarch64"):
    """(kernel, init_oci, agent) paths of the set of `arch` per the command
    line's choice; the extracted ones go to work/assets. Raises
    FileNotFoundError for an --assets directory missing one, Unavailable
    for a source without that architecture's set."""
    if args.assets:
        missing = missing_in(args.assets)
        if missing:
            raise FileNotFoundError(f"--assets {args.assets}: no {', '.join(missing)}")
        directory = args.assets
        check_arch(directory, arch)
    else:
        directory = os.path.join(work, "assets")
        os.makedirs(directory, exist_ok=True)
        extract(args.payloads, args.cli, directory, arch)
    return tuple(os.path.abspath(os.path.join(directory, f)) for f in ASSET_FILES)


def describe(args, arch="aarch64"):
    if args.assets:
        return f"{arch}, --assets {args.assets}"
    return f"{arch}, " + (f"extracted with {args.cli}" if args.cli else f"decoded from {args.payloads}")
