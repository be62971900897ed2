"""Parallel test workers get databases of their own, derived from the variables `.ci/run` sets."""

from __future__ import annotations

import os

import pytest
import worker_env
from worker_env import isolate_worker, worker_database_url, worker_index, worker_redis_url


def test_each_worker_gets_its_own_postgresql_database() -> None:
    ci = "postgresql://postgres@127.0.0.1:5432/test"
    assert worker_database_url(ci, 0) == "postgresql://postgres@127.0.0.1:5432/test_gw0"
    assert worker_database_url(ci, 1) == "postgresql://postgres@127.0.0.1:5432/test_gw1"
    assert worker_database_url("postgresql+psycopg://u:secret@db/app?sslmode=disable", 3) == (
        "postgresql+psycopg://u:secret@db/app_gw3?sslmode=disable")


def test_each_worker_gets_its_own_redis_database() -> None:
    assert [worker_redis_url("redis://127.0.0.1:6379/15", i) for i in range(3)] == [
        "redis://127.0.0.1:6379/15", "redis://127.0.0.1:6379/14", "redis://127.0.0.1:6379/13"]
    assert [worker_redis_url("redis://127.0.0.1:6379/5", i) for i in range(3)] == [
        "redis://127.0.0.1:6379/5", "redis://127.0.0.1:6379/6", "redis://127.0.0.1:6379/7"]
    assert worker_redis_url("redis://:pw@cache:6380", 1) == "redis://:pw@cache:6380/1"
    with pytest.raises(ValueError, match="no Redis database left"):
        worker_redis_url("redis://127.0.0.1:6379/15", 16)


def test_worker_index_comes_from_xdist(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PYTEST_XDIST_WORKER", "gw12")
    assert worker_index() == 12
    monkeypatch.delenv("PYTEST_XDIST_WORKER")
    assert worker_index() is None


def test_isolation_rewrites_the_variables_only_under_xdist(monkeypatch: pytest.MonkeyPatch) -> None:
    created: list[str] = []
    monkeypatch.setattr(worker_env, "ensure_database", created.append)  # no server needed here
    monkeypatch.setenv("MALLETTE_TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test")
    monkeypatch.setenv("MALLETTE_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
    monkeypatch.delenv("PYTEST_XDIST_WORKER", raising=False)
    isolate_worker()
    assert created == []
    assert os.environ["MALLETTE_TEST_DATABASE_URL"].endswith("/test")
    monkeypatch.setenv("PYTEST_XDIST_WORKER", "gw1")
    isolate_worker()
    assert created == ["postgresql://postgres@127.0.0.1:5432/test_gw1"]
    assert os.environ["MALLETTE_TEST_DATABASE_URL"] == created[0]
    assert os.environ["MALLETTE_TEST_REDIS_URL"] == "redis://127.0.0.1:6379/14"
