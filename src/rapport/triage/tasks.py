"""Background triage. Idempotent: a second run finds nothing pending."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from rapport.accounts.models import Workspace


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
    """Nightly: (re)fit self-adaptations that are missing, stale or on an older base model."""
    from rapport.triage.learning import adapt_workspace, due_for_adaptation

    return sum(adapt_workspace(workspace=ws).activated for ws in due_for_adaptation())
