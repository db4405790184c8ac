"""Background triage. Idempotent: a second run finds nothing pending."""

from __future__ import annotations

import logging

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from rapport.accounts.models import Workspace

log = logging.getLogger(__name__)


@db_task()
def triage_pending_task(workspace_id: int) -> int:
    """Triage what is pending in a workspace (enqueue with ``transaction.on_commit``)."""
    from rapport.triage.services import triage_pending

    workspace = Workspace.objects.filter(id=workspace_id).first()
    if workspace is None:  # deleted since the task was queued: nothing to do
        return 0
    return triage_pending(workspace=workspace)


@db_periodic_task(crontab(hour="3", minute="17"))
def train_workspace_models_task() -> int:
    """Nightly: refit workspace models where enough new corrections came in."""
    from rapport.triage.learning import due_workspaces, train_workspace_model

    activated = 0
    for workspace in due_workspaces():
        activated += train_workspace_model(workspace=workspace).activated
    return activated


@db_periodic_task(crontab(hour="3", minute="47"))
def adapt_workspaces_task() -> int:
    """Nightly: (re)fit self-adaptations that are missing, stale or on an older base model.

    One workspace's failure is logged and does not keep the others from their turn.
    """
    from rapport.triage.learning import adapt_workspace, due_for_adaptation

    activated = 0
    for workspace in due_for_adaptation():
        try:
            activated += adapt_workspace(workspace=workspace).activated
        except Exception:
            log.exception("self-adaptation of workspace %r failed", workspace.slug)
    return activated
