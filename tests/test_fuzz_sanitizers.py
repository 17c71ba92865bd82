"""
Builds the Python extension itself (core and bindings, Debug) with AddressSanitizer and
UndefinedBehaviorSanitizer and runs the fuzz and boundary tests through it in a child
Python with the ASan runtime preloaded: random inputs cross the binding into the core
under the sanitizers. (tests/test_cpp_core.py runs the C++-only tests the same way.)

Skipped without g++, cmake, pybind11 or a working ASan/UBSan runtime; marked slow (a
Debug build with sanitizers takes a few minutes on two cores).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
FLAGS = ["-fsanitize=address,undefined", "-fno-omit-frame-pointer"]

#: Run under the sanitized extension: the fuzz properties and the boundary tests.
TESTS = [
    "tests/test_fuzz_network.py",
    "tests/test_fuzz_batch.py",
    "tests/test_boundary.py",
    "tests/test_routing.py",
]

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not sys.platform.startswith("linux"), reason="LD_PRELOAD of libasan"),
]


def _tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        pytest.skip(f"{name} is not installed")
    return found


def _asan_runtime(compiler: str, work: Path) -> str:
    """Return the libraries to preload after checking that a sanitized program builds and runs."""
    source = work / "probe.cpp"
    source.write_text("int main() { int x[2] = {0, 1}; return x[1] - 1; }\n")
    probe = work / "probe"
    built = subprocess.run([compiler, *FLAGS, str(source), "-o", str(probe)],
                           capture_output=True, text=True, check=False)  # fmt: skip
    if built.returncode != 0 or subprocess.run([str(probe)], check=False).returncode != 0:
        pytest.skip(f"{compiler} cannot build and run with ASan/UBSan: {built.stderr[-300:]}")
    # libstdc++ must be loaded with ASan, or its __cxa_throw interceptor finds no real
    # function (python does not link libstdc++) and the first C++ exception aborts.
    runtimes = []
    for name in ("libasan.so", "libstdc++.so"):
        path = subprocess.run([compiler, f"-print-file-name={name}"], capture_output=True,
                              text=True, check=False).stdout.strip()  # fmt: skip
        if not Path(path).is_file():
            pytest.skip(f"{compiler} has no shared {name} to preload")
        runtimes.append(path)
    return " ".join(runtimes)


def test_fuzz_and_boundary_tests_pass_through_a_sanitized_extension(tmp_path_factory):
    pybind11 = pytest.importorskip("pybind11", reason="the extension build needs pybind11")
    compiler = _tool("g++")
    cmake = _tool("cmake")
    work = tmp_path_factory.mktemp("asan")
    runtime = _asan_runtime(compiler, work)

    build = work / "build"
    configure = [
        cmake, "-S", str(ROOT), "-B", str(build), "-DSKBUILD=ON", "-DCMAKE_BUILD_TYPE=Debug",
        "-DECOROUTE_SANITIZE=ON", f"-DCMAKE_CXX_COMPILER={compiler}",
        f"-Dpybind11_DIR={pybind11.get_cmake_dir()}", f"-DPython_EXECUTABLE={sys.executable}",
        # pybind11 adds -flto and hidden visibility in Release only; keep the build plain.
        "-DCMAKE_INTERPROCEDURAL_OPTIMIZATION=OFF",
    ]  # fmt: skip
    if shutil.which("ninja"):
        configure += ["-G", "Ninja"]
    for step in (configure, [cmake, "--build", str(build), "--target", "_core", "--parallel", "2"]):
        result = subprocess.run(step, capture_output=True, text=True, check=False)
        assert result.returncode == 0, (
            f"{' '.join(step)}\n{result.stdout[-3000:]}{result.stderr[-3000:]}"
        )
    suffix = sysconfig.get_config_var("EXT_SUFFIX")
    (extension,) = build.glob(f"_core*{suffix}")

    # A pytest plugin that imports the sanitized _core as ecoroute._core before anything else.
    plugin = work / "sanitized_core.py"
    plugin.write_text(
        textwrap.dedent(f"""
        import importlib.util
        import sys

        spec = importlib.util.spec_from_file_location("ecoroute._core", {str(extension)!r})
        module = importlib.util.module_from_spec(spec)
        sys.modules["ecoroute._core"] = module
        spec.loader.exec_module(module)
        import ecoroute.network
        import ecoroute.routing

        # The package takes the module already imported (sys.modules), not the installed one.
        assert ecoroute.network._core is module
        assert ecoroute.routing._core is module
    """)
    )
    env = {
        **os.environ,
        "LD_PRELOAD": runtime,
        "PYTHONPATH": os.pathsep.join([str(work), os.environ.get("PYTHONPATH", "")]),
        # CPython and NumPy keep memory until exit on purpose: leak reports would be noise.
        "ASAN_OPTIONS": "detect_leaks=0:abort_on_error=1",
        "UBSAN_OPTIONS": "halt_on_error=1:print_stacktrace=1",
    }
    command = [sys.executable, "-m", "pytest", "-p", "sanitized_core", "-q", "-x",
               "-p", "no:cacheprovider", "-W", "ignore::DeprecationWarning", *TESTS]  # fmt: skip
    result = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True,
                            timeout=1200, check=False)  # fmt: skip
    output = result.stdout[-6000:] + result.stderr[-6000:]
    assert result.returncode == 0, output
    assert "ERROR: AddressSanitizer" not in output
    assert "runtime error:" not in output  # UBSan's report
    assert " passed" in result.stdout
