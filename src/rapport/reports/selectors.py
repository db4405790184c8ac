"""The desk report: substance first (answers, waiting, conversations, people), vanity last.

Every figure says what it counts in ``Figure.help`` so the page and the CSV
export explain themselves. Counts run over the period's items only, through the
``item_recent`` index on (workspace, created_at).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Count, Q, QuerySet, Sum
from django.db.models.functions import Coalesce

from rapport.accounts.models import Workspace
from rapport.inbox.models import Item, ItemState, Label, Signal
from rapport.publish.models import Click, Delivery, DeliveryStatus
from rapport.reports.models import FocusSession
from rapport.reports.periods import Period


@dataclass(frozen=True, slots=True)
class Figure:
    key: str
    title: str
    value: int | float | None
    help: str
    unit: str = ""  # "seconds" renders as a duration


@dataclass(frozen=True, slots=True)
class LabelCount:
    label: str
    title: str
    count: int


@dataclass(frozen=True, slots=True)
class Report:
    period: Period
    received: int
    by_label: list[LabelCount]
    substance: list[Figure]
    reach: list[Figure]

    @property
    def figures(self) -> list[Figure]:
        return [*self.substance, *self.reach]


def _median(values: QuerySet[Item], field: str, n: int) -> float | None:
    """The median of ``n`` values without loading them: read the middle one or two."""
    if n == 0:
        return None
    ordered = values.order_by(field).values_list(field, flat=True)
    if n % 2:
        return float(ordered[n // 2])
    low, high = list(ordered[n // 2 - 1 : n // 2 + 1])
    return (low + high) / 2


def _received(received: QuerySet[Item], late_before: datetime) -> dict[str, int]:
    """Label counts and late questions in one pass over the period's items."""
    per_label = {
        f"label:{value}": Count("id", filter=Q(label=value)) for value in [*Label.values, ""]
    }
    late = Q(
        state=ItemState.OPEN,
        label=Label.NEEDS_REPLY,
        is_duplicate=False,
        created_at__lt=late_before,
    )
    return received.aggregate(total=Count("id"), late=Count("id", filter=late), **per_label)


def _label_counts(counts: dict[str, int]) -> list[LabelCount]:
    rows = [
        LabelCount(value, str(title), counts[f"label:{value}"]) for value, title in Label.choices
    ]
    if counts["label:"]:
        rows.append(LabelCount("", "Not triaged yet", counts["label:"]))
    return rows


def desk_report(*, workspace: Workspace, period: Period, now: datetime) -> Report:
    incoming = Item.objects.filter(workspace=workspace, is_own=False)
    received = incoming.filter(created_at__gte=period.start, created_at__lt=period.end)
    answered = incoming.filter(
        answered_at__gte=period.start, answered_at__lt=period.end, response_seconds__isnull=False
    )
    target = timedelta(hours=workspace.response_target_hours)
    counts = _received(received, min(now, period.end) - target)
    answers = answered.aggregate(
        n=Count("id"), within=Count("id", filter=Q(response_seconds__lte=target.total_seconds()))
    )
    own_replies = Item.objects.filter(
        workspace=workspace,
        is_own=True,
        parent__isnull=False,
        created_at__gte=period.start,
        created_at__lt=period.end,
    )
    conversations = (
        own_replies.annotate(thread=Coalesce("root_id", "parent_id"))
        .values("thread")
        .distinct()
        .count()
    )
    genuine = received.exclude(label=Label.SPAM).filter(is_duplicate=False)
    people = genuine.filter(author__isnull=False).values("author__person_id").distinct().count()
    delivered = Delivery.objects.filter(
        post__workspace=workspace,
        status=DeliveryStatus.SENT,
        sent_at__gte=period.start,
        sent_at__lt=period.end,
    ).count()
    clicks = Click.objects.filter(
        link__workspace=workspace, day__gte=period.first_day, day__lte=period.last_day
    ).aggregate(n=Sum("count"))["n"]
    focus = FocusSession.objects.filter(
        workspace=workspace, started_at__gte=period.start, started_at__lt=period.end
    ).aggregate(n=Sum("seconds"))["n"]
    signals = dict(
        Signal.objects.filter(
            workspace=workspace, created_at__gte=period.start, created_at__lt=period.end
        )
        .values_list("kind")
        .annotate(n=Count("id"))
        .order_by()
    )
    hours = workspace.response_target_hours
    substance = [
        Figure("answered", "Answered", answers["n"], "items you answered in this period"),
        Figure(
            "median_response_seconds",
            "Median response time",
            _median(answered, "response_seconds", answers["n"]),
            "half of your answers came faster than this",
            unit="seconds",
        ),
        Figure(
            "answered_within_target",
            f"Answered within {hours} h",
            answers["within"],
            "of those answered",
        ),
        Figure(
            "waiting_past_target",
            "Waiting past the target",
            counts["late"],
            f"questions from this period still open after {hours} h",
        ),
        Figure(
            "conversations",
            "Real conversations",
            conversations,
            "threads where you answered someone",
        ),
        Figure("people_engaged", "People engaged", people, "people who wrote (no spam)"),
        Figure("posts_delivered", "Posts delivered", delivered, "deliveries confirmed sent"),
        Figure("clicks", "Clicks on tracked links", clicks or 0, "from links in your posts"),
        Figure("time_spent_seconds", "Time at the desk", focus, "active time", unit="seconds"),
    ]
    reach = [
        Figure(f"signals_{kind}", title, signals.get(kind, 0), "counted, not a message")
        for kind, title in (("like", "Likes"), ("boost", "Boosts"), ("follow", "Follows"))
    ]
    return Report(
        period=period,
        received=counts["total"],
        by_label=_label_counts(counts),
        substance=substance,
        reach=reach,
    )
