"""The URL configuration: each app's pages, the logins, the admin and the API.

No two apps' pages match the same path (tests/test_urls.py), so the order they are included in
does not decide which page answers. The one pattern that takes any word sits in its app's
`last_patterns`, included last.
"""

from typing import Any

from django.contrib import admin, messages
from django.contrib.auth import views as auth_views
from django.http import HttpRequest, HttpResponse
from django.templatetags.static import static
from django.urls import URLPattern, URLResolver, include, path, re_path
from django.views.generic import RedirectView

from charting import urls as charting_urls
from clinic import urls as clinic_urls
from clinic.api.http_errors import api_not_found
from config.root_api import api
from scheduling import urls as scheduling_urls

# Every staff member (not only admins) logs in here for a session that the API accepts; the
# admin's login page refuses users without is_staff. The page is the service's own
# (templates/registration/login.html), not the admin's.
login_view = auth_views.LoginView.as_view(redirect_authenticated_user=True)


class LogoutView(auth_views.LogoutView):
    """Django's logout, then the login page says so (LOGOUT_REDIRECT_URL)."""

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        was_logged_in = request.user.is_authenticated
        response = super().post(request, *args, **kwargs)
        if was_logged_in:
            messages.info(request, "You are logged out.")
        return response


class FaviconView(RedirectView):
    """Browsers ask /favicon.ico whatever the page links: send them to the static SVG."""

    permanent = True

    def get_redirect_url(self, *args: Any, **kwargs: Any) -> str:
        return static("clinic/favicon.svg")


# Everything under /api/: the versioned API, then a JSON 404 for whatever it did not match
# (scoped to /api/, so it can catch no page).
api_patterns: list[URLPattern | URLResolver] = [
    path("v1/", api.urls),
    re_path(r"^(?P<rest>.*)$", api_not_found),
]

urlpatterns = [
    path("", include(clinic_urls)),
    path("", include(scheduling_urls)),
    path("", include(charting_urls)),
    path("accounts/login/", login_view, name="login"),
    path("accounts/logout/", LogoutView.as_view(), name="logout"),
    path("favicon.ico", FaviconView.as_view(), name="favicon"),
    path("admin/", admin.site.urls),
    path("api/", include(api_patterns)),
    # Last: it takes any word after /sessions/<id>/ (scheduling/urls.py).
    path("", include(scheduling_urls.last_patterns)),
]

handler500 = "config.request_failures.server_error"
