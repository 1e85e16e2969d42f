"""Reference data for the demo (``manage.py seed_demo``): the USGS editions in data/."""

from . import services


def seed(context: dict) -> dict:
    services.reference_data_load()
    return context
