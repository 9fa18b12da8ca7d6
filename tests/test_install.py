"""The package as a site installs it: built into an sdist and a wheel, installed alone into an
empty virtualenv, wired into a new Django project with the README's lines, and run by a Celery
worker on a real Redis."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tarfile
import textwrap
import zipfile
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from tests.readme import python_snippets
from tests.services import ROOT, CeleryWorker, wait_until

PACKAGE = ROOT / "fluent_webhooks"
# The README blocks that make up a site's files: their first line names the file.
SITE_FILE = re.compile(r"# (mysite/\S+\.py)\n")
# Variables of this test run that a site's own processes must not see.
NOT_INHERITED = {"DJANGO_SETTINGS_MODULE", "DATABASE_URL", "PYTHONPATH", "VIRTUAL_ENV"}


def run(command: list[str], **kwargs) -> str:
    completed = subprocess.run(command, capture_output=True, text=True, check=False, **kwargs)
    assert completed.returncode == 0, f"{command}:\n{completed.stdout}\n{completed.stderr}"
    return completed.stdout


@pytest.fixture(scope="session")
def distributions(tmp_path_factory) -> dict[str, Path]:
    """``python -m build``, as the README says: the sdist, and the wheel built from it."""
    outdir = tmp_path_factory.mktemp("dist")
    run([sys.executable, "-m", "build", "--outdir", str(outdir), str(ROOT)], timeout=600)
    return {"sdist": next(outdir.glob("*.tar.gz")), "wheel": next(outdir.glob("*.whl"))}


def package_files() -> set[str]:
    """Every file of the package in the source tree: modules, templates, static files, ..."""
    return {
        path.relative_to(ROOT).as_posix()
        for path in PACKAGE.rglob("*")
        if path.is_file() and "__pycache__" not in path.parts
    }


def test_the_wheel_holds_every_file_of_the_package_and_nothing_else(distributions):
    with zipfile.ZipFile(distributions["wheel"]) as wheel:
        names = set(wheel.namelist())
    files = package_files()
    assert any(name.startswith("fluent_webhooks/templates/") for name in files)
    assert files <= names
    assert {name.split("/")[0] for name in names} == {
        "fluent_webhooks",
        distributions["wheel"].name.split("-py3")[0] + ".dist-info",
    }


def test_the_sdist_holds_every_file_of_the_package(distributions):
    with tarfile.open(distributions["sdist"]) as sdist:
        names = {name.split("/", 1)[1] for name in sdist.getnames() if "/" in name}
    assert package_files() | {"pyproject.toml", "README.md"} <= names


@pytest.fixture(scope="session")
def clean_venv(distributions, tmp_path_factory) -> Path:
    """A virtualenv with nothing but the wheel and what it depends on, as pip resolves it."""
    venv = tmp_path_factory.mktemp("clean") / "venv"
    run([sys.executable, "-m", "venv", str(venv)])
    run([str(venv / "bin" / "pip"), "install", "-q", str(distributions["wheel"])], timeout=900)
    return venv


def site_environment(venv: Path, project: Path, broker_url: str) -> dict[str, str]:
    env = {name: value for name, value in os.environ.items() if name not in NOT_INHERITED}
    env = {name: value for name, value in env.items() if not name.startswith("FLUENT_WEBHOOKS")}
    return {
        **env,
        "PATH": f"{venv / 'bin'}{os.pathsep}{env['PATH']}",
        "PYTHONPATH": str(project),
        # Celery prefers this variable to the README's CELERY_BROKER_URL setting.
        "CELERY_BROKER_URL": broker_url,
        # The key the README has a site make once and give to every process.
        "FLUENT_WEBHOOKS_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
    }


def make_site(venv: Path, parent: Path, env: dict[str, str]) -> None:
    """``django-admin startproject mysite``, then the README's ``mysite/...`` blocks: added
    to the files startproject wrote, or written as new ones."""
    parent.mkdir()
    run([str(venv / "bin" / "django-admin"), "startproject", "mysite", str(parent)], env=env)
    blocks = [SITE_FILE.match(block.code) for block in python_snippets() if block.not_run]
    written = set()
    for match in filter(None, blocks):
        path = parent / match.group(1)
        existing = path.read_text() if path.exists() and path.stat().st_size else ""
        path.write_text(existing + "\n" + match.string)
        written.add(match.group(1))
    assert written == {f"mysite/{name}.py" for name in ("settings", "urls", "celery", "__init__")}


# Run in the site's own Python: emit one event, then wait until the worker has taken it.
EMIT_AND_WAIT = textwrap.dedent(
    """
    import time
    import django

    django.setup()
    from django.db import transaction
    from fluent_webhooks import send_event
    from fluent_webhooks.models import Event

    with transaction.atomic():
        event = send_event("feed.created", {"id": 1, "title": "Hello"})
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if Event.objects.filter(pk=event.pk, fanned_out_at__isnull=False).exists():
            print("fanned out")
            break
        time.sleep(0.2)
    """
)


@pytest.fixture
def site(clean_venv, broker, tmp_path) -> tuple[Path, dict[str, str]]:
    project = tmp_path / "site"
    # A database of the tests' Redis that no other test reads.
    env = site_environment(clean_venv, project, broker.url.rsplit("/", 1)[0] + "/3")
    make_site(clean_venv, project, env)
    env["DJANGO_SETTINGS_MODULE"] = "mysite.settings"
    return project, env


@pytest.mark.services
def test_a_site_installed_from_the_wheel_alone_runs_a_worker_on_redis(clean_venv, site):
    project, env = site
    python = str(clean_venv / "bin" / "python")
    installed = run([python, "-m", "pip", "list", "--format=freeze"], env=env).lower()
    assert "fluent-webhooks==" in installed
    assert "pytest" not in installed  # nothing of the development tools
    run([python, "manage.py", "check"], cwd=project, env=env)
    run([python, "manage.py", "migrate", "-v", "0"], cwd=project, env=env)

    celery = [str(clean_venv / "bin" / "celery"), "-A", "mysite"]
    worker = CeleryWorker(env, project / "worker.log", concurrency=1, celery=celery, cwd=project)
    worker.start()
    try:
        output = run([python, "-c", EMIT_AND_WAIT], cwd=project, env=env, timeout=120)
        wait_until(lambda: "fluent_webhooks.fan_out" in worker.log(), 10, "the task in the log")
    finally:
        worker.stop()
    assert output.strip() == "fanned out", worker.log()
    assert "packaging" not in worker.log()
