from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import path, re_path

from charting import clinician_views, nurse_views, observation_views, review_views
from charting import patient_views as patient_report_views
from clinic import views as clinic_views
from clinic.api.http_errors import api_not_found
from config.root_api import api
from scheduling import (
    booking_views,
    feed_pages,
    feed_views,
    grid_views,
    patient_views,
    session_views,
    worker_views,
)
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
    # Scheduler pages
    path("grid/", grid_views.resource_grid, name="grid"),
    path("book/", booking_views.book, name="book"),
    path("patients/", clinic_views.patient_search, name="patients"),
    path("patients/<int:patient_id>/", patient_views.patient_detail, name="patient-detail"),
    path("site/", patient_views.site_page, name="site-page"),
    path("background/", worker_views.background_work, name="background-work"),
    # Calendar feeds from the staff pages
    path(
        "patients/<int:patient_id>/feeds/",
        feed_pages.patient_feed_issue,
        name="patient-feed-issue",
    ),
    path("site/feeds/", feed_pages.site_feed_create, name="site-feed-create"),
    path("my-calendar/", feed_pages.my_calendar, name="my-calendar"),
    path("feeds/<int:feed_id>/rotate/", feed_pages.feed_rotate_page, name="feed-rotate"),
    path("feeds/<int:feed_id>/revoke/", feed_pages.feed_revoke_page, name="feed-revoke"),
    path("sessions/<int:session_id>/", session_views.session_detail, name="session-detail"),
    path(
        "sessions/<int:session_id>/change/<slug:action>/",
        session_views.session_change,
        name="session-change",
    ),
    # Nurse pages
    path("nurse/", nurse_views.nurse_day, name="nurse-day"),
    path(
        "sessions/<int:session_id>/screening/",
        nurse_views.session_screening,
        name="session-screening",
    ),
    path(
        "courses/<int:course_id>/screening/", nurse_views.course_screening, name="course-screening"
    ),
    path(
        "sessions/<int:session_id>/observation/",
        observation_views.observation_page,
        name="observation",
    ),
    path(
        "sessions/<int:session_id>/observation/anchor/",
        observation_views.observation_anchor,
        name="observation-anchor",
    ),
    path(
        "sessions/<int:session_id>/observation/sign/",
        observation_views.observation_sign_view,
        name="observation-sign",
    ),
    path(
        "sessions/<int:session_id>/observation/<slug:checkpoint>/",
        observation_views.observation_values,
        name="observation-values",
    ),
    path(
        "sessions/<int:session_id>/observation/<slug:checkpoint>/<slug:field>/amend/",
        observation_views.observation_amend_view,
        name="observation-amend",
    ),
    # Clinician pages
    path("alerts/", clinician_views.alerts, name="alerts"),
    path("alerts/<int:alert_id>/acknowledge/", clinician_views.alert_ack, name="alert-ack"),
    path(
        "screenings/<int:screening_id>/override/",
        clinician_views.screening_override_view,
        name="screening-override",
    ),
    path(
        "screenings/<int:screening_id>/review/",
        clinician_views.screening_review_view,
        name="screening-review",
    ),
    path("sessions/<int:session_id>/parameters/", clinician_views.parameters, name="parameters"),
    path("courses/<int:course_id>/outcomes/", clinician_views.outcomes, name="course-outcomes"),
    path(
        "courses/<int:course_id>/outcomes/baseline/",
        clinician_views.outcome_baseline,
        name="course-outcome-baseline",
    ),
    path(
        "courses/<int:course_id>/early-review/decision/",
        review_views.early_review_decision,
        name="early-review-decision",
    ),
    path(
        "courses/<int:course_id>/checkin-setting/",
        review_views.checkin_setting,
        name="course-checkin-setting",
    ),
    # After the pages above: it would match /sessions/<id>/screening/ too.
    path(
        "sessions/<int:session_id>/<slug:action>/",
        scheduling_views.session_action,
        name="session-action",
    ),
    path("calendar/<str:token>.ics", feed_views.calendar_feed, name="calendar-feed"),
    path("p/<str:token>/", feed_views.patient_home, name="patient-home"),
    path(
        "p/<str:token>/sessions/<int:session_id>.ics",
        feed_views.patient_session_ics,
        name="patient-session-ics",
    ),
    path(
        "p/<str:token>/companions/",
        feed_views.patient_companion_create,
        name="patient-companion-create",
    ),
    path(
        "p/<str:token>/companions/<int:feed_id>/revoke/",
        feed_views.patient_companion_revoke,
        name="patient-companion-revoke",
    ),
    path("p/<str:token>/reminder/", feed_views.patient_reminder, name="patient-reminder"),
    # The patient's own reports (charting/patient_views.py)
    path("p/<str:token>/reports/", patient_report_views.reports_home, name="patient-reports"),
    path(
        "p/<str:token>/reports/<int:course_id>/checkin/",
        patient_report_views.checkin,
        name="patient-checkin",
    ),
    path(
        "p/<str:token>/reports/<int:course_id>/my-answers.csv",
        patient_report_views.export,
        name="patient-export",
    ),
    path(
        "p/<str:token>/reports/<int:course_id>/<slug:scale>/<int:session_number>/",
        patient_report_views.questionnaire_start,
        name="patient-questionnaire",
    ),
    path(
        "p/<str:token>/reports/<int:course_id>/<slug:scale>/<int:session_number>/<int:number>/",
        patient_report_views.question,
        name="patient-question",
    ),
    path(
        "p/<str:token>/reports/<int:course_id>/<slug:scale>/<int:session_number>/check/",
        patient_report_views.questionnaire_review,
        name="patient-questionnaire-review",
    ),
    path("accounts/login/", login_view, name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
    # Last among the API routes: anything under /api/ that nothing matched gets a JSON 404.
    re_path(r"^api/(?P<rest>.*)$", api_not_found),
]

handler500 = "config.request_failures.server_error"
