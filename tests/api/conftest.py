"""The API tests share one app per database (tests/conftest.py `module_app`),
emptied before each test."""
import pytest


@pytest.fixture
def app(fresh_app):
    return fresh_app
