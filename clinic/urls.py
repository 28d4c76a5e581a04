from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import path, re_path

from clinic.api.http_errors import api_not_found
from clinic.root_api import api
from scheduling import views as scheduling_views

# Every staff member (not only admins) logs in here for a session that the API accepts; the
# admin's login page refuses users without is_staff. It borrows the admin's template.
login_view = auth_views.LoginView.as_view(
    template_name="admin/login.html",
    extra_context={"site_header": "Interventional clinic", "site_title": "Interventional clinic"},
    redirect_authenticated_user=True,
)

urlpatterns = [
    path("", scheduling_views.board, name="home"),
    path("courses/<int:course_id>/", scheduling_views.course_detail, name="course-detail"),
    path(
        "sessions/<int:session_id>/<slug:action>/",
        scheduling_views.session_action,
        name="session-action",
    ),
    path("accounts/login/", login_view, name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
    # Last among the API routes: anything under /api/ that nothing matched gets a JSON 404.
    re_path(r"^api/(?P<rest>.*)$", api_not_found),
]

handler500 = "clinic.request_failures.server_error"
