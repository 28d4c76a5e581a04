from django.contrib import admin
from django.urls import path, re_path

from clinic.api import api
from clinic.http_errors import api_not_found

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
    # Last among the API routes: anything under /api/ that nothing matched gets a JSON 404.
    re_path(r"^api/(?P<rest>.*)$", api_not_found),
]

handler500 = "clinic.http_errors.server_error"
