"""Labels of the sidebar links to this app's pages (rohstoff/navigation.py). Listed here so that
``makemessages`` in this app keeps their German in this app's catalogue."""

from django.utils.translation import gettext_lazy as _

SIDEBAR = (
    _("Offtakes"),
    _("Offtake contracts"),
    _("Long-term offtakes: terms, schedules, deliveries, documents."),
    _("Coverage and book"),
    _("Coverage per material and quarter; volume by counterparty and country."),
    _("Due, late, short"),
    _("Deliveries due this quarter, late or short."),
    _("Prices and FX"),
    _("Index values and exchange rates entered by the desk."),
    _("My allocations"),
    _("Your firm's back-to-back shares: confirm or decline, deliveries, prices."),
    _("Offtake book (aggregates)"),
    _("Contracted tonnes per material, year and supplier country."),
)
