"""The draw-a-digit pad as a live widget in JupyterLab.

Starts JupyterLab on 127.0.0.1 with no token, opens book/playground.ipynb in
Chromium, runs all cells, draws a 7 in the widget and reads the prediction.
About a minute; deselect with ``-m "not jupyterlab"``.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from test_widget_browser import CHROMIUM, CHROMIUM_ARGS, DIGIT_STROKES, distances, draw

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOK = "book/playground.ipynb"

pytestmark = pytest.mark.jupyterlab


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def lab_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    pytest.importorskip("jupyterlab", reason="JupyterLab is not installed (see requirements.txt)")
    home = tmp_path_factory.mktemp("lab")
    # Lab serves a copy: running the cells must never save outputs into the repository's notebook.
    (home / "book").mkdir()
    shutil.copy(ROOT / NOTEBOOK, home / NOTEBOOK)
    # No news pop-up: it asks the network, and the test is offline.
    notification = home / "settings" / "@jupyterlab" / "apputils-extension" / "notification.jupyterlab-settings"
    notification.parent.mkdir(parents=True)
    notification.write_text(json.dumps({"fetchNews": "false"}))
    port = _free_port()
    # A private config, runtime and settings folder: nothing of the user's Jupyter is read or written.
    env = {**os.environ, "JUPYTER_CONFIG_DIR": str(home / "config"), "JUPYTER_RUNTIME_DIR": str(home / "runtime"),
           "JUPYTERLAB_SETTINGS_DIR": str(home / "settings"), "JUPYTERLAB_WORKSPACES_DIR": str(home / "workspaces"),
           "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
    command = [sys.executable, "-m", "jupyterlab", "--no-browser", f"--ServerApp.port={port}",
               "--ServerApp.ip=127.0.0.1", "--IdentityProvider.token=", "--ServerApp.password=",
               f"--ServerApp.root_dir={home}", "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
               "--LabApp.extension_manager=readonly", "--allow-root"]
    log = (home / "lab.log").open("w")
    server = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}/"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(url + "api/status", timeout=2)
                break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"JupyterLab did not start; see {home / 'lab.log'}")
                time.sleep(0.5)
        yield url
    finally:
        server.terminate()
        server.wait(timeout=30)
        log.close()


def test_pad_runs_in_jupyterlab(lab_url: str) -> None:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.goto(f"{lab_url}lab/tree/{NOTEBOOK}")
        page.locator(".jp-Notebook").wait_for(timeout=60_000)
        # Run All before the kernel is up would open the "Select Kernel" dialog instead.
        page.get_by_text("Python 3 (ipykernel) | Idle").wait_for(timeout=60_000)
        page.locator(".lm-MenuBar-itemLabel", has_text="Run").first.click()
        page.locator("li.lm-Menu-item[data-command='runmenu:run-all']").click()
        pad = page.locator('[data-testid="digit-pad"]')
        # Attached, not visible: Lab lays out only the cells in view, and Run All scrolls away.
        pad.wait_for(state="attached", timeout=90_000)
        # Lab shows the live widget, not the static HTML beside it.
        assert pad.count() == 1
        assert page.locator(".jp-RenderedHTMLCommon [data-testid='digit-pad']").count() == 0
        pad.scroll_into_view_if_needed()
        draw(page, pad, DIGIT_STROKES[7])
        prediction = page.locator('[data-testid="prediction"]').inner_text()
        values = distances(page)
        # The last cell prints the shift table: every cell ran without an error.
        page.get_by_text("shift (pixels)").wait_for(timeout=90_000)
        assert page.locator(".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']").count() == 0
        browser.close()
    assert prediction == "7"
    assert all(v != "" for v in values)
