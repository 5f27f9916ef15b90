"""A conformance testee over openapi-python-client's code generated from
openapi.yaml: one JSON line in per case, the call made through the
generated client, one JSON line out (the protocol: "Testing your SDK" in
tests/vectors/README.md). Usage: python testee.py CLIENT_DIR"""

import importlib, inspect, json, pkgutil, sys

sys.path.insert(0, sys.argv[1])
import openscaler_client.api as api  # noqa: E402
from openscaler_client import AuthenticatedClient  # noqa: E402

modules = {m.name.rsplit(".", 1)[1]: m.name for m in pkgutil.walk_packages(api.__path__, "openscaler_client.api.") if not m.ispkg}
print(json.dumps({"hello": {"sdk": "openapi-python-client 0.29.1", "features": ["forward-compat"],
                            "operations": sorted(modules)}}), flush=True)


def call(case):
    client = AuthenticatedClient(base_url=case["base_url"], token=case["token"])
    function = importlib.import_module(modules[case["operation"]]).sync_detailed
    kwargs = {name.lower().replace("-", "_"): value for group in case["params"].values() for name, value in group.items()}
    try:  # the generated model raises on input it cannot hold
        if "body" in case:
            kwargs["body"] = inspect.signature(function).parameters["body"].annotation.from_dict(case["body"])
    except Exception as e:
        return {"error": {"class": "invalid_input", "message": f"{type(e).__name__}: {e}", "attempts": 0}}
    try:  # and on an answer it cannot parse
        answer = function(client=client, **kwargs)
    except Exception as e:
        return {"error": {"class": "invalid_response", "message": f"{type(e).__name__}: {e}", "attempts": 1}}
    parsed = answer.parsed.to_dict() if hasattr(answer.parsed, "to_dict") else answer.parsed
    if answer.status_code < 400:
        return {"ok": parsed}
    return {"error": {"class": "status", "status": int(answer.status_code), "attempts": 1,
                      "message": (parsed or {}).get("message"), "request_id": answer.headers.get("x-request-id"),
                      "excerpt": answer.content.decode(errors="replace")[:200]}}


for line in sys.stdin:
    case = json.loads(line)
    print(json.dumps({"case": case["case"], **call(case)}), flush=True)
