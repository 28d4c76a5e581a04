"""Scheduling's pages (the staff pages, the calendar feeds and the patient's link), included by
config/urls.py."""

from django.urls import path

from scheduling.views import (
    board,
    booking,
    change_requests,
    course,
    feeds,
    grid,
    patient,
    patient_link,
    session,
    site,
    worker,
)

urlpatterns = [
    path("", board.board, name="home"),
    path("courses/<int:course_id>/", course.course_detail, name="course-detail"),
    path(
        "courses/<int:course_id>/change/<slug:action>/",
        course.course_change,
        name="course-change",
    ),
    # Scheduler pages
    path("grid/", grid.resource_grid, name="grid"),
    path("book/", booking.book, name="book"),
    path("patients/<int:patient_id>/", patient.patient_detail, name="patient-detail"),
    path("site/", site.site_page, name="site-page"),
    path("background/", worker.background_work, name="background-work"),
    path(
        "change-requests/<int:request_id>/handle/",
        change_requests.change_request_handle_page,
        name="change-request-handle",
    ),
    # Calendar feeds from the staff pages
    path(
        "patients/<int:patient_id>/feeds/",
        feeds.patient_feed_issue,
        name="patient-feed-issue",
    ),
    path("site/phone/", site.site_phone, name="site-phone"),
    path("site/feeds/", feeds.site_feed_create, name="site-feed-create"),
    path("my-calendar/", feeds.my_calendar, name="my-calendar"),
    path("feeds/<int:feed_id>/rotate/", feeds.feed_rotate_page, name="feed-rotate"),
    path("feeds/<int:feed_id>/revoke/", feeds.feed_revoke_page, name="feed-revoke"),
    path("sessions/<int:session_id>/", session.session_detail, name="session-detail"),
    path(
        "sessions/<int:session_id>/change/<slug:action>/",
        session.session_change,
        name="session-change",
    ),
    # The patient's link and the calendar feeds
    path("calendar/<str:token>.ics", patient_link.calendar_feed, name="calendar-feed"),
    path("p/<str:token>/", patient_link.patient_home, name="patient-home"),
    path(
        "p/<str:token>/sessions/<int:session_id>.ics",
        patient_link.patient_session_ics,
        name="patient-session-ics",
    ),
    path(
        "p/<str:token>/companions/",
        patient_link.patient_companion_create,
        name="patient-companion-create",
    ),
    path(
        "p/<str:token>/companions/<int:feed_id>/revoke/",
        patient_link.patient_companion_revoke,
        name="patient-companion-revoke",
    ),
    path("p/<str:token>/reminder/", patient_link.patient_reminder, name="patient-reminder"),
    path(
        "p/<str:token>/sessions/<int:session_id>/change/",
        patient_link.patient_change_request,
        name="patient-change-request",
    ),
]

# Included by config/urls.py after every app's pages: the action is any word, so this also
# matches charting's /sessions/<id>/screening/ and its siblings. An unknown word still reaches
# the view, which answers 404 after the login and CSRF checks.
last_patterns = [
    path(
        "sessions/<int:session_id>/<slug:action>/",
        board.session_action,
        name="session-action",
    ),
]
