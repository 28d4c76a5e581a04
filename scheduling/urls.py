"""Scheduling's pages (the staff pages, the calendar feeds and the patient's link), included by
config/urls.py."""

from django.urls import path

from scheduling import (
    booking_views,
    feed_pages,
    feed_views,
    grid_views,
    patient_views,
    session_views,
    views,
    worker_views,
)

urlpatterns = [
    path("", views.board, name="home"),
    path("courses/<int:course_id>/", views.course_detail, name="course-detail"),
    # Scheduler pages
    path("grid/", grid_views.resource_grid, name="grid"),
    path("book/", booking_views.book, name="book"),
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
    # The patient's link and the calendar feeds
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
]

# Included by config/urls.py after every app's pages: the action is any word, so this also
# matches charting's /sessions/<id>/screening/ and its siblings. An unknown word still reaches
# the view, which answers 404 after the login and CSRF checks.
last_patterns = [
    path(
        "sessions/<int:session_id>/<slug:action>/",
        views.session_action,
        name="session-action",
    ),
]
