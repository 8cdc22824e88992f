"""dashboard.store.users: creating users, checking passwords."""
from __future__ import annotations

import pytest
from sqlmodel import Session

from dashboard.actions.users import UserError, add_user
from dashboard.store.users import User, authenticate, get_user, list_users
from tests.auth.conftest import COMMUNITY, PASSWORD, STREET


@pytest.fixture
def engine(auth_app):
    return auth_app.services.engine


def test_add_user_stores_a_scrypt_hash_not_the_password(engine):
    user = add_user(engine, name="zhang", password="s3cret-pass", role="staff", unit=STREET)
    assert user.id and user.name == "zhang" and user.role == "staff" and user.unit == STREET and user.active
    assert user.created_at.tzinfo is not None
    assert user.password_hash.startswith("scrypt:") and "s3cret-pass" not in user.password_hash


@pytest.mark.parametrize("kwargs, message", [
    ({"name": "street-staff"}, "already exists"),
    ({"unit": "no-such-unit"}, "unknown unit 'no-such-unit'"),
    ({"role": "king"}, "unknown role 'king'"),
    ({"password": "short7!"}, "shorter than 8"),
    ({"name": ""}, "empty"),
    ({"name": "x" * 65}, "longer than 64"),
    ({"name": "a:b"}, "':'"),
    ({"name": " padded"}, "space"),
])
def test_add_user_rejects_with_a_clear_message(engine, kwargs, message):
    args = {"name": "new-user", "password": "long enough", "role": "duty", "unit": COMMUNITY, **kwargs}
    with pytest.raises(UserError, match=message):
        add_user(engine, **args)
    assert "new-user" not in {u.name for u in list_users(engine)}


def test_names_up_to_64_characters_and_chinese_are_fine(engine):
    assert add_user(engine, name="王" * 64, password="long enough", role="leader", unit=COMMUNITY).id


def test_authenticate(engine):
    assert authenticate(engine, name="street-staff", password=PASSWORD).name == "street-staff"
    assert authenticate(engine, name="street-staff", password=PASSWORD + "x") is None
    assert authenticate(engine, name="nobody", password=PASSWORD) is None
    assert authenticate(engine, name="", password="") is None


def test_inactive_user_cannot_authenticate(engine):
    user = authenticate(engine, name="street-staff", password=PASSWORD)
    with Session(engine) as session:
        row = session.get(User, user.id)
        row.active = False
        session.add(row)
        session.commit()
    assert authenticate(engine, name="street-staff", password=PASSWORD) is None


def test_get_user(engine):
    user = authenticate(engine, name="district-admin", password=PASSWORD)
    assert get_user(engine, user.id).name == "district-admin"
    assert get_user(engine, str(user.id)).name == "district-admin"
    assert get_user(engine, 99999) is None
    assert get_user(engine, "not-a-number") is None
