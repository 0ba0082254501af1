"""Pages with personal data or money stay out of browser and proxy caches.

A shared computer at the cantine, a library's browser, a proxy: a page kept in
their cache shows a guest's phone number or the till to the next person who
presses "back". So every response to someone logged in (coordinators,
volunteers, referents see names, phones, money), and every page behind a
guest's or a volunteer's private link, says ``Cache-Control: no-store,
private``. Public pages seen anonymously (the next meals, one meal) are left
alone: they show counts, never names, and may be cached.
"""

from django.conf import settings
from django.utils.cache import patch_cache_control

# Reached without logging in, by whoever holds the secret link in the URL.
PRIVATE_LINK_VIEWS = frozenset(
    {
        "meals:booking",
        "meals:cancel_booking",
        "meals:booking_ics",
        "meals:shifts_ical",
        # The SMS links: a booking's short link, and its « no more SMS » page.
        "meals:short_link",
        "meals:sms_stop",
        # The answers to a booking or a sign-up repeat the contact the visitor typed.
        "meals:booking_sent",
        "members:volunteer_signup_sent",
        "members:volunteer_confirm",
    }
)


class PrivatePagesNoStoreMiddleware:
    """After ``AuthenticationMiddleware``: marks private responses ``no-store, private``."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if self._is_private(request, response):
            patch_cache_control(response, no_store=True, private=True)
        return response

    @staticmethod
    def _is_private(request, response) -> bool:
        match = getattr(request, "resolver_match", None)
        if match is not None and match.view_name in PRIVATE_LINK_VIEWS:
            return True
        if response.get("Content-Type", "").startswith("text/csv"):
            return True
        # A server error or an outage page: never kept, and no session read when the database may be gone.
        if response.status_code >= 500:
            return True
        # Without a session cookie nobody is logged in: no need to load the session.
        if settings.SESSION_COOKIE_NAME not in request.COOKIES:
            return False
        user = getattr(request, "user", None)
        return bool(user is not None and user.is_authenticated)
