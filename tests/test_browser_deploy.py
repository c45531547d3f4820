"""A real browser through nginx: two replicas under the sub-path /dlhub (deploy/), as a class would use it.

The page, its scripts and the queue's event stream all go through nginx; with two replicas, a request of the page's
session reaching the other replica would lose its queue (no answer). Screenshot in test-artifacts/.
"""
import os
import shutil

import pytest

from conftest import ROOT

from deploy import check

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
sync_api = pytest.importorskip("playwright.sync_api")
pytestmark = [
    pytest.mark.skipif(not shutil.which("chromium"), reason="Debian's chromium is not installed"),
    pytest.mark.skipif(not (shutil.which("nginx") or os.path.exists("/usr/sbin/nginx")), reason="nginx is not installed"),
]


def test_the_page_works_through_nginx_under_a_sub_path(tmp_path):
    with check.replicas_behind_nginx(2, tmp_path) as (url, access_log, _), sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=[
            "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
            "--disable-component-update", "--disable-sync"])
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.goto(url, wait_until="load")
            page.get_by_role("tab", name="LSTM").click(timeout=60_000)
            page.get_by_label("An English sentence", exact=False).first.fill("A gorgeous, moving and beautifully acted film.")
            page.get_by_role("button", name="Read it").click()
            verdict = page.locator(".block", has_text="LSTM").filter(has=page.locator("h2")).first.locator("h2")
            verdict.wait_for(timeout=60_000)
            assert verdict.inner_text().strip() == "positive"
            (ROOT / "test-artifacts").mkdir(exist_ok=True)
            page.screenshot(path=ROOT / "test-artifacts" / "nginx_lstm.png", full_page=False)
            cookie = next(c["value"] for c in page.context.cookies() if c["name"] == "dlhub_replica")
        finally:
            browser.close()
        # every request of the page's session (scripts, config, queue join, event stream) went to one replica
        replicas = {upstream for key, upstream in check.served_by(access_log) if key == cookie}
        assert len(replicas) == 1, replicas
        # and the page built its URLs under the sub-path: its queue requests came through nginx's /dlhub/
        assert f"{check.ROOT_PATH}/gradio_api/queue/join" in access_log.read_text()
