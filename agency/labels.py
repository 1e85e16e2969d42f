"""Labels of the sidebar links to this app's pages (rohstoff/navigation.py). Listed here so that
``makemessages`` in this app keeps their German in this app's catalogue."""

from django.utils.translation import gettext_lazy as _

SIDEBAR = (
    _("Agency"),
    _("Projects"),
    _("Mines, refineries and recycling plants the offtakes come from."),
    _("Stake proposals"),
    _("Proposals from the analyst's draft to the committee's approval."),
    _("Portfolio"),
    _("Approved stakes: committed and disbursed EUR by material, country and instrument."),
    _("Offtake rights"),
    _("Offtake rights of approved stakes and the contracts they became."),
)
