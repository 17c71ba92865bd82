"""Builds the pure C++ core and its own tests (Debug, with sanitizers) and runs them."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _cmake() -> str:
    found = shutil.which("cmake")
    if found is None:
        try:
            import cmake

            found = str(Path(cmake.CMAKE_BIN_DIR) / "cmake")
        except ImportError:
            pytest.skip("cmake is not installed (pip install cmake)")
    return found


@pytest.mark.skipif(sys.platform == "win32", reason="sanitizers need gcc or clang")
def test_cpp_core_tests_pass_under_sanitizers(tmp_path_factory):
    """Tests the C++ searches and the CCH against Bellman-Ford references, with ASan and UBSan."""
    cmake = _cmake()
    build = tmp_path_factory.mktemp("build-cpp")
    configure = [
        cmake,
        "-S",
        str(ROOT),
        "-B",
        str(build),
        "-DCMAKE_BUILD_TYPE=Debug",
        "-DECOROUTE_BUILD_CPP_TESTS=ON",
        "-DECOROUTE_SANITIZE=ON",
        "-DECOROUTE_WERROR=ON",
    ]
    if shutil.which("ninja"):
        configure += ["-G", "Ninja"]
    subprocess.run(configure, check=True, capture_output=True, text=True)
    subprocess.run(
        [cmake, "--build", str(build), "--parallel", "2"],
        check=True,
        capture_output=True,
        text=True,
    )
    for test in ("test_search", "test_cch", "test_td_dijkstra", "test_osm_pbf"):
        result = subprocess.run(
            [str(build / test)], capture_output=True, text=True, check=False, timeout=600
        )
        assert result.returncode == 0, f"{test}:\n{result.stdout}{result.stderr}"
        assert "all checks passed" in result.stdout, test
