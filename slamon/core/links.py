"""THE dashboard addresses a mail links to (``web.public_url`` + the page's route), pure.

The routes are the web dashboard's (``slamon/web/app.py``): ``/application?id=``,
``/department?name=`` and ``/report?month=``. Without a public URL there is no link at all
(None), never a relative or empty one: a mail is read outside the dashboard.
"""

from __future__ import annotations

from urllib.parse import quote

APPLICATION_PATH = "/application"
DEPARTMENT_PATH = "/department"
REPORT_PATH = "/report"


def _url(base: str | None, path: str, name: str, value: str) -> str | None:
    if not base:
        return None
    return f"{base.rstrip('/')}{path}?{name}={quote(value, safe='')}"


def application_url(base: str | None, application_id: str) -> str | None:
    """The application's page (its day-by-day evidence, ``slamon explain``)."""
    return _url(base, APPLICATION_PATH, "id", application_id)


def department_url(base: str | None, department: str) -> str | None:
    """The department's page (its open and recent applications)."""
    return _url(base, DEPARTMENT_PATH, "name", department)


def report_url(base: str | None, month_key: str) -> str | None:
    """The month's report page."""
    return _url(base, REPORT_PATH, "month", month_key)
