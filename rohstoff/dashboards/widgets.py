"""Home-page widgets: panels that other apps contribute to each role's overview.

A widget is a template plus the policy of who sees it, and optionally a function that returns
its context. The home page renders every widget whose policy allows the user, in order::

    register(Widget("tradinghouse/widgets/open_positions.html", POSITION_READERS,
                    context=lambda request: {"cells": ...}, order=20))
"""

from collections.abc import Callable
from dataclasses import dataclass

from django.template.loader import render_to_string

from rohstoff.core.access import Policy


@dataclass(frozen=True)
class Widget:
    template: str
    policy: Policy
    context: Callable[[object], dict] | None = None
    order: int = 100
    charts: bool = False  # draws plotly charts: the page loads plotly
    styles: tuple[str, ...] = ()  # static stylesheets the page links in its head


WIDGETS: list[Widget] = []


def register(widget: Widget) -> Widget:
    if widget not in WIDGETS:
        WIDGETS.append(widget)
    return widget


def render_widgets(request) -> list[str]:
    html = []
    for widget in sorted(WIDGETS, key=lambda w: w.order):
        if widget.policy.allows(request.user):
            context = widget.context(request) if widget.context else {}
            html.append(render_to_string(widget.template, context, request=request))
    return html


def needs_charts(request) -> bool:
    """Some widget the user sees draws a chart."""
    return any(w.charts and w.policy.allows(request.user) for w in WIDGETS)


def widget_styles(request) -> list[str]:
    """The stylesheets of the widgets the user sees, each once, for the page's head."""
    styles: list[str] = []
    for widget in sorted(WIDGETS, key=lambda w: w.order):
        if widget.styles and widget.policy.allows(request.user):
            styles += [path for path in widget.styles if path not in styles]
    return styles
