#!/usr/bin/python3
"""docs/config.schema.json, the JSON Schema of `krtool serve --config`, against the reader it describes
(lib/src/server/serve_config.cpp): every sample configuration (the docs' ```json file= blocks that a
`--config` uses, the fuzz corpus, samples/) is valid under the schema and read by krtool; each object
of the schema has exactly the keys krtool accepts there, read back from krtool's own "unknown key"
errors; the enumerated words of the schema are accepted; and krtool's errors name a key by the same
path as a schema validator does (https.handshakeTimeout, schemes[1].revocationMode, routes[1].status).
Needs python3-jsonschema (scripts/bootstrap installs it).
"""

import glob
import json
import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from krtool_e2e import KRTOOL, Suite, shorten  # noqa: E402

import jsonschema  # noqa: E402

ROOT = os.environ.get("KRTOOL_SOURCE_DIR") or os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
SCHEMA_FILE = os.path.join(ROOT, "docs", "config.schema.json")
PROBE = "krtoolSchemaProbe"

suite = Suite("config_schema_test")
W = suite.work

with open(SCHEMA_FILE) as f:
    SCHEMA = json.load(f)
VALIDATOR = jsonschema.Draft202012Validator(SCHEMA)


def resolve(node):
    """The schema object `node` stands for, following a local $ref."""
    while "$ref" in node:
        node = SCHEMA["$defs"][node["$ref"].rsplit("/", 1)[1]]
    return node


def dotted(path):
    """A validator's error path in krtool's spelling: keys joined with dots, indexes as [i]."""
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else part)
    return out


def every_error(errors):
    """The errors and those under them (a oneOf's reasons for each alternative)."""
    for error in errors:
        yield error
        yield from every_error(error.context)


def strip_comments(text):
    """JSON with // and /* */ comments (which krtool allows) as plain JSON; strings are kept whole."""
    return re.sub(r'("(?:\\.|[^"\\])*")|//[^\n]*|/\*.*?\*/', lambda m: m.group(1) or "", text, flags=re.S)


def serve_config(document, name="config.json", timeout=15):
    """Runs `krtool serve --config` on `document`; (exit code, stderr). A configuration that krtool
    accepts whole starts a server, which is stopped: its exit code is then None."""
    path = os.path.join(W, name)
    with open(path, "w") as f:
        f.write(document if isinstance(document, str) else json.dumps(document))
    process = subprocess.Popen([KRTOOL, "serve", "--config", path, "--port", "0"], cwd=W, text=True,
                               stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        _, err = process.communicate(timeout=timeout)
        return process.returncode, err
    except subprocess.TimeoutExpired:
        process.kill()
        _, err = process.communicate()
        return None, err


def sample_configs():
    """(name, text) of every sample configuration."""
    samples = []
    for doc in ["README.md"] + sorted(glob.glob(os.path.join(ROOT, "docs", "*.md"))):
        with open(os.path.join(ROOT, doc)) as f:
            text = f.read()
        for match in re.finditer(r"^```json file=(\S+)\n(.*?)^```", text, flags=re.S | re.M):
            if re.search(rf"--config\s+{re.escape(match.group(1))}\b", text):
                samples.append((f"{os.path.basename(doc)}: {match.group(1)}", match.group(2)))
    for pattern in ("fuzz/corpus/serve_config/*.json", "samples/**/*.json"):
        for path in sorted(glob.glob(os.path.join(ROOT, pattern), recursive=True)):
            with open(path) as f:
                samples.append((os.path.relpath(path, ROOT), f.read()))
    return samples


def test_schema_is_valid():
    try:
        jsonschema.Draft202012Validator.check_schema(SCHEMA)
        suite.check(True, "the schema is a valid draft 2020-12 schema")
    except jsonschema.SchemaError as e:
        suite.check(False, "the schema is a valid draft 2020-12 schema", str(e))


def test_samples():
    samples = sample_configs()
    suite.check(len(samples) >= 3, "found the sample configurations", [name for name, _ in samples])
    for name, text in samples:
        document = json.loads(strip_comments(text))
        errors = [f"{dotted(e.absolute_path)}: {e.message}" for e in VALIDATOR.iter_errors(document)]
        suite.check(not errors, f"{name} is valid under the schema", "; ".join(errors))
        _, err = serve_config(text)
        suite.check("unknown key" not in err and " must be " not in err, f"{name}: krtool reads every key",
                    shorten(err))


# The objects of the schema, by where krtool's reader meets them, and how to put a key there.
OBJECTS = [
    ("", "properties", lambda key: {key: 1}),
    ("endpoint", "endpoint", lambda key: {"endpoint": {key: 1}}),
    ("https", "https", lambda key: {"https": {key: 1}}),
    ("schemes[0]", "scheme", lambda key: {"schemes": [{key: 1}]}),
    ("routes[0]", "route", lambda key: {"routes": [{"path": "/x", key: 1}]}),
]


def test_keys_both_ways():
    """krtool's error for an unknown key lists the keys it accepts in that object: they must be the
    schema's, and the path it names must be the schema's."""
    for path, definition, place in OBJECTS:
        node = SCHEMA if definition == "properties" else resolve(SCHEMA["$defs"][definition])
        schema_keys = set(node["properties"])
        rc, err = serve_config(place(PROBE))
        where = path or "the top level"
        suite.eq(rc, 2, f"{where}: an unknown key is refused")
        expected = f"unknown key '{path + '.' if path else ''}{PROBE}'"
        suite.contains(err, expected, f"{where}: the error names the key's path as the schema does")
        listed = re.search(r" are: (.*)$", err, flags=re.M)
        if suite.check(listed is not None, f"{where}: the hint lists the keys", shorten(err)):
            krtool_keys = {key.strip() for key in listed.group(1).split(",")}
            suite.eq(sorted(krtool_keys - schema_keys), [], f"{where}: every key krtool reads is in the schema")
            suite.eq(sorted(schema_keys - krtool_keys), [], f"{where}: every key of the schema is read by krtool")
        invalid = [e for e in VALIDATOR.iter_errors(place(PROBE))]
        suite.check(invalid, f"{where}: the schema refuses an unknown key too")


def test_enumerated_words():
    """Every word of an enumeration is accepted: the configuration gets past it to a probe key at its end."""
    https = resolve(SCHEMA["$defs"]["https"])["properties"]
    scheme = resolve(SCHEMA["$defs"]["scheme"])["properties"]
    cases = [("https", "clientCertificateMode", word) for word in https["clientCertificateMode"]["enum"]]
    cases += [("https", "clientCertificateValidation", word) for word in https["clientCertificateValidation"]["enum"]]
    cases += [("https", "clientCertificateValidationLanguage", word)
              for word in https["clientCertificateValidationLanguage"]["enum"]]
    cases += [("schemes", key, word) for key in ("allowedCertificateTypes", "revocationMode")
              for word in scheme[key]["enum"]]
    cases += [("", "logFormat", word) for word in SCHEMA["properties"]["logFormat"]["enum"]]
    for where, key, word in cases:
        if where == "https":
            document = {"https": {key: word}}
        elif where == "schemes":
            document = {"schemes": [{key: word}]}
        else:
            document = {key: word}
        document["routes"] = [{"path": "/x", PROBE: 1}]
        suite.eq(list(VALIDATOR.iter_errors({k: v for k, v in document.items() if k != "routes"})), [],
                 f"{key} {word}: valid under the schema")
        _, err = serve_config(document)
        suite.contains(err, f"unknown key 'routes[0].{PROBE}'", f"{key} {word}: krtool accepts the word")


def test_error_paths():
    """A value of the wrong type or out of range: krtool names the path a schema validator names."""
    cases = [
        {"https": {"handshakeTimeout": "ten"}},
        {"endpoint": {"port": 70000}},
        {"https": {"trustCa": "ca.pem"}},
        {"schemes": [{"name": "A"}, {"revocationMode": "sometimes"}]},
        {"schemes": [{"validateCertificateUse": "no"}]},
        {"routes": ["GET /a", {"path": "/b", "status": "gone"}]},
        {"maxConnections": 0},
        {"logFormat": "xml"},
    ]
    for document in cases:
        errors = list(VALIDATOR.iter_errors(document))
        if not suite.check(errors, f"{json.dumps(document)}: the schema refuses it"):
            continue
        path = dotted(max(every_error(errors), key=lambda e: len(e.absolute_path)).absolute_path)
        rc, err = serve_config(document)
        suite.eq(rc, 2, f"{path}: krtool refuses it")
        suite.contains(err, f"'{path}'", f"{path}: krtool's error names the schema's path")


def main():
    tests = [test_schema_is_valid, test_samples, test_keys_both_ways, test_enumerated_words, test_error_paths]
    return suite.run([(test.__name__, test) for test in tests], sys.argv[1:])


if __name__ == "__main__":
    sys.exit(main())
