"""The read endpoints are in the OpenAPI document, with their query parameters."""

from config.root_api import api


def test_openapi_lists_the_read_endpoints_and_their_parameters():
    paths = api.get_openapi_schema()["paths"]

    def params(path):
        return {p["name"] for p in paths[path]["get"]["parameters"]}

    assert {"site_id", "page", "page_size"} <= params("/api/v1/patients")
    assert "q" not in params("/api/v1/patients")  # searches go in a POST body
    assert {"site_id", "patient_id", "status", "modality", "start_from", "start_to"} <= params(
        "/api/v1/courses"
    )
    assert {"site_id", "date", "resource_id"} <= params("/api/v1/board")
    assert {"site_id", "kind", "start", "end", "minutes", "step"} <= params("/api/v1/availability")
    assert "get" in paths["/api/v1/courses/{course_id}"]
    assert {"get", "patch"} <= set(paths["/api/v1/patients/{patient_id}"])
