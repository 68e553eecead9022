import os

# xlwings reads its license when first imported; the remote Book (xlwings Server's) needs one.
# The free noncommercial key is for these tests only, never a product default.
os.environ.setdefault("XLWINGS_LICENSE_KEY", "noncommercial")
os.environ.setdefault("TQDM_DISABLE", "1")  # the formulas package's progress bars would fill the test log
# the keys of attachment passwords (system/secrets.py) go to a folder of this run, not the user's own
if not os.environ.get("XL_KPI_TESTS_KEYS"):
    import tempfile

    os.environ["XL_KPI_TESTS_KEYS"] = os.environ["XDG_CONFIG_HOME"] = tempfile.mkdtemp(prefix="xl-kpi-keys-")

import pytest

from xl_kpi.system.libreoffice import soffice
from xl_kpi.workspace import builtin_plan


@pytest.fixture(scope="session")
def plan():
    return builtin_plan()


@pytest.fixture(scope="session")
def demo_root(tmp_path_factory):
    """``xl-kpi demo``'s workspace (three sample months, the report, the mail dry run), built once a
    session; a module that changes it works on its own copy (``demo_copy``)."""
    import subprocess
    import sys

    root = tmp_path_factory.mktemp("demo") / "ws"
    done = subprocess.run([sys.executable, "-m", "xl_kpi.cli", "demo", str(root)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    return root


def demo_copy(demo_root, tmp_path_factory, name: str):
    import shutil

    root = tmp_path_factory.mktemp(name) / "ws"
    shutil.copytree(demo_root, root)
    return root


def pytest_collection_modifyitems(config, items):
    # In CI LibreOffice is installed by .ci/run, so a missing soffice must fail there, not skip.
    import os

    if soffice() is None and not os.environ.get("CI"):
        skip = pytest.mark.skip(reason="LibreOffice (soffice) is not installed")
        for item in items:
            if "libreoffice" in item.keywords:
                item.add_marker(skip)
