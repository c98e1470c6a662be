"""Production settings and access: headers on every response, no inline script, a clean deploy check, staff
logins locked out after repeated failures."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from tests.factories import CaseFactory, FilingFactory

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def case():
    case = CaseFactory()
    FilingFactory(case=case)
    return case


def addresses(case):
    filing = case.filings.first()
    return [
        "/",
        reverse("cases:case_list"),
        case.get_absolute_url(),
        filing.get_absolute_url(),
        reverse("cases:search") + "?q=order",
        reverse("cases:case_feed_atom", args=[case.slug]),
        "/api/cases/",
        "/api/docs/",
        "/admin/login/",
        "/no-such-page/",
    ]


def test_every_response_carries_the_security_headers(client, case):
    for address in addresses(case):
        for _ in range(2):  # rendered, then from the page cache
            response = client.get(address)
            assert response.status_code in (200, 404), address
            policy = response["Content-Security-Policy"]
            scripts = policy.split("script-src")[1].split(";")[0]
            assert scripts.strip() == "'self'"
            assert "frame-ancestors 'none'" in policy and "object-src 'none'" in policy
            assert response["Referrer-Policy"] == "strict-origin-when-cross-origin"
            assert response["X-Content-Type-Options"] == "nosniff"
            assert response["X-Frame-Options"] == "DENY"


def test_no_page_has_inline_script_or_event_handlers(client, case, admin_client):
    pages = [client.get(address) for address in addresses(case)]
    pages += [admin_client.get(reverse("admin:cases_case_change", args=[case.pk]))]
    for response in pages:
        html = response.content.decode()
        for tag in re.findall(r"<script\b[^>]*>", html):
            # A script runs only from a file of ours; a JSON data island is not run.
            assert "src=" in tag or 'type="application/json"' in tag, (response.request["PATH_INFO"], tag)
        assert not re.search(r"\son[a-z]+\s*=", html, re.IGNORECASE), response.request["PATH_INFO"]


def test_the_deploy_check_is_clean_in_production_mode(tmp_path):
    env = {
        "PATH": os.environ["PATH"],
        "TRACKER_VAR_DIR": str(tmp_path),
        "DEBUG": "0",
        "SECRET_KEY": "k7#Qz!v9Lr2@pX8w$Tn4^bH6yJ0&mC3sF5dG1aE9uR7iO2pW4eQ6tY8",
        "ALLOWED_HOSTS": "tracker.example.org",
        "SECURE_SSL_REDIRECT": "1",
        "SECURE_HSTS_SECONDS": "31536000",
        "SECURE_HSTS_INCLUDE_SUBDOMAINS": "1",
        "SECURE_HSTS_PRELOAD": "1",
    }
    result = subprocess.run(  # noqa: S603
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


@pytest.fixture
def editor(db):
    return get_user_model().objects.create_user("editor", password="right-password-1", is_staff=True)


def login(client, username, password, ip="192.0.2.10"):
    return client.post(
        reverse("admin:login"), {"username": username, "password": password}, REMOTE_ADDR=ip, follow=False
    )


def test_staff_logins_are_locked_out_after_repeated_failures(client, editor, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert login(client, "editor", "wrong").status_code == 200  # the form again, with its error
    assert login(client, "editor", "wrong").status_code == 429  # the last failure allowed locks the account
    locked = login(client, "editor", "right-password-1")
    assert locked.status_code == 429
    assert "Too many failed logins" in locked.content.decode()
    assert "_auth_user_id" not in client.session
    # Another address is not locked out of the same account, nor is this address out of another.
    assert login(client, "editor", "right-password-1", ip="198.51.100.7").status_code == 302


def test_a_success_before_the_limit_resets_the_count(client, editor, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        login(client, "editor", "wrong")
    assert login(client, "editor", "right-password-1").status_code == 302
    client.logout()
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        login(client, "editor", "wrong")
    assert login(client, "editor", "right-password-1").status_code == 302


def test_the_admin_is_for_staff_only(client):
    get_user_model().objects.create_user("reader", password="right-password-1", is_staff=False)
    response = login(client, "reader", "right-password-1")
    assert response.status_code == 200  # the form again: not staff
    assert client.get(reverse("admin:index")).status_code == 302


def test_searches_that_run_are_limited_per_address_and_cached_ones_are_free(client, case, settings):
    settings.SEARCHES_PER_MINUTE = 3
    for word in ("alpha", "bravo", "charlie"):
        assert client.get("/search/", {"q": word}, REMOTE_ADDR="192.0.2.1").status_code == 200
    limited = client.get("/search/", {"q": "delta"}, REMOTE_ADDR="192.0.2.1")
    assert limited.status_code == 429
    assert limited["Retry-After"] == "60"
    assert "Too many searches" in limited.content.decode()
    # A search someone already ran comes from the page cache, whatever the count; other addresses are not limited.
    assert client.get("/search/", {"q": "alpha"}, REMOTE_ADDR="192.0.2.1").status_code == 200
    assert client.get("/search/", {"q": "delta"}, REMOTE_ADDR="198.51.100.2").status_code == 200


def test_limits_let_requests_through_when_the_cache_is_down(client, case):
    from unittest import mock

    from django.core.cache import cache

    with mock.patch.object(cache, "add", side_effect=ConnectionError("down")):
        assert client.get("/search/", {"q": "order"}).status_code == 200
