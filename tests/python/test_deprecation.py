"""extract_to and extract_to_with_parents: still work, and warn with a
DeprecationWarning that points at the caller's line."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

import supermachine_kernel as smk
from conftest import assert_is_asset


@pytest.mark.parametrize(
    "fn, replacement",
    [
        (smk.extract_to, "extract_kernel_to()"),
        (smk.extract_to_with_parents, "extract_kernel_to_with_parents()"),
    ],
    ids=["extract_to", "extract_to_with_parents"],
)
def test_deprecated_alias_warns_at_the_callers_line(fn, replacement, tmp_path, manifest):
    dest = tmp_path / "sub" / "kernel" if fn is smk.extract_to_with_parents else tmp_path / "kernel"
    with pytest.warns(DeprecationWarning) as record:
        line = sys._getframe().f_lineno + 1
        fn(dest)
    assert len(record) == 1
    w = record[0]
    assert replacement in str(w.message)
    assert w.filename == __file__
    assert w.lineno == line
    assert_is_asset(dest, "kernel", manifest)


def test_warning_shows_for_a_script_by_default(tmp_path):
    script = tmp_path / "user_script.py"
    script.write_text(
        textwrap.dedent(
            """\
            import supermachine_kernel

            supermachine_kernel.extract_to("kernel")
            """
        )
    )
    out = subprocess.run(
        [sys.executable, str(script)], cwd=tmp_path, capture_output=True, text=True, check=True
    )
    assert f"{script}:3: DeprecationWarning: extract_to() is deprecated" in out.stderr
    assert (tmp_path / "kernel").stat().st_size == smk.KERNEL_LEN


def test_warning_as_error_extracts_nothing(tmp_path):
    out = subprocess.run(
        [sys.executable, "-W", "error::DeprecationWarning", "-c",
         "import supermachine_kernel as s; s.extract_to('kernel')"],
        cwd=tmp_path, capture_output=True, text=True,
    )
    assert out.returncode != 0 and "DeprecationWarning" in out.stderr
    assert not (tmp_path / "kernel").exists()
