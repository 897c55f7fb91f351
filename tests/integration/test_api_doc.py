#!/usr/bin/env python3
"""docs/api.md must describe the control API of proto/control.proto completely.

Standard library only; no daemon is started. A small proto3 parser reads the
schema (messages, nested messages, oneofs, enums; comments are skipped), and the
checker compares it with the document's sections:

- every field of the `Request.body` oneof (a JSON-RPC method) has a `### <method>`
  section, whose **Params** part names every field of the request message as
  `field` and whose **Reply** part names every field of the reply message (the
  `Response.body` field of the same name, and the messages nested in it), with a
  `>>` example line calling the method;
- every field of the `Event.kind` oneof has a `### event: <name>` section naming
  every field of the event's message, with a `<<` example line carrying it;
- no `### <method>` or `### event: <name>` section names something the schema
  lacks (a stale section);
- every shared type (a message that is not a request, reply or event) has a
  `### <Type>` section naming its fields, and every enum value appears as `VALUE`;
- every error code of include/inmost/status.h and daemon/codec/control/json_rpc.h is in
  the document with its JSON-RPC code.

Headings of the form `### lowercase_name` are method sections: the document must
not use such headings for anything else.
"""

import os
import re
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
PROTO_PATH = os.path.join(ROOT, "proto", "control.proto")
DOC_PATH = os.path.join(ROOT, "docs", "api.md")
STATUS_H_PATH = os.path.join(ROOT, "include", "inmost", "status.h")
JSON_RPC_H_PATH = os.path.join(ROOT, "daemon", "codec", "control", "json_rpc.h")
DOC_NAME = "docs/api.md"

# The messages that frame the API rather than being one of its types.
FRAMING_MESSAGES = {"Request", "Response", "Event", "ServerMessage", "Error"}


def read(path):
    with open(path, encoding="utf-8") as f:
        return f.read()


# ---- a small proto3 parser -------------------------------------------------------

class SchemaError(Exception):
    pass


_TOKEN = re.compile(r'\s+|//[^\n]*|/\*.*?\*/|("(?:[^"\\\n]|\\.)*"|\'(?:[^\'\\\n]|\\.)*\''
                    r'|[A-Za-z_][A-Za-z0-9_.]*|-?\d+|.)', re.S)


def tokenize(text):
    tokens = []
    for m in _TOKEN.finditer(text):
        if m.group(1) is not None:
            tokens.append(m.group(1))
    return tokens


class MessageDef:
    def __init__(self, name):
        self.name = name      # Qualified within the file: "Message.Envelope".
        self.fields = []      # (type, name), oneof members included, in order.
        self.oneofs = {}      # oneof name -> [(type, name)]
        self.nested = []      # Qualified names of the messages defined inside.


class Schema:
    """The messages and enums of one .proto file."""

    def __init__(self, text):
        self.messages = {}  # qualified name -> MessageDef
        self.enums = {}     # qualified name -> [value names]
        self._toks = tokenize(text)
        self._i = 0
        self._parse_file()

    # Token helpers.
    def _peek(self, ahead=0):
        j = self._i + ahead
        return self._toks[j] if j < len(self._toks) else None

    def _next(self):
        tok = self._peek()
        if tok is None:
            raise SchemaError("unexpected end of the schema")
        self._i += 1
        return tok

    def _expect(self, want):
        tok = self._next()
        if tok != want:
            context = " ".join(self._toks[max(0, self._i - 6):self._i + 3])
            raise SchemaError(f"expected {want!r}, found {tok!r} near: {context}")

    def _skip_statement(self):
        depth = 0
        while True:
            tok = self._next()
            if tok in ("{", "["):
                depth += 1
            elif tok in ("}", "]"):
                depth -= 1
                if depth == 0 and tok == "}":
                    return
            elif tok == ";" and depth == 0:
                return

    # Grammar.
    def _parse_file(self):
        while self._peek() is not None:
            tok = self._peek()
            if tok == "message":
                self._parse_message("")
            elif tok == "enum":
                self._parse_enum("")
            elif tok == ";":
                self._next()
            else:  # syntax, package, import, option, service, extend
                self._skip_statement()

    def _parse_message(self, scope):
        self._expect("message")
        name = self._next()
        qualified = f"{scope}.{name}" if scope else name
        msg = MessageDef(qualified)
        self.messages[qualified] = msg
        self._expect("{")
        while self._peek() != "}":
            tok = self._peek()
            if tok is None:
                raise SchemaError(f"message {qualified} is not closed")
            if tok == "message":
                nested = self._parse_message(qualified)
                msg.nested.append(nested.name)
            elif tok == "enum":
                self._parse_enum(qualified)
            elif tok == "oneof":
                self._next()
                oneof = self._next()
                self._expect("{")
                members = msg.oneofs.setdefault(oneof, [])
                while self._peek() != "}":
                    if self._peek() == "option":
                        self._skip_statement()
                        continue
                    field = self._parse_field()
                    members.append(field)
                    msg.fields.append(field)
                self._expect("}")
            elif tok in ("option", "reserved", "extensions", "extend"):
                self._skip_statement()
            elif tok == ";":
                self._next()
            else:
                msg.fields.append(self._parse_field())
        self._expect("}")
        return msg

    def _parse_enum(self, scope):
        self._expect("enum")
        name = self._next()
        qualified = f"{scope}.{name}" if scope else name
        values = self.enums.setdefault(qualified, [])
        self._expect("{")
        while self._peek() != "}":
            tok = self._peek()
            if tok in ("option", "reserved"):
                self._skip_statement()
            elif tok == ";":
                self._next()
            else:
                values.append(self._next())
                self._expect("=")
                self._next()  # The number.
                if self._peek() == "[":
                    while self._next() != "]":
                        pass
                self._expect(";")
        self._expect("}")

    def _parse_field(self):
        if self._peek() in ("repeated", "optional", "required"):
            self._next()
        ftype = self._next()
        if ftype == "map":
            self._expect("<")
            key = self._next()
            self._expect(",")
            value = self._next()
            self._expect(">")
            ftype = f"map<{key},{value}>"
        name = self._next()
        if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
            raise SchemaError(f"bad field name {name!r} (type {ftype})")
        self._expect("=")
        self._next()  # The field number.
        if self._peek() == "[":
            while self._next() != "]":
                pass
        self._expect(";")
        return (ftype, name)

    # Queries.
    def oneof(self, message, oneof):
        msg = self.messages.get(message)
        if msg is None or oneof not in msg.oneofs:
            raise SchemaError(f"the schema has no oneof {message}.{oneof}")
        return msg.oneofs[oneof]

    def resolve(self, type_name, scope=""):
        """The MessageDef named `type_name` as seen from message `scope`, or None."""
        type_name = type_name.lstrip(".")
        parts = scope.split(".") if scope else []
        while True:
            candidate = ".".join(parts + [type_name])
            if candidate in self.messages:
                return self.messages[candidate]
            if not parts:
                return None
            parts.pop()


# ---- the document ----------------------------------------------------------------

_HEADING = re.compile(r"^(#{1,6})[ \t]+(.*?)[ \t]*#*[ \t]*$")


def doc_sections(doc_text):
    """[(level, title, body)] for every heading outside fenced code blocks."""
    lines = doc_text.splitlines()
    heads = []
    fenced = False
    for n, line in enumerate(lines):
        if line.lstrip().startswith("```"):
            fenced = not fenced
            continue
        m = None if fenced else _HEADING.match(line)
        if m:
            heads.append((n, len(m.group(1)), m.group(2)))
    sections = []
    for k, (n, level, title) in enumerate(heads):
        end = len(lines)
        for n2, level2, _ in heads[k + 1:]:
            if level2 <= level:
                end = n2
                break
        sections.append((level, title, "\n".join(lines[n + 1:end])))
    return sections


def mentions(text, name):
    return f"`{name}`" in text


def split_params_reply(body):
    """The Params and Reply parts of a method section (None when a marker is missing)."""
    p = body.find("**Params**")
    r = body.find("**Reply**")
    if p < 0 or r < 0 or r < p:
        return None, None
    return body[p:r], body[r:]


# ---- the checker -------------------------------------------------------------------

def check_doc(proto_text, doc_text, status_h_text=None, json_rpc_h_text=None):
    """Every way the document falls short of the schema, as readable lines."""
    problems = []
    try:
        schema = Schema(proto_text)
        requests = schema.oneof("Request", "body")
        responses = schema.oneof("Response", "body")
        events = schema.oneof("Event", "kind")
    except SchemaError as e:
        return [f"cannot parse the schema: {e}"]

    methods, event_docs, type_docs = {}, {}, {}
    for level, title, body in doc_sections(doc_text):
        if level != 3:
            continue
        m = re.fullmatch(r"event:\s*([A-Za-z_][A-Za-z0-9_]*)", title)
        if m:
            event_docs[m.group(1)] = body
        elif re.fullmatch(r"[a-z][a-z0-9_]*", title):
            if title in methods:
                problems.append(f"{DOC_NAME} has two '### {title}' sections")
            methods[title] = body
        elif re.fullmatch(r"[A-Z][A-Za-z0-9_.]*", title):
            type_docs[title] = body

    reply_types = {name: ftype for ftype, name in responses}
    request_names = {name for _, name in requests}
    for name in sorted(request_names - set(reply_types)):
        problems.append(f"schema: request `{name}` has no reply in Response.body")

    # Requests.
    for ftype, name in requests:
        if name not in methods:
            problems.append(f"request `{name}` ({ftype}) is missing: {DOC_NAME} has no "
                            f"'### {name}' section")
            continue
        body = methods[name]
        params, reply = split_params_reply(body)
        if params is None:
            problems.append(f"'### {name}': needs a **Params** part followed by a **Reply** part")
            params = reply = body
        request_msg = schema.resolve(ftype, "Request")
        if request_msg is None:
            problems.append(f"schema: request `{name}` has type {ftype}, which is not defined")
        else:
            for _, field in request_msg.fields:
                if not mentions(params, field):
                    problems.append(f"'### {name}': params field `{field}` of {ftype} is not "
                                    f"mentioned in its Params part")
        reply_msg = schema.resolve(reply_types.get(name, ""), "Response")
        if reply_msg is not None:
            for msg in [reply_msg] + [schema.messages[n] for n in reply_msg.nested]:
                for _, field in msg.fields:
                    if not mentions(reply, field):
                        problems.append(f"'### {name}': reply field `{field}` of {msg.name} is "
                                        f"not mentioned in its Reply part")
        call = re.compile(r'^\s*>>.*"method"\s*:\s*"' + re.escape(name) + '"', re.M)
        if not call.search(body) or not re.search(r"^\s*<<", body, re.M):
            problems.append(f"'### {name}': needs an example exchange: a '>>' line calling "
                            f"\"method\":\"{name}\" and a '<<' line")
    for name in sorted(set(methods) - request_names):
        problems.append(f"{DOC_NAME} has a stale '### {name}' section: Request.body has no "
                        f"`{name}`")

    # Events.
    event_names = {name for _, name in events}
    for ftype, name in events:
        if name not in event_docs:
            problems.append(f"event `{name}` ({ftype}) is missing: {DOC_NAME} has no "
                            f"'### event: {name}' section")
            continue
        body = event_docs[name]
        event_msg = schema.resolve(ftype, "Event")
        if event_msg is None:
            problems.append(f"schema: event `{name}` has type {ftype}, which is not defined")
        else:
            for _, field in event_msg.fields:
                if not mentions(body, field):
                    problems.append(f"'### event: {name}': field `{field}` of {ftype} is not "
                                    f"mentioned")
        if not re.search(r'^\s*<<.*"' + re.escape(name) + r'"\s*:', body, re.M):
            problems.append(f"'### event: {name}': needs a '<<' example line carrying "
                            f"\"{name}\"")
    for name in sorted(set(event_docs) - event_names):
        problems.append(f"{DOC_NAME} has a stale '### event: {name}' section: Event.kind has "
                        f"no `{name}`")

    # Shared types: messages that are not framing, requests, replies or events.
    api_types = set()
    for scope, members in (("Request", requests), ("Response", responses), ("Event", events)):
        for ftype, _ in members:
            msg = schema.resolve(ftype, scope)
            if msg is not None:
                api_types.add(msg.name)
    for qualified, msg in schema.messages.items():
        top = qualified.split(".")[0]
        if top in FRAMING_MESSAGES or top in api_types:
            continue
        if qualified not in type_docs:
            problems.append(f"shared type {qualified} is missing: {DOC_NAME} has no "
                            f"'### {qualified}' section")
            continue
        for _, field in msg.fields:
            if not mentions(type_docs[qualified], field):
                problems.append(f"'### {qualified}': field `{field}` is not mentioned")

    for enum, values in schema.enums.items():
        for value in values:
            if not mentions(doc_text, value):
                problems.append(f"enum value `{value}` of {enum} is not in {DOC_NAME}")

    # Error codes.
    lines = doc_text.splitlines()

    def documented(code_name, number):
        return any(mentions(line, code_name) and re.search(rf"(?<![\d-]){number}(?!\d)", line)
                   for line in lines)

    base = 1000
    if json_rpc_h_text is not None:
        for name, value in re.findall(r"constexpr\s+int\s+kJsonRpc(\w+)\s*=\s*(-?\d+)\s*;",
                                      json_rpc_h_text):
            if name == "ApplicationErrorBase":
                base = int(value)
                continue
            code_name = re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()
            if not documented(code_name, int(value)):
                problems.append(f"JSON-RPC error `{code_name}` ({value}) is not in {DOC_NAME}")
    if status_h_text is not None:
        numbers = dict(re.findall(r"\b(k\w+)\s*=\s*(\d+)\s*,", status_h_text))
        names = dict(re.findall(r'case\s+Code::(k\w+)\s*:\s*return\s+"(\w+)"', status_h_text))
        if not numbers or not names:
            problems.append("cannot find the error codes in include/inmost/status.h")
        for constant, number in numbers.items():
            if int(number) == 0:
                continue
            code_name = names.get(constant, constant)
            if not documented(code_name, base + int(number)):
                problems.append(f"error `{code_name}` ({number}, JSON-RPC {base + int(number)}) "
                                f"is not in {DOC_NAME}")
    return problems


# ---- the tests ---------------------------------------------------------------------

def with_extra_oneof_member(proto_text, message, oneof, member):
    """The schema text with `member` added at the start of `message`'s `oneof`."""
    start = proto_text.index(f"message {message} {{")
    at = proto_text.index(f"oneof {oneof} {{", start) + len(f"oneof {oneof} {{")
    return proto_text[:at] + f"\n    {member}" + proto_text[at:]


def with_extra_field(proto_text, message, field):
    start = proto_text.index(f"message {message} {{") + len(f"message {message} {{")
    return proto_text[:start] + f"\n  {field}" + proto_text[start:]


class ApiDocTest(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        cls.proto = read(PROTO_PATH)
        cls.doc = read(DOC_PATH)
        cls.status_h = read(STATUS_H_PATH)
        cls.json_rpc_h = read(JSON_RPC_H_PATH)

    def check(self, proto=None, doc=None):
        return check_doc(self.proto if proto is None else proto,
                         self.doc if doc is None else doc, self.status_h, self.json_rpc_h)

    def assertReports(self, problems, *words):
        hits = [p for p in problems if all(w in p for w in words)]
        self.assertTrue(hits, f"the checker should report {words}; it reported:\n" +
                        "\n".join(problems))

    def test_the_document_covers_the_schema(self):
        problems = self.check()
        if problems:
            self.fail(f"{DOC_NAME} does not match proto/control.proto ({len(problems)} "
                      "problems):\n  " + "\n  ".join(problems))

    def test_the_parser_sees_the_schema(self):
        # Guards against a parser that finds nothing and so checks nothing.
        schema = Schema(self.proto)
        requests = [name for _, name in schema.oneof("Request", "body")]
        replies = [name for _, name in schema.oneof("Response", "body")]
        events = [name for _, name in schema.oneof("Event", "kind")]
        for name in ("status", "send", "mark_read", "subscribe"):
            self.assertIn(name, requests)
        self.assertEqual(sorted(requests), sorted(replies))
        self.assertIn("message_received", events)
        self.assertIn("text", [f for _, f in schema.messages["SendRequest"].fields])
        self.assertIn("Message.Envelope", schema.messages)
        self.assertIn("SEALED", schema.enums["Message.Envelope.Kind"])
        self.assertIn("ConfigReply.Setting", schema.messages["ConfigReply"].nested)

    def test_a_new_request_without_a_section_fails(self):
        proto = with_extra_oneof_member(self.proto, "Request", "body", "FooRequest foo = 99;")
        self.assertIn("foo", [name for _, name in Schema(proto).oneof("Request", "body")])
        problems = self.check(proto=proto)
        self.assertReports(problems, "`foo`", "missing", "### foo")

    def test_a_new_event_without_a_section_fails(self):
        proto = with_extra_oneof_member(self.proto, "Event", "kind", "LinkUp reconnected = 99;")
        self.assertReports(self.check(proto=proto), "`reconnected`", "missing")

    def test_a_new_request_field_not_in_its_section_fails(self):
        proto = with_extra_field(self.proto, "SendRequest", "bool sparkle = 99;")
        self.assertReports(self.check(proto=proto), "### send", "`sparkle`")

    def test_a_new_reply_field_not_in_its_section_fails(self):
        proto = with_extra_field(self.proto, "SearchReply", "uint64 skipped = 99;")
        self.assertReports(self.check(proto=proto), "### search", "`skipped`")

    def test_a_stale_section_fails(self):
        doc = self.doc.replace("## Events", "### frobnicate\n\nGone.\n\n## Events", 1)
        self.assertReports(self.check(doc=doc), "stale", "### frobnicate")
        doc = self.doc.replace("## Shared types", "### event: vanished\n\nGone.\n\n"
                               "## Shared types", 1)
        self.assertReports(self.check(doc=doc), "stale", "event: vanished")

    def test_a_missing_section_fails(self):
        doc = self.doc.replace("### mark_read\n", "### mark_read_renamed\n", 1)
        problems = self.check(doc=doc)
        self.assertReports(problems, "`mark_read`", "missing")
        self.assertReports(problems, "stale", "mark_read_renamed")

    def test_a_new_error_code_fails(self):
        status_h = self.status_h.replace(
            "  kUnavailable = 12,",
            "  kUnavailable = 12,\n  kOverwhelmed = 13,").replace(
            '    case Code::kUnavailable:\n      return "unavailable";',
            '    case Code::kUnavailable:\n      return "unavailable";\n'
            '    case Code::kOverwhelmed:\n      return "overwhelmed";')
        self.assertIn("kOverwhelmed", status_h)
        problems = check_doc(self.proto, self.doc, status_h, self.json_rpc_h)
        self.assertReports(problems, "`overwhelmed`", "1013")


if __name__ == "__main__":
    unittest.main()
