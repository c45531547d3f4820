"""The replica recipe (deploy/): nginx config, sticky sessions, sub-path, and the check's failure messages."""
import json
import os
import shutil
import subprocess
import sys

import pytest

from conftest import ROOT

from deploy import check

HAS_NGINX = shutil.which("nginx") is not None or os.path.exists("/usr/sbin/nginx")
needs_nginx = pytest.mark.skipif(not HAS_NGINX, reason="nginx is not installed (apt-get install -y nginx)")


def test_site_config_has_what_gradio_needs_behind_a_proxy():
    site = check.render_site(["127.0.0.1:7861", "127.0.0.1:7862"], "8080", "/dlhub")
    for directive in ("proxy_buffering off;", "proxy_http_version 1.1;", "proxy_set_header Upgrade $http_upgrade;",
                      "proxy_set_header X-Forwarded-Proto $scheme;", "proxy_set_header X-Forwarded-Host $http_host;",
                      "proxy_redirect off;", "hash $dlhub_affinity consistent;", "listen 8080;",
                      "server 127.0.0.1:7861 ", "server 127.0.0.1:7862 ", "location /dlhub/ {",
                      "proxy_pass http://dlhub_replicas/;"):
        assert directive in site, directive
    assert "@" not in site.replace("$", "")  # every placeholder filled
    at_root = check.render_site(["127.0.0.1:7861"], "80", "")
    assert "location / {" in at_root and "location = " not in at_root
    with pytest.raises(check.CheckFailed):
        check.render_site(["127.0.0.1:7861"], "80", "/dl hub; evil")


def test_root_path_comes_from_the_environment(monkeypatch):
    import app

    monkeypatch.delenv("DLHUB_ROOT_PATH", raising=False)
    monkeypatch.delenv("GRADIO_ROOT_PATH", raising=False)
    assert app.root_path() == ""  # one machine: served at /
    monkeypatch.setenv("GRADIO_ROOT_PATH", "/course/")
    assert app.root_path() == "/course"
    monkeypatch.setenv("DLHUB_ROOT_PATH", "dlhub")
    assert app.root_path() == "/dlhub"


@needs_nginx
def test_nginx_accepts_the_config_and_refuses_a_broken_one(tmp_path):
    site = check.render_site(["127.0.0.1:9"], f"127.0.0.1:{check.free_port()}")
    proc = check.start_nginx(site, tmp_path)  # runs `nginx -t` first
    check.stop([proc])
    broken = site.replace("proxy_buffering off;", "proxy_buffering sometimes;")
    (tmp_path / "broken").mkdir()
    with pytest.raises(check.CheckFailed, match=r"(?s)nginx refused the config.*\"sometimes\" in \"proxy_buffering\""):
        check.start_nginx(broken, tmp_path / "broken")


@needs_nginx
def test_replicas_down_is_a_clear_failure_not_a_hang(tmp_path):
    listen = check.free_port()
    dead = [f"127.0.0.1:{check.free_port()}", f"127.0.0.1:{check.free_port()}"]  # nothing listens there
    nginx = check.start_nginx(check.render_site(dead, f"127.0.0.1:{listen}"), tmp_path)
    try:
        url = f"http://127.0.0.1:{listen}{check.ROOT_PATH}/"
        with pytest.raises(check.CheckFailed, match="did not answer.*HTTP 502"):
            check.wait_until_up(url, "nginx", 3)
        with pytest.raises(check.CheckFailed, match="HTTP 502"):
            check.check_page(url)
    finally:
        check.stop([nginx])


@needs_nginx
def test_two_replicas_behind_nginx_stream_stick_and_take_load():
    """The whole recipe: python -m deploy.check (2 replicas, short load run)."""
    out = subprocess.run([sys.executable, "-m", "deploy.check", "--replicas", "2", "--load-clients", "2",
                          "--load-seconds", "5"], cwd=ROOT, capture_output=True, text=True, timeout=1200)
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-3000:]
    report = json.loads(out.stdout.strip().splitlines()[-1])
    assert report["gpt_stream"]["updates"] >= 3 and report["diffusion_stream"]["updates"] >= 3
    assert set(report["word2vec_session"]["your_text_neighbours_of_king"]) <= set(check.STORY.split())
    assert len(report["balancing"]["fresh_sessions_per_replica"]) == 2
    assert report["load"]["errors"] == 0 and report["load"]["served"] >= 1
