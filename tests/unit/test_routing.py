"""The router: literal paths first, then templates in declaration order."""

from __future__ import annotations

from taskmock._http.routing import Route, Router

ROUTES = [
    Route("GET", "/api/jobs/", "list"),
    Route("GET", "/api/jobs/from-url/", "literal-beside-template"),
    Route("GET", "/api/jobs/{id}/", "job"),
    Route("DELETE", "/api/jobs/{id}/", "stop"),
    Route("GET", "/api/{kind}/{id}/", "any-kind"),
    Route("GET", "/{tenant}/files/{name}", "tenant-file"),
    Route("GET", "/kokoon/api/sr/v4/task/{tid}", "kokoon-task"),
]
ROUTER = Router(ROUTES)


def target(method: str, path: str) -> tuple[str, dict[str, str]] | None:
    found = ROUTER.match(method, path)
    return (found.route.target, found.params) if found else None


def test_literal_paths_win_and_are_never_taken_for_a_parameter() -> None:
    assert target("GET", "/api/jobs/") == ("list", {})
    assert target("GET", "/api/jobs/from-url/") == ("literal-beside-template", {})
    assert target("DELETE", "/api/jobs/from-url/") is None


def test_templates_match_in_declaration_order_per_method() -> None:
    assert target("GET", "/api/jobs/7/") == ("job", {"id": "7"})
    assert target("DELETE", "/api/jobs/7/") == ("stop", {"id": "7"})
    assert target("GET", "/api/videos/7/") == ("any-kind", {"kind": "videos", "id": "7"})
    assert target("GET", "/kokoon/api/sr/v4/task/abc") == ("kokoon-task", {"tid": "abc"})


def test_a_template_that_starts_with_a_parameter_matches_under_any_first_segment() -> None:
    assert target("GET", "/acme/files/a.mp4") == (
        "tenant-file",
        {"tenant": "acme", "name": "a.mp4"},
    )
    assert target("GET", "/api/files/a.mp4") == ("tenant-file", {"tenant": "api", "name": "a.mp4"})
    assert target("GET", "/kokoon/files/x") == ("tenant-file", {"tenant": "kokoon", "name": "x"})


def test_no_match_and_its_hints() -> None:
    assert target("POST", "/api/jobs/7/") is None
    assert target("GET", "/nothing/here") is None
    assert target("GET", "/") is None
    assert ROUTER.methods_for("/api/jobs/7/") == ["DELETE", "GET", "HEAD"]
    assert ROUTER.nearest("GET", "/api/jobz/7/") == "GET /api/jobs/{id}/"


def test_a_parameter_that_spans_segments_matches_after_the_narrower_routes() -> None:
    router = Router(
        [
            Route("POST", "/q/{queue}/{route}", "submit", frozenset({"route"})),
            Route("POST", "/q/{queue}/jobs/{job}", "narrower"),
        ]
    )
    found = router.match("POST", "/q/main/stills/hd/4k")
    assert found is not None
    assert (found.route.target, dict(found.params)) == (
        "submit",
        {"queue": "main", "route": "stills/hd/4k"},
    )
    narrower = router.match("POST", "/q/main/jobs/7")  # declared second, tried first
    assert narrower is not None
    assert narrower.route.target == "narrower"
    one = router.match("POST", "/q/main/stills")
    assert one is not None
    assert one.params["route"] == "stills"
    assert router.match("POST", "/q/main/stills//hd") is None  # no empty segment
    assert router.match("POST", "/q/main/stills/") is None
    assert router.match("POST", "/q/main") is None


def test_an_ordinary_parameter_still_matches_one_segment() -> None:
    assert target("GET", "/api/jobs/7/8/") is None
    assert Route("GET", "/a/{x}", "t").compile().pattern == r"/a/(?P<x>[^/]+)$"


def test_a_spanning_parameter_never_takes_a_path_another_route_names() -> None:
    router = Router(
        [
            Route("POST", "/q/{queue}/{route}", "submit", frozenset({"route"})),
            Route("GET", "/q/{queue}/jobs/{job}", "job"),
        ]
    )
    assert router.match("POST", "/q/main/jobs/7") is None  # the job's URL, not a route name
    assert router.methods_for("/q/main/jobs/7") == ["GET", "HEAD"]  # so: 405, Allow: GET
    found = router.match("POST", "/q/main/jobs/7/more")
    assert found is not None
    assert found.params["route"] == "jobs/7/more"
    assert router.methods_for("/q/main/stills/hd") == ["POST"]


def test_a_custom_method_colon_also_matches_its_escape() -> None:
    router = Router([Route("POST", "/v1/models/{model}:generate", "gen")])
    for path in (
        "/v1/models/m-1:generate",
        "/v1/models/m-1%3Agenerate",
        "/v1/models/m-1%3agenerate",
    ):
        found = router.match("POST", path)
        assert found is not None, path
        assert found.params == {"model": "m-1"}
    assert router.match("POST", "/v1/models/m-1%3Bgenerate") is None
