"""allauth messages that our users meet, listed so that our catalogue gives them formal German.

allauth's own German catalogue addresses the reader informally ("du"); a federal platform uses
"Sie". Our project catalogue (LOCALE_PATHS) takes precedence over allauth's, so translating these
msgids in locale/de/LC_MESSAGES/django.po is enough. gettext_noop marks them for makemessages.
"""

from django.utils.translation import gettext_noop

ALLAUTH_MESSAGES = [
    gettext_noop("Too many failed login attempts. Try again later."),
    gettext_noop("Be patient, you are sending too many requests."),
    gettext_noop("Please type your current password."),
    gettext_noop("You must type the same password each time."),
    gettext_noop("You have signed out."),
    gettext_noop("Your password has been changed."),
    gettext_noop("You are already logged in as %(user_display)s."),
    gettext_noop("Incorrect code."),
    gettext_noop("The email address and/or password you specified are not correct."),
    gettext_noop("You cannot deactivate two-factor authentication."),
]
