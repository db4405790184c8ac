from __future__ import annotations

import pytest

from rapport.accounts.services import (
    create_user,
    create_workspace,
    ensure_first_owner,
    require_role,
)
from rapport.errors import NotFound, PermissionDenied, ValidationError


def test_invalid_slug_is_refused(db):
    with pytest.raises(ValidationError, match="slug"):
        create_workspace(slug="Not A Slug")


def test_duplicate_workspace_is_refused(workspace):
    with pytest.raises(ValidationError, match="already exists"):
        create_workspace(slug=workspace.slug)


def test_unknown_role_is_refused(workspace):
    with pytest.raises(ValidationError, match="unknown role"):
        create_user(email="x@example.com", workspace=workspace, role="boss")


def test_viewer_cannot_act_as_editor(workspace):
    viewer, password = create_user(email="v@example.com", workspace=workspace, role="viewer")
    assert password  # generated once
    require_role(user=viewer, workspace=workspace, role="viewer")
    with pytest.raises(PermissionDenied, match="editor"):
        require_role(user=viewer, workspace=workspace, role="editor")


def test_non_member_sees_no_workspace(workspace):
    other = create_workspace(slug="other")
    stranger, _ = create_user(email="s@example.com", workspace=other, role="owner")
    with pytest.raises(NotFound):
        require_role(user=stranger, workspace=workspace)


def test_first_owner_created_once(db):
    created = ensure_first_owner()
    assert created is not None
    user, password = created
    assert user.check_password(password)
    assert ensure_first_owner() is None
