"""The notebooks work in a real browser: JupyterLab + Chromium (Playwright), end to end.

JupyterLab runs on loopback with a known token over a temporary copy of the
notebooks and sample data.  For **every** ``notebooks/*.ipynb`` Debian's
Chromium opens the notebook, runs all cells (Run menu → Run All Cells),
operates each widget once (clicks every enabled button, picks another option
of every dropdown and back) and fails on what an analyst would see go wrong:
"Error displaying widget", a traceback in an output, a dropdown showing a blank
box, a dialkit table wider than the output, or a table column the notebook's
text names (in backticks) pushed past the output's right edge.  A second test pages the BatchPreview of
``02_preview_batches.ipynb`` with its *Next* button.  Screenshots are saved in
``test-artifacts/`` at the repo root (``browser_NN_name.png`` per notebook).

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

NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))  # a notebook added later is walked too


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
    shutil.copytree(ROOT / "data", root / "data", ignore=shutil.ignore_patterns("*.sqlite*", "*.lock"))
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
    # Every cell stays in the page (no windowing), so outputs far down can be read and measured.
    tracker = home / "settings" / "@jupyterlab" / "notebook-extension" / "tracker.jupyterlab-settings"
    tracker.parent.mkdir(parents=True)
    tracker.write_text('{"windowingMode": "none"}')
    log = base / "jupyterlab.log"
    cmd = [
        sys.executable,
        "-m",
        "jupyterlab",
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
        proc = subprocess.Popen(cmd, cwd=root, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
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


def _shut_down_kernels(base: str) -> None:
    """Shut every kernel of the server down (each notebook gets its own, started fresh)."""
    with urllib.request.urlopen(f"{base}/api/kernels?token={TOKEN}", timeout=5) as response:
        kernels = json.loads(response.read())
    for kernel in kernels:
        request = urllib.request.Request(f"{base}/api/kernels/{kernel['id']}?token={TOKEN}", method="DELETE")
        with urllib.request.urlopen(request, timeout=10):
            pass


def _open_and_run_all(page, base: str, name: str, timeout: float = 90.0) -> None:
    """Open ``notebooks/<name>`` in a workspace of its own, run all cells, wait until every code cell has run."""
    from playwright.sync_api import expect

    workspace = re.sub(r"[^a-z0-9]", "", name.lower())
    page.goto(f"{base}/lab/workspaces/{workspace}/tree/notebooks/{name}?reset&token={TOKEN}")
    # The notebook is open and its kernel is up (idle in the status bar and on the server).
    page.locator(".jp-NotebookPanel .jp-Cell").first.wait_for()
    expect(page.locator("#jp-main-statusbar")).to_contain_text("Idle", timeout=45_000)
    _wait_for_idle_kernel(base)

    prompts = page.locator(".jp-NotebookPanel:not(.lm-mod-hidden) .jp-CodeCell .jp-InputArea-prompt")
    deadline = time.monotonic() + timeout
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
        raise AssertionError(f"{name}: cells did not all run: prompts {texts}")
    expect(page.locator("#jp-main-statusbar")).to_contain_text("Idle")


def _batch_label(page) -> str:
    """The text of the BatchPreview's batch label ("Batch N of M: ...")."""
    label = page.locator(".jp-OutputArea-output .widget-html-content", has_text=re.compile(r"Batch \d+ of \d+"))
    return label.first.inner_text()


def _check_batch_preview_pages(page) -> None:
    """02_preview_batches: the BatchPreview's *Next* button shows the next batch (label, table and slider)."""
    from playwright.sync_api import expect

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
    shot = ARTIFACTS / "browser_batch_preview.png"
    page.screenshot(path=str(shot))
    assert shot.stat().st_size > 10_000


#: Checks of one notebook's own widget behaviour, run after its cells and before the generic widget walk.
_NOTEBOOK_CHECKS = {"02_preview_batches": _check_batch_preview_pages}


def _names_in_text(notebook: Path) -> set[str]:
    """Identifiers the notebook's text names in backticks (`call_errors`, `detail`...): columns it talks about."""
    cells = json.loads(notebook.read_text())["cells"]
    text = "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "markdown")
    return set(re.findall(r"`([A-Za-z_][A-Za-z0-9_]*)`", text))


#: In the page: what an analyst would see go wrong in the outputs of a notebook (a list of sentences).
_PROBLEMS_JS = """
(names) => {
  const problems = [];
  const outputs = [...document.querySelectorAll('.jp-NotebookPanel:not(.lm-mod-hidden) .jp-OutputArea-output')];
  for (const out of outputs) {
    const text = out.textContent;
    if (text.includes('Error displaying widget')) problems.push('"Error displaying widget": ' + text.slice(0, 200));
    if (/Traceback \\(most recent call last\\)/.test(text)) problems.push('a traceback: ' + text.slice(0, 400));
    for (const select of out.querySelectorAll('select')) {
      const option = select.selectedIndex >= 0 ? select.options[select.selectedIndex] : null;
      if (!option || !option.textContent.trim()) {
        problems.push('a blank dropdown (' + select.options.length + ' options)');
      }
    }
    const edge = out.getBoundingClientRect().right;
    for (const table of out.querySelectorAll('.dialkit-table table')) {  // dialkit's widget tables fit, always
      const right = table.getBoundingClientRect().right;
      if (right > edge + 1) {
        problems.push(`a dialkit table is wider than the output: ${Math.round(right)} px > ${Math.round(edge)} px`);
      }
    }
    for (const th of out.querySelectorAll('table th')) {
      const name = th.textContent.trim();
      const right = th.getBoundingClientRect().right;
      if (names.includes(name) && right > edge + 1) {
        problems.push(`column "${name}" is off-screen: its right edge at ${Math.round(right)} px, ` +
                      `the output ends at ${Math.round(edge)} px`);
      }
    }
  }
  return problems;
}
"""


def _wait_for_widget_sends(page, timeout_ms: int = 30_000) -> None:
    """Wait until no SendPanel is sending (its Stop button is enabled only while a send runs)."""
    page.wait_for_function(
        """() => ![...document.querySelectorAll('.jp-OutputArea-output button')]
                 .some(b => b.textContent.trim() === 'Stop' && !b.disabled)""",
        timeout=timeout_ms,
    )


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_runs_and_its_widgets_work_in_jupyterlab(jupyterlab: str, notebook: Path) -> None:
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(exist_ok=True)
    names = sorted(_names_in_text(notebook))
    _shut_down_kernels(jupyterlab)  # the previous notebook's kernel: one at a time on a small machine
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.set_default_timeout(30_000)
        try:
            _open_and_run_all(page, jupyterlab, notebook.name)
            page.wait_for_timeout(500)  # the last widget views render
            problems = page.evaluate(_PROBLEMS_JS, names)
            assert not problems, f"{notebook.name} after Run All:\n" + "\n".join(problems)
            if notebook.stem in _NOTEBOOK_CHECKS:
                _NOTEBOOK_CHECKS[notebook.stem](page)

            # Operate each widget once: every dropdown to another option and back, every enabled button.
            area = page.locator(".jp-NotebookPanel:not(.lm-mod-hidden) .jp-OutputArea-output")
            selects = area.locator(".widget-dropdown select")
            for i in range(selects.count()):
                select = selects.nth(i)
                options = select.locator("option")
                if options.count() > 1:
                    first = options.nth(0).get_attribute("value") or options.nth(0).inner_text()
                    select.select_option(index=options.count() - 1)
                    page.wait_for_timeout(300)
                    select.select_option(index=0)  # back to the first option ("all reasons")
                    page.wait_for_timeout(300)
                    assert select.evaluate("s => s.selectedIndex") == 0, first
            buttons = area.locator("button.jupyter-button").element_handles()  # fixed now: clicks disable some
            labels = []
            for button in buttons:
                if button.is_enabled():  # an earlier click may have disabled it (Start disables itself)
                    labels.append(button.inner_text().strip())
                    button.scroll_into_view_if_needed()
                    button.click()
                    page.wait_for_timeout(300)
            _wait_for_widget_sends(page)
            page.wait_for_timeout(500)
            problems = page.evaluate(_PROBLEMS_JS, names)
            assert not problems, f"{notebook.name} after clicking {labels}:\n" + "\n".join(problems)
            page.screenshot(path=str(ARTIFACTS / f"browser_{notebook.stem}.png"))
        except Exception:
            page.screenshot(path=str(ARTIFACTS / f"browser_failure_{notebook.stem}.png"))
            raise
        finally:
            browser.close()
