"""API fixtures: named actors with API keys, clients that send them, rendering switched off.

alice and bob are creators, charlie an outsider with no jobs, ada an admin.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.contrib.auth.models import User
from django.core.cache import cache
from rest_framework.test import APIClient

from accounts.models import Profile
from accounts.services import api_key_create, ensure_profile
from conftest import tiny_plan_data
from renders.models import RenderJob
from renders.services import job_create


@pytest.fixture(autouse=True)
def _fast_api_tests(settings) -> Iterator[None]:
    settings.WEBHOOK_ALLOW_PRIVATE = False
    # Throttle history lives in the cache; user and key ids repeat between tests.
    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def enqueued(committed_renders) -> list[str]:
    return committed_renders


def client_with_key(raw_key: str, *, bearer: bool = False) -> APIClient:
    client = APIClient()
    if bearer:
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw_key}")
    else:
        client.credentials(HTTP_X_API_KEY=raw_key)
    return client


@pytest.fixture
def ada(db) -> User:
    user = User.objects.create_user("ada", "ada@example.com", "ada-pass-123")
    profile = ensure_profile(user)
    profile.role = Profile.Role.ADMIN
    profile.save(update_fields=["role"])
    return user


@pytest.fixture
def alice_key(alice) -> str:
    return api_key_create(user=alice, name="alice's integration")[1]


@pytest.fixture
def alice_api(alice_key) -> APIClient:
    return client_with_key(alice_key)


@pytest.fixture
def bob_api(bob) -> APIClient:
    return client_with_key(api_key_create(user=bob, name="bob's integration")[1])


@pytest.fixture
def charlie_api(charlie) -> APIClient:
    return client_with_key(api_key_create(user=charlie, name="charlie's integration")[1])


@pytest.fixture
def ada_api(ada) -> APIClient:
    return client_with_key(api_key_create(user=ada, name="ada's integration")[1])


def make_job(owner: User, **plan_overrides: object) -> RenderJob:
    return job_create(owner=owner, plan_data=tiny_plan_data(**plan_overrides))


@pytest.fixture
def alice_job(alice) -> RenderJob:
    return make_job(alice)


@pytest.fixture
def bob_job(bob) -> RenderJob:
    return make_job(bob, title="Dhruva", language="hi")
