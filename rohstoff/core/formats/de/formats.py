# German dates as Django writes them, with a comma before the time (12.09.2026, 17:13) like the
# English form (docs/architecture.md).
DATETIME_FORMAT = "j. F Y, H:i"
SHORT_DATETIME_FORMAT = "d.m.Y, H:i"
