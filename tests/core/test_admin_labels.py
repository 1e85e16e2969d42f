"""The admin speaks its reader's language: every field of our models it shows has a German
label, not the English words Django makes of the field's name ("expires at" on a German page)."""

import pytest
from django.contrib import admin
from django.utils import translation

# Django's and allauth's own models carry their own translations.
THEIRS = {"auth", "account", "mfa"}
# Words that are the same in both languages.
SAME = {"Incoterm 2020"}


def untranslated() -> list[str]:
    found = []
    for model in admin.site._registry:
        if model._meta.app_label in THEIRS:
            continue
        names = [("", model._meta.verbose_name), ("", model._meta.verbose_name_plural)]
        names += [
            (f".{f.name}", f.verbose_name)
            for f in model._meta.get_fields()
            if getattr(f, "concrete", False) and not f.auto_created
        ]
        for where, name in names:
            with translation.override("de"):
                german = str(name)
            with translation.override("en"):
                english = str(name)
            if german == english and english not in SAME:
                found.append(f"{model._meta.label}{where}: {english}")
    return found


@pytest.mark.django_db
def test_every_field_the_admin_shows_has_a_german_label():
    assert untranslated() == []
