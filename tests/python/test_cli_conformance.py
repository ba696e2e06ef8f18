"""python -m supermachine_kernel against tests/conformance/cli.json, the CLI
contract every language's CLI passes (the C one through ctest's
core.cli_conformance), run by tests/conformance/cli_cases.py."""

from __future__ import annotations

import json
import sys

import pytest

from conftest import PAYLOAD_DIR, REPO, embedded_archs, expected_default_arch, load_manifest_assets

sys.path.insert(0, str(REPO / "tests" / "conformance"))
import cli_cases  # noqa: E402

CONTRACT = cli_cases.load()


@pytest.fixture(scope="module")
def runner(tmp_path_factory) -> cli_cases.Runner:
    # The manifest of the payloads the package was built from, holding the
    # sets it embeds only (a build may choose fewer).
    manifest = tmp_path_factory.mktemp("contract") / "manifest.json"
    archs = embedded_archs()
    entries = [a for a in load_manifest_assets(PAYLOAD_DIR) if a["arch"] in archs]
    manifest.write_text(json.dumps({"format": 2, "assets": entries}))
    return cli_cases.Runner([sys.executable, "-m", "supermachine_kernel"], contract=CONTRACT,
                            manifest=manifest, default_arch=expected_default_arch())


@pytest.mark.parametrize("case", CONTRACT["cases"], ids=[c["id"] for c in CONTRACT["cases"]])
def test_cli_case(case, runner, tmp_path):
    runner.run(case, tmp_path / "work")


def test_the_contract_covers_every_command():
    commands = {c["args"][0] for c in CONTRACT["cases"] if c["args"]}
    assert {"extract", "ensure", "verify", "info", "--version", "--help"} <= commands
