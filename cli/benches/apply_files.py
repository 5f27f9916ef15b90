#!/usr/bin/env python3
"""Files for measuring `openscaler apply` at scale (BENCHMARKS.md, "apply at
scale"): N entries over 100 load balancers, each the page's example body
under its own name, with a port and a health-check path of its own.

    cli/benches/apply_files.py N DIR BASE_URL

writes, in DIR:
- apply-N.yaml: the entries in block YAML, as the README shows the format;
- apply-N.json: the same document as JSON, indented by two;
- state-N.json: the sandbox's --state, every backend stored as the page's;
- curl-N.txt: one line per entry for `xargs -P 8 -L 1 curl ...`: the URL,
  then `-d` and the body, quoted for xargs.
"""

import json
import os
import sys


def page_body():
    here = os.path.dirname(os.path.abspath(__file__))
    with open(os.path.join(here, "..", "..", "tests", "fixtures", "update-backend.json")) as f:
        return json.load(f)["body"]


def main():
    n, out_dir, base_url = int(sys.argv[1]), sys.argv[2], sys.argv[3].rstrip("/")
    page = page_body()
    entries, state = [], {}
    for i in range(n):
        lb_id, name = f"lb-{i % 100}", f"web-{i}"
        backend = json.loads(json.dumps(page))
        backend["name"] = name
        backend["port"] = 10000 + i % 50000
        backend["options"]["health_check"]["path"] = f"/e/{i}"
        entries.append({"lb_id": lb_id, "backend_name": name, "backend": backend})
        stored = json.loads(json.dumps(page))
        stored["name"] = name
        state.setdefault(lb_id, {})[name] = stored
    os.makedirs(out_dir, exist_ok=True)
    with open(os.path.join(out_dir, f"apply-{n}.json"), "w") as f:
        json.dump({"backends": entries}, f, indent=2)
        f.write("\n")
    with open(os.path.join(out_dir, f"state-{n}.json"), "w") as f:
        json.dump(state, f)
    with open(os.path.join(out_dir, f"apply-{n}.yaml"), "w") as f:
        f.write("backends:\n")
        for e in entries:
            f.write(yaml_entry(e))
    with open(os.path.join(out_dir, f"curl-{n}.txt"), "w") as f:
        for e in entries:
            url = f"{base_url}/v1/lbs/{e['lb_id']}/backends/{e['backend_name']}"
            body = json.dumps(e["backend"], separators=(",", ":"))
            assert "'" not in body
            f.write(f"{url} -d '{body}'\n")


def yaml_entry(entry):
    """One list item in block YAML (the bodies hold only plain scalars,
    quoted where YAML would read them otherwise)."""
    lines = [f"  - lb_id: {entry['lb_id']}", f"    backend_name: {entry['backend_name']}", "    backend:"]
    lines += yaml_block(entry["backend"], 6)
    return "\n".join(lines) + "\n"


def yaml_block(value, indent):
    pad = " " * indent
    out = []
    for key, item in value.items():
        if isinstance(item, dict):
            out.append(f"{pad}{key}:")
            out += yaml_block(item, indent + 2)
        elif isinstance(item, list):
            out.append(f"{pad}{key}:")
            out += [f"{pad}  - {scalar(x)}" for x in item]
        else:
            out.append(f"{pad}{key}: {scalar(item)}")
    return out


def scalar(value):
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    return json.dumps(value)  # a double-quoted YAML string


if __name__ == "__main__":
    main()
