from typing import Any

from org.choices import Role
from org.roles import roles_for


def test_every_signed_in_person_is_a_requester(requester: Any) -> None:
    assert roles_for(requester) == {Role.REQUESTER}


def test_team_member_is_analyst(analyst: Any) -> None:
    assert roles_for(analyst) == {Role.REQUESTER, Role.ANALYST}


def test_team_lead_is_manager(manager: Any) -> None:
    assert roles_for(manager) == {Role.REQUESTER, Role.MANAGER}


def test_groups_grant_roles(requester: Any, in_group: Any) -> None:
    in_group(requester, Role.CHANGE_AUTHORITY)
    in_group(requester, Role.PROCESS_OWNER)
    in_group(requester, Role.MANAGER)
    assert roles_for(requester) == {
        Role.REQUESTER,
        Role.CHANGE_AUTHORITY,
        Role.PROCESS_OWNER,
        Role.MANAGER,
    }


def test_superuser_is_admin(admin_user: Any) -> None:
    assert Role.ADMIN in roles_for(admin_user)


def test_anonymous_and_inactive_have_no_roles(requester: Any) -> None:
    from django.contrib.auth.models import AnonymousUser

    assert roles_for(AnonymousUser()) == frozenset()
    requester.is_active = False
    assert roles_for(requester) == frozenset()


def test_roles_are_cached_per_user_instance(analyst: Any, django_assert_num_queries: Any) -> None:
    with django_assert_num_queries(3):
        assert analyst.has_role(Role.ANALYST)
    with django_assert_num_queries(0):
        assert not analyst.has_role(Role.ADMIN)
