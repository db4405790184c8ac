"""Writes for users, workspaces and memberships; the one place roles are checked."""

from __future__ import annotations

import secrets

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction

from rapport.accounts.models import Membership, Role, User, Workspace, slug_validator
from rapport.errors import NotFound, PermissionDenied, ValidationError


def get_workspace(*, slug: str) -> Workspace:
    try:
        return Workspace.objects.get(slug=slug)
    except Workspace.DoesNotExist:
        raise NotFound(
            f"no workspace with slug {slug!r}; create it with `rapport workspace create {slug}`"
        ) from None


def require_role(*, user: User, workspace: Workspace, role: str = Role.VIEWER) -> Membership:
    """Return the user's membership if it allows ``role``; raise otherwise.

    Superusers are not special here: a workspace is reached only through a
    membership, so an admin account cannot read a customer's inbox by accident.
    """
    if not user.is_authenticated:
        raise PermissionDenied("sign in first")
    membership = Membership.objects.filter(user=user, workspace=workspace).first()
    if membership is None:
        raise NotFound(f"no workspace {workspace.slug!r} for {user.email}")
    if not membership.allows(role):
        raise PermissionDenied(
            f"this needs the {role} role in {workspace.slug!r}; you are {membership.role}"
        )
    return membership


def create_workspace(*, slug: str, name: str = "", timezone: str = "UTC") -> Workspace:
    try:
        slug_validator(slug)
    except DjangoValidationError:
        raise ValidationError(
            f"workspace slug {slug!r} is invalid: " + str(slug_validator.message), field="slug"
        ) from None
    if not Workspace.valid_timezone(timezone):
        raise ValidationError(f"unknown time zone {timezone!r}", field="timezone")
    if Workspace.objects.filter(slug=slug).exists():
        raise ValidationError(f"workspace {slug!r} already exists", field="slug")
    return Workspace.objects.create(slug=slug, name=name or slug, timezone=timezone)


def create_user(
    *, email: str, workspace: Workspace, role: str, password: str | None = None
) -> tuple[User, str | None]:
    """Create (or reuse) a user and give them ``role`` in ``workspace``.

    Returns the user and the generated password when one was generated.
    """
    if role not in Role.values:
        raise ValidationError(
            f"unknown role {role!r}; use one of {', '.join(Role.values)}", field="role"
        )
    email = email.strip().lower()
    try:
        from django.core.validators import validate_email

        validate_email(email)
    except DjangoValidationError:
        raise ValidationError(f"{email!r} is not a valid e-mail address", field="email") from None
    generated = None
    with transaction.atomic():
        user = User.objects.filter(email=email).first()
        if user is None:
            if password is None:
                password = generated = secrets.token_urlsafe(12)
            user = User.objects.create_user(email, password)
        Membership.objects.update_or_create(user=user, workspace=workspace, defaults={"role": role})
    return user, generated


def ensure_first_owner(
    *, email: str = "owner@localhost", slug: str = "default"
) -> tuple[User, str] | None:
    """On an empty install, create a workspace and an owner; return the password once."""
    if User.objects.exists():
        return None
    with transaction.atomic():
        workspace = Workspace.objects.filter(slug=slug).first() or create_workspace(
            slug=slug, name="My business"
        )
        user, password = create_user(email=email, workspace=workspace, role=Role.OWNER)
    assert password is not None
    return user, password
