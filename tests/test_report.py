"""The HTML report, opened in headless Chromium (slow: needs a pipeline run and a browser).

After the default run (``default_run`` from conftest.py: the pipeline in a temporary copy of the
project), ``snakemake --report results/report.html`` builds the report, and Debian's Chromium
checks that it renders without JavaScript errors, lists the figure categories, and shows the
Kaplan-Meier figure with the caption this run generated.

Linking to one result: Snakemake's report is a single-page React app with no URL routing (its
only navigation is ``app.showResultInfo(path)`` / ``app.setView(...)`` called from links, see
snakemake/report/html_reporter/template/components/app.js). The test therefore opens a copy of the
report with a small script added before ``</body>`` (``DEEP_LINK_SCRIPT``) that reads the URL
fragment, so that ``report.html#results/figures/km_os.png`` opens that result's page, and
screenshots it.

Chromium: /usr/bin/chromium (or $CHROMIUM), installed by .ci/install_chromium.sh. Without it the
tests are skipped, except under CI (CI=true), where they fail.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from PIL import Image

from conftest import run_snakemake
from ino_study.figures.captions import GENERATED_CAPTIONS

pytestmark = pytest.mark.slow

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync",
                  "--window-size=1400,2000", "--virtual-time-budget=15000", "--enable-logging=stderr", "--v=0")
KM_RESULT = "results/figures/km_os.png"

#: Opens the result named by the URL fragment (report.html#<result path>): the report's own
#: navigation (app.setView) with the result's info panel and its image in the main view.
DEEP_LINK_SCRIPT = """<script id="deep-link">
(function () {
  var tries = 0;
  function openResult() {
    var key = decodeURIComponent(window.location.hash.slice(1));
    if (!key) return;
    if (typeof app === "undefined" || !app) { if (tries++ < 400) setTimeout(openResult, 25); return; }
    if (!(key in results)) { document.title = "deep link: no result " + key; return; }
    var result = results[key];
    var view = {navbarMode: "resultinfo", resultPath: key};
    if (String(result.mime_type).indexOf("image/") === 0) {
      view.content = "img";
      view.contentPath = result.data_uri;
    }
    app.setView(view);
    document.title = "deep link: " + key;
  }
  window.addEventListener("hashchange", openResult);
  openResult();
})();
</script>
"""


def chromium_or_skip() -> str:
    """The Chromium binary; skip without it, but fail under CI (CI=true), which must install it."""
    if Path(CHROMIUM).is_file() and os.access(CHROMIUM, os.X_OK):
        return CHROMIUM
    message = (f"headless Chromium not found at {CHROMIUM}: install it with .ci/install_chromium.sh "
               "(apt-get install chromium) or set CHROMIUM")
    if os.environ.get("CI", "").strip().lower() in ("true", "1", "yes"):
        pytest.fail(f"CI is set and {message}")
    pytest.skip(message)


def chromium(binary: str, profile: Path, *args: str) -> subprocess.CompletedProcess:
    profile.mkdir(parents=True, exist_ok=True)
    command = [binary, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", *args]
    result = subprocess.run(command, capture_output=True, text=True, timeout=180)
    assert result.returncode == 0, f"chromium failed ({result.returncode}):\n{result.stderr[-3000:]}"
    return result


def console_errors(stderr: str) -> list[str]:
    """JavaScript errors Chromium logged from the page (uncaught exceptions, console.error)."""
    lines = [line for line in stderr.splitlines() if ":CONSOLE" in line]
    return [line for line in lines if re.search(r"Uncaught|Error|ERROR:CONSOLE", line)
            and "tailwindcss.com should not be used in production" not in line]


@pytest.fixture(scope="session")
def browser() -> str:
    """Session-scoped so that it is set up (and skips) before the session-scoped pipeline run."""
    return chromium_or_skip()


@pytest.fixture(scope="module")
def report(default_run) -> Path:
    run_snakemake(default_run, "--report", "results/report.html")
    path = default_run / "results" / "report.html"
    assert path.stat().st_size > 100_000
    return path


@pytest.fixture(scope="module")
def linked_report(report, tmp_path_factory) -> Path:
    """A copy of the report with DEEP_LINK_SCRIPT, in the test's tmp dir."""
    html = report.read_text(encoding="utf-8")
    end = html.rfind("</body>")
    assert end > 0, "no </body> in the report"
    path = tmp_path_factory.mktemp("report") / "report_linked.html"
    path.write_text(html[:end] + DEEP_LINK_SCRIPT + html[end:], encoding="utf-8")
    return path


def test_report_renders_without_javascript_errors(browser, report, tmp_path):
    result = chromium(browser, tmp_path / "profile", "--dump-dom", report.as_uri())
    dom = result.stdout
    assert not console_errors(result.stderr), console_errors(result.stderr)
    assert '<p id="jswarning" style="display: none;">' in dom  # the JavaScript ran
    # the React app rendered its menu: the workflow title and every figure category
    assert "Snakemake" in dom and "Inotuzumab ozogamicin" in dom
    for category in ("Survival", "Response", "Transplant (HSCT)", "Safety", "Tables"):
        assert f">{category}<" in dom, category
    for name in ("km_os", "landmark_os", "cumulative_incidence_rel", "cumulative_incidence_vod"):
        assert f"results/figures/{name}.png" in dom, name


def test_report_captions_are_this_runs_generated_captions(report, default_run):
    html = report.read_text(encoding="utf-8")
    for name in GENERATED_CAPTIONS:
        text = (default_run / "results" / "figures" / "captions" / f"{name}.rst").read_text(encoding="utf-8")
        sentence = text.split(";")[0].strip()
        assert sentence and sentence in html, name
    caption = (default_run / "results" / "figures" / "captions" / "km_os.rst").read_text()
    assert "at 12 months 40.3% (95% CI 14.8-65.7, plain Greenwood), 5 still at risk" in caption


def test_kaplan_meier_page_screenshot(browser, linked_report, default_run, tmp_path):
    url = f"{linked_report.as_uri()}#{KM_RESULT}"
    result = chromium(browser, tmp_path / "profile_dom", "--dump-dom", url)
    dom = result.stdout
    assert not console_errors(result.stderr), console_errors(result.stderr)
    assert f"<title>deep link: {KM_RESULT}</title>" in dom
    assert re.search(r'<img[^>]+src="data:image/png;[^"]*filename=km_os\.png;base64,', dom), "KM image not shown"
    assert "still at risk" in dom  # the generated caption, in the result's info panel
    screenshot = tmp_path / "km_os_page.png"
    chromium(browser, tmp_path / "profile_shot", f"--screenshot={screenshot}", url)
    assert screenshot.stat().st_size > 30_000
    image = Image.open(screenshot)
    assert image.format == "PNG" and image.size == (1400, 2000)
    colours = image.convert("RGB").resize((350, 500)).getcolors(maxcolors=1_000_000)
    assert len(colours) > 50, "screenshot is (nearly) blank"
    keep = os.environ.get("REPORT_SCREENSHOT_DIR")
    if keep:  # keep the picture for a human look (e.g. in CI artifacts)
        shutil.copy2(screenshot, Path(keep) / screenshot.name)
