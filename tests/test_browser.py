"""The batch preview works in a real browser: JupyterLab + Chromium (Playwright), end to end.

JupyterLab runs on loopback with a known token over a temporary copy of the
notebooks and sample data; Debian's Chromium opens ``02_preview_batches.ipynb``,
runs all cells (Run menu → Run All Cells), clicks the BatchPreview's *Next*
button and checks that the batch shown changes.  A screenshot is saved as
``test-artifacts/browser_batch_preview.png`` at the repo root.

Needs ``/usr/bin/chromium`` (``apt-get install chromium``) and the Python
package ``playwright`` (``pip install playwright``; no browser download: the
Debian Chromium is used).  Without them the test is skipped — except when the
``CI`` environment variable is set, where it fails instead, so CI cannot skip it
silently.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = ROOT / "test-artifacts"
TOKEN = "dialkit-browser-test"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.timeout(150)]


def _missing() -> str | None:
    """Why the browser test cannot run here, or None."""
    if not CHROMIUM.exists():
        return f"{CHROMIUM} is missing (install it: apt-get install chromium)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "the playwright package is missing (install it: pip install playwright)"
    return None


@pytest.fixture(scope="module")
def requirements() -> None:
    reason = _missing()
    if reason is None:
        return
    if os.environ.get("CI"):
        pytest.fail(f"browser test cannot run in CI: {reason}")
    pytest.skip(f"browser test skipped: {reason}; set it up to enable this test")


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_for_server(url: str, proc: subprocess.Popen, log: Path, timeout: float = 40.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"JupyterLab exited early ({proc.returncode}):\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.3)
    raise RuntimeError(f"JupyterLab did not answer within {timeout} s:\n{log.read_text()[-3000:]}")


@pytest.fixture(scope="module")
def jupyterlab(requirements: None, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A JupyterLab server over a temporary copy of notebooks/ and data/; yields its base URL."""
    base = tmp_path_factory.mktemp("lab")
    root = base / "repo"
    (root / "notebooks").mkdir(parents=True)
    for nb in (ROOT / "notebooks").glob("*.ipynb"):
        shutil.copy2(nb, root / "notebooks" / nb.name)
    shutil.copytree(ROOT / "data" / "samples", root / "data" / "samples")
    home = base / "home"
    home.mkdir()
    port = _free_port()
    env = {
        **os.environ,
        "HOME": str(home),
        "JUPYTER_CONFIG_DIR": str(home / ".jupyter"),
        "JUPYTER_RUNTIME_DIR": str(home / "runtime"),
        "JUPYTERLAB_SETTINGS_DIR": str(home / "settings"),
        "JUPYTERLAB_WORKSPACES_DIR": str(home / "workspaces"),
        "PYTHONUNBUFFERED": "1",
    }
    # No news/update pop-ups over the notebook (and no calls out for them).
    notification = home / "settings" / "@jupyterlab" / "apputils-extension" / "notification.jupyterlab-settings"
    notification.parent.mkdir(parents=True)
    notification.write_text('{"fetchNews": "false", "checkForUpdates": false}')
    log = base / "jupyterlab.log"
    cmd = [
        sys.executable, "-m", "jupyterlab",
        "--no-browser",
        "--ServerApp.ip=127.0.0.1",
        f"--ServerApp.port={port}",
        "--ServerApp.port_retries=0",
        f"--IdentityProvider.token={TOKEN}",
        f"--ServerApp.root_dir={root}",
        "--ServerApp.open_browser=False",
        "--ServerApp.allow_root=True",  # CI containers run as root
        "--LabApp.extension_manager=readonly",  # no extension-manager calls to PyPI
        "--LabApp.news_url=",
        "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
    ]
    with log.open("w") as out:
        proc = subprocess.Popen(cmd, cwd=root, env=env, stdout=out, stderr=subprocess.STDOUT,
                                start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_for_server(f"{url}/api/status?token={TOKEN}", proc, log)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)


def _wait_for_idle_kernel(base: str, timeout: float = 45.0) -> None:
    """Wait until the server has a kernel that is idle with a client connected."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{base}/api/kernels?token={TOKEN}", timeout=2) as response:
                kernels = json.loads(response.read())
            if any(k.get("execution_state") == "idle" and k.get("connections", 0) > 0 for k in kernels):
                return
        except OSError:
            pass
        time.sleep(0.3)
    raise AssertionError(f"no idle kernel after {timeout} s")


def _run_all_cells(page) -> None:
    """Run → Run All Cells, through the menu bar like a person would."""
    page.locator(".lm-MenuBar-item", has_text=re.compile(r"^Run$")).click()
    page.get_by_role("menuitem", name=re.compile(r"^Run All Cells")).first.click()


def _batch_label(page) -> str:
    """The text of the BatchPreview's batch label ("Batch N of M: ...")."""
    label = page.locator(".jp-OutputArea-output .widget-html-content", has_text=re.compile(r"Batch \d+ of \d+"))
    return label.first.inner_text()


def test_batch_preview_pages_in_jupyterlab(jupyterlab: str) -> None:
    from playwright.sync_api import expect, sync_playwright

    ARTIFACTS.mkdir(exist_ok=True)
    shot = ARTIFACTS / "browser_batch_preview.png"
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.set_default_timeout(30_000)
            page.goto(f"{jupyterlab}/lab/tree/notebooks/02_preview_batches.ipynb?token={TOKEN}")

            # The notebook is open and its kernel is up (idle in the status bar and on the server).
            page.locator(".jp-NotebookPanel .jp-Cell").first.wait_for()
            expect(page.locator("#jp-main-statusbar")).to_contain_text("Idle", timeout=45_000)
            _wait_for_idle_kernel(jupyterlab)

            prompts = page.locator(".jp-CodeCell .jp-InputArea-prompt")
            deadline = time.monotonic() + 60
            texts: list[str] = []
            for _attempt in range(3):
                _run_all_cells(page)
                # Every code cell has run: each prompt shows a number (off-screen cells read via textContent).
                idle_since = None
                while time.monotonic() < deadline:
                    texts = [t.strip() for t in prompts.all_text_contents()]
                    if texts and all(re.fullmatch(r"\[\d+\]:", t) for t in texts):
                        break
                    if texts and all(t == "[ ]:" for t in texts):  # nothing queued: the request was lost
                        idle_since = idle_since or time.monotonic()
                        if time.monotonic() - idle_since > 5:
                            break
                    else:
                        idle_since = None
                    page.wait_for_timeout(250)
                if texts and all(re.fullmatch(r"\[\d+\]:", t) for t in texts):
                    break
            else:
                raise AssertionError(f"cells did not all run: prompts {texts}")
            expect(page.locator("#jp-main-statusbar")).to_contain_text("Idle")

            # The BatchPreview rendered as a live widget (the notebook itself pages once, to batch 2).
            label = page.locator(".widget-html-content", has_text=re.compile(r"Batch \d+ of \d+"))
            expect(label.first).to_be_visible(timeout=20_000)
            before = _batch_label(page)
            match = re.search(r"Batch (\d+) of (\d+)", before)
            assert match, before
            shown, total = int(match.group(1)), int(match.group(2))
            assert total > 2 and shown < total

            widget = page.locator(".widget-vbox", has=label.first).last
            table = widget.locator(".dialkit-table table").last
            table_before = table.inner_text()
            assert "*****" in table_before  # numbers are masked

            widget.locator("button.widget-button", has_text="Next").click()
            expect(label.first).to_contain_text(f"Batch {shown + 1} of {total}", timeout=20_000)
            after = _batch_label(page)
            assert after != before
            expect(table).not_to_have_text(table_before)
            slider_value = widget.locator(".widget-readout").first.inner_text().strip()
            assert slider_value == str(shown + 1)

            label.first.scroll_into_view_if_needed()
            page.mouse.wheel(0, -150)
            page.wait_for_timeout(300)
            page.screenshot(path=str(shot))
        except Exception:
            page.screenshot(path=str(ARTIFACTS / "browser_failure.png"))
            raise
        finally:
            browser.close()
    assert shot.stat().st_size > 10_000
