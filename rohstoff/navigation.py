"""The sidebar: sections of links, each shown only to users whose role the target page allows.

Visibility is derived from the target view's declared access policy, so navigation and access
can never disagree.
"""

from dataclasses import dataclass

from django.urls import resolve, reverse
from django.utils.translation import gettext_lazy as _

from rohstoff.core.access import policy_of


@dataclass(frozen=True)
class Link:
    url_name: str
    label: str
    match_prefix: bool = True


SECTIONS = [
    (_("Workspace"), [
        Link("home", _("Overview"), match_prefix=False),
    ]),
    (_("Reference"), [
        Link("material_list", _("Materials")),
    ]),
    (_("Administration"), [
        Link("team", _("Team")),
        Link("api_tokens", _("API tokens")),
        Link("audit_log", _("Audit log")),
        Link("admin:index", _("Admin")),
    ]),
]


def _visible_links(user):
    for title, links in SECTIONS:
        items = []
        for link in links:
            url = reverse(link.url_name)
            policy = policy_of(resolve(url).func)
            if policy is not None and not isinstance(policy, dict) and policy.allows(user):
                items.append((link, url))
        if items:
            yield title, items


def navigation(request):
    user = getattr(request, "user", None)
    if not (user and user.is_authenticated):
        return {"nav_sections": []}
    path = request.path
    sections = []
    for title, items in _visible_links(user):
        sections.append({
            "title": title,
            "items": [
                {
                    "label": link.label,
                    "url": url,
                    "current": path == url or (link.match_prefix and url != "/" and path.startswith(url)),
                }
                for link, url in items
            ],
        })
    return {"nav_sections": sections}
