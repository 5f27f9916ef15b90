"""A client no one here wrote, against the sandbox: openapi-python-client's
code generated from tests/evolution/all.yaml (a future spec, not the
vendor's) calls every operation of it; each answer must parse into the
generated types as the spec declares them (raise_on_unexpected_status: an
undeclared status fails). Run by sandbox/tests/generated/run.sh."""

import sys
import uuid

sys.path.insert(0, sys.argv[2])

from openscaler_client import AuthenticatedClient  # noqa: E402
from openscaler_client.api.backends import (  # noqa: E402
    create_backend,
    delete_backend,
    drain_backend,
    get_backend,
    list_backends,
    update_backend,
)
from openscaler_client.api.load_balancers import get_load_balancer, list_load_balancers  # noqa: E402
from openscaler_client.models import Backend, BackendList, Error, LoadBalancer  # noqa: E402

client = AuthenticatedClient(base_url=sys.argv[1], token="<token>", raise_on_unexpected_status=True)
checks = 0


def check(what, condition):
    global checks
    if not condition:
        sys.exit(f"FAILED: {what}")
    checks += 1
    print(f"ok: {what}")


def backend(name, **more):
    body = {
        "name": name, "mode": "udp", "balancing_method": "source", "port": "8080",
        "servers": {"type": "dns", "hostnames": ["a.example"]},
        "description": "made by a generated client",
    }
    body.update(more)
    return Backend.from_dict(body)


# The page's backend is there from the start.
got = get_backend.sync_detailed("42", "my-backend", client=client)
check("get_backend 200 parses into Backend", got.status_code == 200 and isinstance(got.parsed, Backend))
check("the page's backend is stored as my-backend", got.parsed.name == "my-backend")

key = str(uuid.uuid4())
made = create_backend.sync_detailed("7", client=client, body=backend("b"), idempotency_key=key)
check("create_backend 201 parses into Backend", made.status_code == 201 and isinstance(made.parsed, Backend))
check("the created value is the one sent", made.parsed.to_dict() == backend("b").to_dict())
again = create_backend.sync_detailed("7", client=client, body=backend("b"), idempotency_key=key)
check("a repeat with the same key gets the first answer",
      again.status_code == 201 and again.headers.get("idempotent-replayed") == "true")
other = create_backend.sync_detailed("7", client=client, body=backend("c"), idempotency_key=key)
check("the same key with another body is a 4XX Error", other.status_code == 422 and isinstance(other.parsed, Error))
for name in ["a", "c"]:
    create_backend.sync_detailed("7", client=client, body=backend(name))
dup = create_backend.sync_detailed("7", client=client, body=backend("a"))
check("a name that exists is a 409 Error", dup.status_code == 409 and isinstance(dup.parsed, Error))

page = list_backends.sync_detailed("7", client=client, limit=2)
check("list_backends 200 parses into BackendList", isinstance(page.parsed, BackendList))
check("the first page has a and b, and a cursor",
      [b.name for b in page.parsed.backends] == ["a", "b"] and page.parsed.next_cursor == "b")
rest = list_backends.sync_detailed("7", client=client, limit=2, cursor=page.parsed.next_cursor)
check("the last page has c and a null cursor",
      [b.name for b in rest.parsed.backends] == ["c"] and rest.parsed.next_cursor is None)
bad = list_backends.sync_detailed("7", client=client, limit=0)
check("limit=0 is a 400 Error naming limit", bad.status_code == 400 and "limit" in bad.parsed.message)

renamed = update_backend.sync_detailed("7", "c", client=client, body=backend("d"))
check("update_backend renames c to d", renamed.status_code == 200 and renamed.parsed.name == "d")
check("drain_backend answers 202", drain_backend.sync_detailed("7", "d", client=client).status_code == 202)
gone = drain_backend.sync_detailed("7", "c", client=client)
check("drain of a backend not stored is a 404 Error", gone.status_code == 404 and isinstance(gone.parsed, Error))
check("delete_backend answers 204", delete_backend.sync_detailed("7", "d", client=client).status_code == 204)
missing = get_backend.sync_detailed("7", "d", client=client)
check("a deleted backend is a 404 Error", missing.status_code == 404 and isinstance(missing.parsed, Error))

lbs = list_load_balancers.sync_detailed(client=client)
check("list_load_balancers parses into a list of LoadBalancer",
      lbs.status_code == 200 and all(isinstance(lb, LoadBalancer) for lb in lbs.parsed) and len(lbs.parsed) == 1)
one = get_load_balancer.sync_detailed("42", client=client)
check("get_load_balancer parses into LoadBalancer", isinstance(one.parsed, LoadBalancer))

print(f"{checks} passed, 0 failed")
