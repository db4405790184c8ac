"""The report page and its CSV export. Reads only; any member may see them."""

from __future__ import annotations

import csv
from zoneinfo import ZoneInfo

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import render
from django.utils import timezone

from rapport.accounts.models import Workspace
from rapport.errors import ValidationError
from rapport.reports.periods import PRESETS, Period, parse_period
from rapport.reports.selectors import Report, desk_report
from rapport.web.access import workspace_for


def _report(request: HttpRequest, workspace: Workspace) -> Report:
    now = timezone.now()
    today = timezone.localtime(now, timezone=ZoneInfo(workspace.timezone)).date()
    period: Period = parse_period(request.GET, tz=workspace.timezone, today=today)
    return desk_report(workspace=workspace, period=period, now=now)


@login_required
def index(request: HttpRequest, slug: str) -> HttpResponse:
    workspace, _ = workspace_for(request, slug)
    try:
        report = _report(request, workspace)
    except ValidationError as exc:
        return HttpResponseBadRequest(str(exc))
    top = max((row.count for row in report.by_label), default=0)
    context = {
        "workspace": workspace,
        "section": "reports",
        "report": report,
        "presets": PRESETS,
        "top": top,
    }
    return render(request, "reports/index.html", context)


@login_required
def export_csv(request: HttpRequest, slug: str) -> HttpResponse:
    workspace, _ = workspace_for(request, slug)
    try:
        report = _report(request, workspace)
    except ValidationError as exc:
        return HttpResponseBadRequest(str(exc))
    period = report.period
    name = f"rapport-{workspace.slug}-{period.first_day}-{period.last_day}.csv"
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    writer = csv.writer(response)
    writer.writerow(["figure", "value", "meaning"])
    writer.writerow(["period_start", period.first_day.isoformat(), f"in {workspace.timezone}"])
    writer.writerow(["period_end", period.last_day.isoformat(), "inclusive"])
    writer.writerow(["received", report.received, "items people wrote"])
    for row in report.by_label:
        writer.writerow([f"received_{row.label or 'untriaged'}", row.count, row.title])
    for figure in report.figures:
        value = "" if figure.value is None else figure.value
        writer.writerow([figure.key, value, figure.help])
    return response
