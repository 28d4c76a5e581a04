"""/api/v1/patients: register, read, update (PATCH) and search patients."""

import datetime as dt

import pytest

from clinic.models import Patient
from tests.support.factories import make_patient, make_user

WRITERS = ["scheduler", "clinician", "admin_user"]
READERS = [*WRITERS, "nurse"]

PATIENT_FIELDS = {
    "id",
    "site_id",
    "mrn",
    "given_name",
    "family_name",
    "full_name",
    "date_of_birth",
    "sex",
    "phone",
    "email",
    "address",
    "rems_enrolled",
    "rems_patient_id",
    "preferred_contact",
    "companion_name",
    "companion_phone",
    "created_at",
    "updated_at",
}


def new_patient(site, **overrides):
    return {
        "site_id": site.pk,
        "mrn": "MRN-900",
        "given_name": "Grace",
        "family_name": "Hopper",
        "date_of_birth": "1956-12-09",
        **overrides,
    }


# Create ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("persona", WRITERS)
def test_schedulers_clinicians_and_admins_register_patients(persona, site, api_as, request):
    user = request.getfixturevalue(persona)

    response = api_as(user).post(
        "patients", new_patient(site, phone=" 555-0100", rems_enrolled=True)
    )

    assert response.status_code == 201, response.content
    body = response.json()
    assert set(body) == PATIENT_FIELDS
    assert body["full_name"] == "Grace Hopper"
    assert body["date_of_birth"] == "1956-12-09"
    assert body["rems_enrolled"] is True
    patient = Patient.objects.get(pk=body["id"])
    assert (patient.site, patient.mrn) == (site, "MRN-900")
    assert patient.history.get().history_user == user


def test_nurse_cannot_register_a_patient(site, nurse, api_as):
    response = api_as(nurse).post("patients", new_patient(site))
    assert response.status_code == 403
    assert response.json()["code"] == "role_forbidden"
    assert not Patient.objects.exists()


def test_cannot_register_a_patient_at_another_site(site, other_site, scheduler, api_as):
    response = api_as(scheduler).post("patients", new_patient(other_site))
    assert response.status_code == 404
    assert response.json()["code"] == "site_not_found"
    assert not Patient.objects.exists()


def test_duplicate_mrn_at_the_site_is_409_mrn_taken(site, scheduler, patient, api_as):
    response = api_as(scheduler).post("patients", new_patient(site, mrn="mrn-001"))
    assert response.status_code == 409
    assert response.json()["code"] == "mrn_taken"
    assert Patient.objects.count() == 1


def test_the_same_mrn_may_be_used_at_another_site(site, other_site, outsider, patient, api_as):
    response = api_as(outsider).post("patients", new_patient(other_site, mrn=patient.mrn))
    assert response.status_code == 201


@pytest.mark.parametrize(
    ("overrides", "mentions"),
    [
        ({"given_name": "  "}, "given_name"),
        ({"mrn": ""}, "mrn"),
        ({"mrn": "X" * 33}, "mrn"),
        ({"date_of_birth": "1956-02-30"}, "date_of_birth"),
        ({"date_of_birth": "2999-01-01"}, "date_of_birth"),
        ({"email": "not-an-email"}, "email"),
        ({"site_id": None}, "site_id"),
    ],
)
def test_invalid_patients_are_422_and_write_nothing(overrides, mentions, site, scheduler, api_as):
    payload = {k: v for k, v in new_patient(site, **overrides).items() if v is not None}
    response = api_as(scheduler).post("patients", payload)
    assert response.status_code == 422, response.content
    assert response.json()["code"] == "invalid"
    assert mentions in response.json()["message"]
    assert not Patient.objects.exists()


# Read -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("persona", READERS)
def test_staff_of_the_site_read_a_patient(persona, patient, api_as, request):
    response = api_as(request.getfixturevalue(persona)).get(f"patients/{patient.pk}")
    assert response.status_code == 200
    assert response.json()["mrn"] == "MRN-001"
    assert set(response.json()) == PATIENT_FIELDS


def test_outsider_cannot_see_our_patient(patient, outsider, api_as):
    client = api_as(outsider)
    response = client.get(f"patients/{patient.pk}")
    assert response.status_code == 404
    assert response.json()["code"] == "patient_not_found"
    assert client.get("patients").json()["count"] == 0
    assert client.post("patients/search", {"q": "Example"}).json()["count"] == 0


def test_unknown_patient_is_404(site, scheduler, api_as):
    response = api_as(scheduler).get("patients/424242")
    assert response.status_code == 404
    assert response.json()["code"] == "patient_not_found"


def test_user_without_a_staff_role_gets_403(site, patient, api_as):
    client = api_as(make_user("rory", None, site))
    for response in (
        client.get("patients"),
        client.get(f"patients/{patient.pk}"),
        client.post("patients", new_patient(site)),
        client.patch(f"patients/{patient.pk}", {"phone": "1"}),
    ):
        assert response.status_code == 403
        assert response.json()["code"] == "role_forbidden"


def test_anonymous_gets_401_everywhere(site, patient, api_as):
    client = api_as(None)
    for response in (
        client.get("patients"),
        client.get(f"patients/{patient.pk}"),
        client.post("patients", new_patient(site)),
        client.patch(f"patients/{patient.pk}", {"phone": "1"}),
    ):
        assert response.status_code == 401
        assert response.json()["code"] == "unauthenticated"


# Search and pages -----------------------------------------------------------------------------


def test_search_matches_names_and_mrn_prefix(site, other_site, nurse, api_as):
    anne = make_patient(site, "A-100", given="Anne", family="Smith")
    john = make_patient(site, "A-200", given="John", family="Smithers")
    make_patient(site, "B-300", given="Maria", family="Lopez")
    make_patient(other_site, "A-101", given="Anne", family="Smith")
    client = api_as(nurse)

    def found(**params):
        response = client.post("patients/search", params)
        assert response.status_code == 200, response.content
        return [p["id"] for p in response.json()["items"]]

    assert found(q="smith") == [anne.pk, john.pk]
    assert found(q="ann smi") == [anne.pk]
    assert found(q="a-2") == [john.pk]
    assert found(q="A-100") == [anne.pk]
    assert found(q="100") == []  # MRNs match from the start only
    assert found(q="nobody") == []
    assert len(found()) == 3
    assert len(found(site_id=site.pk)) == 3


def test_search_by_another_sites_id_is_404(site, other_site, nurse, api_as):
    response = api_as(nurse).get("patients", site_id=other_site.pk)
    assert response.status_code == 404
    assert response.json()["code"] == "site_not_found"


def test_patients_are_paginated_with_a_bounded_page_size(site, scheduler, api_as):
    for i in range(5):
        make_patient(site, f"P-{i}", given="Pat", family=f"Family{i}")
    client = api_as(scheduler)

    page2 = client.get("patients", page=2, page_size=3).json()
    too_far = client.get("patients", page=3, page_size=3)
    too_big = client.get("patients", page_size=201)

    assert [p["family_name"] for p in page2["items"]] == ["Family3", "Family4"]
    assert (page2["count"], page2["pages"]) == (5, 2)
    assert too_far.status_code == 422
    assert too_far.json()["code"] == "page_out_of_range"
    assert too_big.status_code == 422
    assert "page_size" in too_big.json()["message"]


def test_overlong_search_is_422(site, scheduler, api_as):
    response = api_as(scheduler).post("patients/search", {"q": "x" * 101})
    assert response.status_code == 422
    assert "q" in response.json()["message"]


def test_search_text_in_the_url_is_refused_so_names_stay_out_of_access_logs(
    site, patient, scheduler, api_as
):
    response = api_as(scheduler).get("patients", q="Example")
    assert response.status_code == 422
    assert response.json()["code"] == "search_in_body"
    assert "POST /api/v1/patients/search" in response.json()["message"]


def test_search_pages_are_bounded(site, scheduler, api_as):
    for i in range(5):
        make_patient(site, f"P-{i}", given="Pat", family=f"Family{i}")
    client = api_as(scheduler)
    page2 = client.post("patients/search", {"q": "pat", "page": 2, "page_size": 3}).json()
    assert [p["family_name"] for p in page2["items"]] == ["Family3", "Family4"]
    assert (page2["count"], page2["pages"]) == (5, 2)
    too_far = client.post("patients/search", {"q": "pat", "page": 3, "page_size": 3})
    assert too_far.json()["code"] == "page_out_of_range"


# Update ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("persona", WRITERS)
def test_patch_changes_only_the_fields_sent(persona, patient, api_as, request):
    user = request.getfixturevalue(persona)
    before = Patient.objects.get(pk=patient.pk)

    response = api_as(user).patch(f"patients/{patient.pk}", {"phone": "555-0199"})

    assert response.status_code == 200, response.content
    after = Patient.objects.get(pk=patient.pk)
    assert after.phone == "555-0199"
    assert (after.mrn, after.given_name, after.family_name, after.date_of_birth) == (
        before.mrn,
        before.given_name,
        before.family_name,
        before.date_of_birth,
    )
    assert response.json()["phone"] == "555-0199"
    assert after.history.first().history_user == user


def test_patch_to_an_mrn_already_taken_is_409(site, patient, scheduler, api_as):
    other = make_patient(site, "MRN-002", given="Other", family="Person")
    response = api_as(scheduler).patch(f"patients/{other.pk}", {"mrn": "MRN-001"})
    assert response.status_code == 409
    assert response.json()["code"] == "mrn_taken"
    assert Patient.objects.get(pk=other.pk).mrn == "MRN-002"


def test_patch_keeping_its_own_mrn_is_fine(patient, scheduler, api_as):
    response = api_as(scheduler).patch(f"patients/{patient.pk}", {"mrn": "MRN-001"})
    assert response.status_code == 200


def test_nurse_cannot_change_a_patient(patient, nurse, api_as):
    response = api_as(nurse).patch(f"patients/{patient.pk}", {"phone": "1"})
    assert response.status_code == 403
    assert response.json()["code"] == "role_forbidden"
    assert Patient.objects.get(pk=patient.pk).phone == ""


def test_outsider_cannot_change_our_patient(patient, outsider, api_as):
    response = api_as(outsider).patch(f"patients/{patient.pk}", {"phone": "1"})
    assert response.status_code == 404
    assert Patient.objects.get(pk=patient.pk).phone == ""


@pytest.mark.parametrize(
    ("payload", "mentions"),
    [
        ({"family_name": ""}, "family_name"),
        ({"date_of_birth": "tomorrow"}, "date_of_birth"),
        ({"date_of_birth": "2999-01-01"}, "date_of_birth"),
        ({"email": "nope"}, "email"),
        ({"rems_enrolled": "perhaps"}, "rems_enrolled"),
    ],
)
def test_invalid_patch_is_422_and_changes_nothing(payload, mentions, patient, scheduler, api_as):
    response = api_as(scheduler).patch(f"patients/{patient.pk}", payload)
    assert response.status_code == 422, response.content
    assert mentions in response.json()["message"]
    after = Patient.objects.get(pk=patient.pk)
    assert (after.family_name, after.email, after.rems_enrolled) == ("Example", "", True)


def test_patch_cannot_move_a_patient_to_another_site(patient, other_site, admin_user, api_as):
    response = api_as(admin_user).patch(f"patients/{patient.pk}", {"site_id": other_site.pk})
    assert response.status_code == 422
    assert "site_id" in response.json()["message"]
    assert Patient.objects.get(pk=patient.pk).site_id == patient.site_id


def test_misspelt_fields_are_rejected_not_ignored(site, patient, scheduler, api_as):
    client = api_as(scheduler)
    created = client.post("patients", new_patient(site, telephone="555"))
    patched = client.patch(f"patients/{patient.pk}", {"familyname": "Other"})
    for response, field in ((created, "telephone"), (patched, "familyname")):
        assert response.status_code == 422
        assert field in response.json()["message"]
    assert Patient.objects.count() == 1


def test_empty_patch_changes_nothing_and_records_no_history(patient, scheduler, api_as):
    response = api_as(scheduler).patch(f"patients/{patient.pk}", {})
    assert response.status_code == 200
    assert response.json()["mrn"] == "MRN-001"
    assert patient.history.count() == 1


def test_a_duplicate_that_slips_past_the_check_is_still_409(
    site, patient, scheduler, api_as, monkeypatch
):
    """Two requests registering one MRN at once both pass the existence check; the database's
    unique constraint stops the second, and that must be a 409, not a 500."""
    from django.db.models.query import QuerySet

    monkeypatch.setattr(QuerySet, "exists", lambda self: False)

    response = api_as(scheduler).post("patients", new_patient(site, mrn=patient.mrn))

    assert response.status_code == 409, response.content
    assert response.json()["code"] == "mrn_taken"
    assert Patient.objects.filter(mrn=patient.mrn).count() == 1


@pytest.mark.parametrize("value", [0, 1, "true", "false"])
def test_rems_enrolled_is_a_json_boolean(api_as, scheduler, site, patient, value):
    # `0` was read as false, `"true"` as true.
    created = api_as(scheduler).post(
        "patients",
        {
            "site_id": site.pk,
            "mrn": "MRN-777",
            "given_name": "Ada",
            "family_name": "Lovelace",
            "date_of_birth": "1956-12-10",
            "rems_enrolled": value,
        },
    )
    assert created.status_code == 422 and "rems_enrolled: " in created.json()["message"]
    updated = api_as(scheduler).patch(f"patients/{patient.pk}", {"rems_enrolled": value})
    assert updated.status_code == 422 and "rems_enrolled: " in updated.json()["message"]


@pytest.mark.parametrize("value", [0, "0", 19561209])
def test_a_date_of_birth_is_written_yyyy_mm_dd(api_as, scheduler, patient, value):
    response = api_as(scheduler).patch(f"patients/{patient.pk}", {"date_of_birth": value})
    assert response.status_code == 422 and "YYYY-MM-DD" in response.json()["message"]


# Contact fields and the likely-duplicate rule (issue 18) ---------------------------------------


def test_contact_rems_and_companion_fields_are_stored_and_read_back(site, scheduler, api_as):
    client = api_as(scheduler)
    extra = {
        "phone": "+1 (212) 555-0100",
        "email": "grace@example.org",
        "preferred_contact": "text",
        "rems_enrolled": True,
        "rems_patient_id": " R-12345 ",
        "companion_name": "Ada Hopper",
        "companion_phone": "212 555 0111 ext. 4",
    }
    created = client.post("patients", new_patient(site, **extra))
    assert created.status_code == 201, created.content
    body = client.get(f"patients/{created.json()['id']}").json()
    assert {k: body[k] for k in extra} == {**extra, "rems_patient_id": "R-12345"}
    patched = client.patch(
        f"patients/{body['id']}", {"preferred_contact": "", "companion_name": ""}
    )
    assert patched.status_code == 200, patched.content
    assert (patched.json()["preferred_contact"], patched.json()["companion_name"]) == ("", "")


def test_same_names_and_birth_date_at_the_site_is_409_likely_duplicate(
    site, scheduler, patient, api_as
):
    # The fixture patient: Pat Example, born 17 May 1980, MRN-001. Another MRN, other case
    # and stray spaces: still the same person.
    response = api_as(scheduler).post(
        "patients",
        new_patient(
            site,
            mrn="MRN-555",
            given_name=" pat ",
            family_name="EXAMPLE",
            date_of_birth="1980-05-17",
        ),
    )
    assert response.status_code == 409, response.content
    body = response.json()
    assert body["code"] == "likely_duplicate"
    assert "MRN-001" in body["message"]
    assert body["details"] == {"patient_id": patient.pk, "mrn": "MRN-001"}
    assert Patient.objects.count() == 1


def test_a_duplicate_mrn_keeps_its_own_code_when_the_person_is_also_the_same(
    site, scheduler, patient, api_as
):
    response = api_as(scheduler).post(
        "patients",
        new_patient(
            site, mrn="mrn-001", given_name="Pat", family_name="Example", date_of_birth="1980-05-17"
        ),
    )
    assert response.status_code == 409
    assert response.json()["code"] == "mrn_taken"
    assert Patient.objects.count() == 1


@pytest.mark.parametrize(
    "overrides",
    [{"date_of_birth": "1980-05-18"}, {"given_name": "Patricia"}, {"family_name": "Examples"}],
)
def test_a_different_name_or_birth_date_is_another_person(
    overrides, site, scheduler, patient, api_as
):
    same = {"given_name": "Pat", "family_name": "Example", "date_of_birth": "1980-05-17"}
    payload = new_patient(site, **{**same, **overrides})
    assert api_as(scheduler).post("patients", payload).status_code == 201


def test_the_same_person_may_be_registered_at_another_site(other_site, outsider, patient, api_as):
    response = api_as(outsider).post(
        "patients",
        new_patient(
            other_site, given_name="Pat", family_name="Example", date_of_birth="1980-05-17"
        ),
    )
    assert response.status_code == 201, response.content


def test_patch_into_another_patients_names_and_birth_date_is_409(site, patient, scheduler, api_as):
    other = make_patient(site, "MRN-002", given="Pat", family="Exemple", born=dt.date(1980, 5, 17))
    response = api_as(scheduler).patch(f"patients/{other.pk}", {"family_name": "example"})
    assert response.status_code == 409
    assert response.json()["code"] == "likely_duplicate"
    assert "MRN-001" in response.json()["message"]
    assert Patient.objects.get(pk=other.pk).family_name == "Exemple"


def test_a_record_that_already_shares_a_name_and_birth_date_can_still_be_edited(
    site, patient, scheduler, api_as
):
    """Two records made before the rule (or by the admin): fixing the phone of one of them is
    no new duplicate, and re-sending its own names in another case is none either."""
    twin = make_patient(site, "MRN-002", given="Pat", family="Example", born=dt.date(1980, 5, 17))
    response = api_as(scheduler).patch(
        f"patients/{twin.pk}", {"phone": "555-0101", "given_name": "PAT"}
    )
    assert response.status_code == 200, response.content
    assert Patient.objects.get(pk=twin.pk).phone == "555-0101"


def test_a_rems_patient_id_needs_the_enrolment(site, scheduler, patient, api_as):
    client = api_as(scheduler)
    created = client.post("patients", new_patient(site, rems_patient_id="R-1"))
    assert created.status_code == 422
    assert created.json()["code"] == "rems_id_without_enrolment"
    assert Patient.objects.count() == 1
    # Enrolled without an id yet is allowed (the id follows from the enrolment form).
    assert client.patch(f"patients/{patient.pk}", {"rems_patient_id": "R-2"}).status_code == 200
    unticked = client.patch(f"patients/{patient.pk}", {"rems_enrolled": False})
    assert unticked.status_code == 422
    assert unticked.json()["code"] == "rems_id_without_enrolment"
    assert Patient.objects.get(pk=patient.pk).rems_enrolled is True


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"preferred_contact": "text"}, "preferred_contact"),
        ({"preferred_contact": "phone"}, "preferred_contact"),
        ({"preferred_contact": "email", "phone": "555-0100"}, "preferred_contact"),
    ],
)
def test_a_preferred_contact_needs_its_number_or_address(overrides, field, site, scheduler, api_as):
    response = api_as(scheduler).post("patients", new_patient(site, **overrides))
    assert response.status_code == 422
    assert response.json()["code"] == "contact_missing"
    assert response.json()["message"].startswith(f"{field}: ")
    assert not Patient.objects.exists()


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"phone": "call me"}, "phone"),
        ({"phone": "12"}, "phone"),
        ({"phone": "1" * 16}, "phone"),
        ({"companion_phone": "555-01OO"}, "companion_phone"),
        ({"preferred_contact": "pigeon"}, "preferred_contact"),
        ({"companion_name": "Ada\nHopper"}, "companion_name"),
    ],
)
def test_contact_fields_are_checked(overrides, field, site, scheduler, api_as):
    response = api_as(scheduler).post("patients", new_patient(site, **overrides))
    assert response.status_code == 422, response.content
    assert field in response.json()["message"]
    assert not Patient.objects.exists()
