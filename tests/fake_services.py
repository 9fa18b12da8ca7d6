"""Slack and Discord incoming webhooks as pure validators, and replies for ``tests.receiver``.

What each service refuses is derived from its published reference, not from our renderers
(the constants below are written out again on purpose, so that a renderer that drifts from
the reference is caught):

- Slack: Block Kit reference (docs.slack.dev/reference/block-kit/...): up to 50 blocks in a
  message; a text object's text is 1..3000 characters and its type plain_text or mrkdwn;
  a section needs text or fields (up to 10, each up to 2000); a context block has 1..10
  elements; a header's plain_text up to 150; block_id up to 255. Incoming-webhook answers
  (api.slack.com/changelog/2016-05-17-changes-to-errors-for-incoming-webhooks, and the
  incoming-webhooks guide's error list): 400 with a plain-text body such as
  ``invalid_payload``, ``no_text`` or ``invalid_blocks``; 200 ``ok`` on success.
- Discord: github.com/discord/discord-api-docs (resources/webhook "Execute Webhook",
  resources/message "Embed Limits", topics/opcodes-and-status-codes, topics/rate-limits,
  reference "Error Messages") and the OpenAPI spec github.com/discord/discord-api-spec
  (RichEmbed, RichEmbedField, IncomingWebhookRequestPartial). Lengths are measured after
  trimming, as "Embed Limits" says. Success is 204 No Content unless ``?wait=true``.
- SendGrid v3 Mail Send (POST /v3/mail/send): the OpenAPI spec github.com/twilio/sendgrid-oai
  (spec/yaml/tsg_mail_v3.yaml, read 2026: securitySchemes BearerAuth; requestBodies
  PostMailSend: personalizations 1..1000 each with a required ``to``, from.email required,
  subject and content[].type/value minLength 1, categories up to 10 unique of at most 255;
  responses 202 "Accepted" with no body, ErrorResponse ``{"errors": [{"message", "field",
  "help"}]}``, 401 "authorization required") and the error list
  twilio.com/docs/sendgrid/api-reference/mail-send/errors (the messages below: subject
  required "unless ... a template with a subject defined or ... every personalization has a
  subject", content required unless a template_id, text/plain before text/html, no ";" or
  CRLF in a content type, 1000 recipients in all, an address once per personalization).
"""

from __future__ import annotations

import json
import math
import re
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlsplit

from tests.receiver import ReceivedRequest, Receiver, Reply

SLACK_BLOCKS_MAX = 50
SLACK_TEXT_OBJECT_MAX = 3000
SLACK_SECTION_FIELDS_MAX = 10
SLACK_SECTION_FIELD_TEXT_MAX = 2000
SLACK_CONTEXT_ELEMENTS_MAX = 10
SLACK_HEADER_TEXT_MAX = 150
SLACK_BLOCK_ID_MAX = 255
SLACK_TEXT_TRUNCATED_AT = 40_000  # not refused: Slack cuts the text there
SLACK_BLOCK_TYPES = {
    "actions",
    "context",
    "divider",
    "file",
    "header",
    "image",
    "input",
    "markdown",
    "rich_text",
    "section",
    "video",
}

DISCORD_CONTENT_MAX = 2000
DISCORD_EMBEDS_MAX = 10
DISCORD_TITLE_MAX = 256
DISCORD_DESCRIPTION_MAX = 4096
DISCORD_FIELDS_MAX = 25
DISCORD_FIELD_NAME_MAX = 256
DISCORD_FIELD_VALUE_MAX = 1024
DISCORD_FOOTER_MAX = 2048
DISCORD_AUTHOR_NAME_MAX = 256
DISCORD_EMBED_TOTAL_MAX = 6000
DISCORD_URL_MAX = 2048
DISCORD_MENTION_TYPES = {"roles", "users", "everyone"}
DISCORD_EMPTY = {"code": 50006, "message": "Cannot send an empty message"}
DISCORD_BAD_JSON = {"code": 50109, "message": "The request body contains invalid JSON."}
_ISO_8601 = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?")

SENDGRID_PERSONALIZATIONS_MAX = 1000
SENDGRID_RECIPIENTS_MAX = 1000
SENDGRID_CATEGORIES_MAX = 10
SENDGRID_CATEGORY_MAX = 255
_SENDGRID_ADDRESS = (
    "must at least have an email parameter with a valid email address and may also contain a "
    'name parameter. e.g. {"email": "example@example.com"} or {"email": "example@example.com", '
    '"name": "Example Recipient"}'
)


# Slack


def slack_problems(body: bytes) -> tuple[int, bytes] | None:
    """What Slack's incoming webhook answers for a message it refuses, else None (200 ok)."""
    try:
        message = json.loads(body)
    except ValueError:
        return 400, b"invalid_payload"
    if not isinstance(message, dict):
        return 400, b"invalid_payload"
    text, blocks = message.get("text"), message.get("blocks")
    if text is not None and not isinstance(text, str):
        return 400, b"invalid_payload"
    if blocks is not None and slack_block_errors(blocks):
        return 400, b"invalid_blocks"
    if not blocks and not (text or "").strip():
        return 400, b"no_text"
    return None


def slack_block_errors(blocks: Any) -> list[str]:
    """Why Block Kit refuses ``blocks``, as JSON-pointer-like paths; empty if it accepts them."""
    if not isinstance(blocks, list):
        return ["/blocks: not an array"]
    errors = [] if len(blocks) <= SLACK_BLOCKS_MAX else [f"/blocks: over {SLACK_BLOCKS_MAX}"]
    for index, block in enumerate(blocks):
        errors += [f"/{index}{error}" for error in _slack_block(block)]
    return errors


def _slack_block(block: Any) -> list[str]:
    if not isinstance(block, dict):
        return [": not an object"]
    kind = block.get("type")
    if kind not in SLACK_BLOCK_TYPES:
        return [f"/type: unknown block type {kind!r}"]
    errors = []
    block_id = block.get("block_id")
    if block_id is not None and not (
        isinstance(block_id, str) and len(block_id) <= SLACK_BLOCK_ID_MAX
    ):
        errors.append(f"/block_id: over {SLACK_BLOCK_ID_MAX}")
    if kind == "section":
        if "text" not in block and "fields" not in block:
            errors.append(": a section needs text or fields")
        if "text" in block:
            errors += _slack_text(block["text"], "/text", SLACK_TEXT_OBJECT_MAX)
        if "fields" in block:
            fields = block["fields"]
            if not isinstance(fields, list) or not 1 <= len(fields) <= SLACK_SECTION_FIELDS_MAX:
                errors.append("/fields: 1 to 10 text objects")
            else:
                for i, item in enumerate(fields):
                    errors += _slack_text(item, f"/fields/{i}", SLACK_SECTION_FIELD_TEXT_MAX)
    elif kind == "context":
        elements = block.get("elements")
        if not isinstance(elements, list) or not 1 <= len(elements) <= SLACK_CONTEXT_ELEMENTS_MAX:
            errors.append("/elements: 1 to 10 elements")
        else:
            for i, item in enumerate(elements):
                if isinstance(item, dict) and item.get("type") == "image":
                    if not item.get("alt_text") or not (
                        item.get("image_url") or item.get("slack_file")
                    ):
                        errors.append(f"/elements/{i}: an image needs image_url and alt_text")
                else:
                    errors += _slack_text(item, f"/elements/{i}", SLACK_TEXT_OBJECT_MAX)
    elif kind == "header":
        errors += _slack_text(block.get("text"), "/text", SLACK_HEADER_TEXT_MAX, plain=True)
    elif kind == "image" and (not block.get("alt_text") or not block.get("image_url")):
        errors.append(": an image needs image_url and alt_text")
    return errors


def _slack_text(obj: Any, where: str, limit: int, *, plain: bool = False) -> list[str]:
    if not isinstance(obj, dict):
        return [f"{where}: not a text object"]
    kind, text = obj.get("type"), obj.get("text")
    if kind not in (("plain_text",) if plain else ("plain_text", "mrkdwn")):
        return [f"{where}/type: {kind!r}"]
    if not isinstance(text, str) or not 1 <= len(text) <= limit:
        return [f"{where}/text: 1 to {limit} characters"]
    # The reference: verbatim is "only usable when type is mrkdwn", emoji only with plain_text.
    if "verbatim" in obj and (kind != "mrkdwn" or not isinstance(obj["verbatim"], bool)):
        return [f"{where}/verbatim: only a boolean, on mrkdwn"]
    if "emoji" in obj and (kind != "plain_text" or not isinstance(obj["emoji"], bool)):
        return [f"{where}/emoji: only a boolean, on plain_text"]
    return []


# Discord


def discord_problems(body: bytes) -> tuple[int, dict[str, Any]] | None:
    """What Discord's execute-webhook answers for a body it refuses, else None (204)."""
    try:
        message = json.loads(body)
    except ValueError:
        return 400, DISCORD_BAD_JSON
    if not isinstance(message, dict):
        return 400, DISCORD_BAD_JSON
    errors: dict[str, Any] = {}
    content = message.get("content")
    if content is not None:
        _max_length(errors, ("content",), content, DISCORD_CONTENT_MAX)
    embeds = message.get("embeds")
    if embeds is not None:
        _discord_embeds(errors, embeds)
    parse = (message.get("allowed_mentions") or {}).get("parse") or []
    for i, kind in enumerate(parse):
        if kind not in DISCORD_MENTION_TYPES:
            _error(
                errors,
                ("allowed_mentions", "parse", str(i)),
                "BASE_TYPE_CHOICES",
                "Value must be one of {'everyone', 'roles', 'users'}.",
            )
    if errors:
        return 400, {"code": 50035, "errors": errors, "message": "Invalid Form Body"}
    others = ("components", "poll", "attachments", "sticker_ids")
    if not (content or "").strip() and not embeds and not any(message.get(k) for k in others):
        return 400, DISCORD_EMPTY
    return None


def error_paths(errors: dict[str, Any], prefix: str = "") -> list[str]:
    """The dotted paths of a 50035 ``errors`` object, e.g. ``["embeds.0.title"]``."""
    paths = []
    for key, value in errors.items():
        if key == "_errors":
            paths.append(prefix.rstrip("."))
        elif isinstance(value, dict):
            paths += error_paths(value, f"{prefix}{key}.")
    return paths


def _error(errors: dict[str, Any], path: tuple[str, ...], code: str, message: str) -> None:
    node = errors
    for key in path:
        node = node.setdefault(key, {})
    node.setdefault("_errors", []).append({"code": code, "message": message})


def _max_length(errors: dict[str, Any], path: tuple[str, ...], value: Any, limit: int) -> int:
    """Check a string field; return its counted length (trimmed, as Discord counts)."""
    if not isinstance(value, str):
        _error(errors, path, "BASE_TYPE_STRING", "Must be a string.")
        return 0
    counted = len(value.strip())
    if counted > limit:
        _error(errors, path, "BASE_TYPE_MAX_LENGTH", f"Must be {limit} or fewer in length.")
    return counted


def _required(errors: dict[str, Any], path: tuple[str, ...], value: Any, limit: int) -> int:
    if value is None or (isinstance(value, str) and not value.strip()):
        _error(errors, path, "BASE_TYPE_REQUIRED", "This field is required")
        return 0
    return _max_length(errors, path, value, limit)


def _discord_embeds(errors: dict[str, Any], embeds: Any) -> None:
    if not isinstance(embeds, list):
        _error(errors, ("embeds",), "BASE_TYPE_ARRAY", "Must be an array.")
        return
    if len(embeds) > DISCORD_EMBEDS_MAX:
        _error(errors, ("embeds",), "BASE_TYPE_MAX_LENGTH", "Must be 10 or fewer in length.")
    total = 0
    for i, embed in enumerate(embeds):
        at = ("embeds", str(i))
        if not isinstance(embed, dict):
            _error(errors, at, "DICT_TYPE_CONVERT", "Only dictionaries may be used in a DictType")
            continue
        for key, limit in (("title", DISCORD_TITLE_MAX), ("description", DISCORD_DESCRIPTION_MAX)):
            if embed.get(key) is not None:
                total += _max_length(errors, (*at, key), embed[key], limit)
        for key, limit in (("footer", DISCORD_FOOTER_MAX), ("author", DISCORD_AUTHOR_NAME_MAX)):
            part, name = embed.get(key), "text" if key == "footer" else "name"
            if part is not None:
                total += _required(errors, (*at, key, name), (part or {}).get(name), limit)
        url = embed.get("url")
        if url is not None and not (
            isinstance(url, str)
            and len(url) <= DISCORD_URL_MAX
            and urlsplit(url).scheme in ("http", "https")
            and urlsplit(url).netloc
        ):
            _error(errors, (*at, "url"), "URL_TYPE_INVALID_URL", "Not a well formed URL.")
        stamp = embed.get("timestamp")
        if stamp is not None and not (isinstance(stamp, str) and _ISO_8601.fullmatch(stamp)):
            _error(
                errors,
                (*at, "timestamp"),
                "DATE_TIME_TYPE_PARSE",
                f"Could not parse {stamp}. Should be ISO8601.",
            )
        total += _discord_fields(errors, at, embed.get("fields"))
    if total > DISCORD_EMBED_TOTAL_MAX:
        _error(
            errors,
            ("embeds",),
            "MAX_EMBED_SIZE_EXCEEDED",
            f"Embed size exceeds maximum size of {DISCORD_EMBED_TOTAL_MAX}",
        )


def _discord_fields(errors: dict[str, Any], at: tuple[str, ...], fields: Any) -> int:
    if fields is None:
        return 0
    if not isinstance(fields, list):
        _error(errors, (*at, "fields"), "BASE_TYPE_ARRAY", "Must be an array.")
        return 0
    if len(fields) > DISCORD_FIELDS_MAX:
        _error(errors, (*at, "fields"), "BASE_TYPE_MAX_LENGTH", "Must be 25 or fewer in length.")
    total = 0
    for j, item in enumerate(fields):
        here = (*at, "fields", str(j))
        item = item if isinstance(item, dict) else {}
        total += _required(errors, (*here, "name"), item.get("name"), DISCORD_FIELD_NAME_MAX)
        total += _required(errors, (*here, "value"), item.get("value"), DISCORD_FIELD_VALUE_MAX)
    return total


def discord_rate_limited(retry_after: float = 0.5) -> Reply:
    """Discord's 429: a JSON body with ``retry_after`` and a ``Retry-After`` header.

    topics/rate-limits shows ``Retry-After: 65`` beside a reset-after of 64.57: the header
    holds whole seconds, rounded up.
    """
    body = {"message": "You are being rate limited.", "retry_after": retry_after, "global": False}
    headers = {
        "Content-Type": "application/json",
        "Retry-After": str(math.ceil(retry_after)),
        "X-RateLimit-Scope": "user",
    }
    return Reply(status=429, body=json.dumps(body).encode(), headers=headers)


# SendGrid


def sendgrid_problems(body: bytes, headers: Mapping[str, str]) -> tuple[int, dict[str, Any]] | None:
    """What SendGrid's v3 Mail Send answers for a request it refuses, else None (202, no body)."""
    authorization = {k.lower(): v for k, v in headers.items()}.get("authorization", "")
    scheme, _, key = authorization.partition(" ")
    if scheme != "Bearer" or not key.strip():
        return 401, _sendgrid_errors([("authorization required", None)])
    try:
        mail = json.loads(body.decode("utf-8"))
    except UnicodeDecodeError:
        return 400, _sendgrid_errors([("Invalid UTF8 in request.", None)])
    except ValueError:
        return 400, _sendgrid_errors([("Bad Request", None)])
    if not isinstance(mail, dict):
        return 400, _sendgrid_errors([("Bad Request", None)])
    errors = _sendgrid_personalizations(mail.get("personalizations"))
    if not _is_address(mail.get("from")):
        problem = "The from object must be provided for every email send. It is an object that "
        errors.append((f"{problem}requires the email parameter.", "from.email"))
    if "reply_to" in mail and not _is_address(mail["reply_to"]):
        errors.append((f"The reply_to object, when used, {_SENDGRID_ADDRESS}", "reply_to"))
    templated = isinstance(mail.get("template_id"), str) and bool(mail["template_id"])
    errors += _sendgrid_subject(mail, templated)
    errors += _sendgrid_content(mail.get("content"), templated)
    errors += _sendgrid_categories(mail.get("categories"))
    return (400, _sendgrid_errors(errors)) if errors else None


def _sendgrid_errors(errors: list[tuple[str, str | None]]) -> dict[str, Any]:
    return {"errors": [{"message": m, "field": f, "help": None} for m, f in errors]}


def _is_address(value: Any) -> bool:
    """An email object with a plausible address (one "@", a dotted domain, no spaces)."""
    if not isinstance(value, dict) or not isinstance(value.get("email"), str):
        return False
    local, at, domain = value["email"].partition("@")
    return bool(
        at
        and local
        and "." in domain.strip(".")
        and "@" not in domain
        and not any(c.isspace() or ord(c) < 32 for c in value["email"])
        and isinstance(value.get("name", ""), str)
    )


def _sendgrid_personalizations(personalizations: Any) -> list[tuple[str, str | None]]:
    if not isinstance(personalizations, list) or not personalizations:
        return [("You must have at least one personalization.", "personalizations")]
    if len(personalizations) > SENDGRID_PERSONALIZATIONS_MAX:
        count = len(personalizations)
        return [
            (
                f"The personalization block is limited to 1000 personalizations per API "
                f"request. You have provided {count} personalizations.",
                "personalizations",
            )
        ]
    errors: list[tuple[str, str | None]] = []
    recipients = 0
    for i, envelope in enumerate(personalizations):
        at = f"personalizations.{i}"
        envelope = envelope if isinstance(envelope, dict) else {}
        if not isinstance(envelope.get("to"), list) or not envelope["to"]:
            errors.append(("The to parameter is required for all personalization objects.", at))
        seen: set[str] = set()
        for kind in ("to", "cc", "bcc"):
            people = envelope.get(kind) or []
            for j, person in enumerate(people if isinstance(people, list) else [None]):
                recipients += 1
                if not _is_address(person):
                    errors.append((f"The {kind} array {_SENDGRID_ADDRESS}", f"{at}.{kind}.{j}"))
                    continue
                email = person["email"].lower()
                if email in seen:
                    message = (
                        "Each unique email address in the personalizations array should only "
                        f"be included once. You have included {email} more than once."
                    )
                    errors.append((message, f"{at}.{kind}.{j}.email"))
                seen.add(email)
        subject = envelope.get("subject")
        if subject is not None and not (isinstance(subject, str) and subject):
            message = "The subject of your email must be a string at least one character in length."
            errors.append((message, f"{at}.subject"))
    if recipients > SENDGRID_RECIPIENTS_MAX:
        message = "There is a limit of 1000 total recipients (to + cc + bcc) per request."
        errors.append((message, "personalizations"))
    return errors


def _sendgrid_subject(mail: dict[str, Any], templated: bool) -> list[tuple[str, str | None]]:
    subject = mail.get("subject")
    if subject is not None:
        if isinstance(subject, str) and subject:
            return []
        message = "The subject of your email must be a string at least one character in length."
        return [(message, "subject")]
    envelopes = mail.get("personalizations")
    each_has_one = isinstance(envelopes, list) and all(
        isinstance(p, dict) and p.get("subject") for p in envelopes
    )
    if templated or each_has_one:
        return []
    message = (
        "The subject is required. You can get around this requirement if you use a template "
        "with a subject defined or if every personalization has a subject defined."
    )
    return [(message, "subject")]


def _sendgrid_content(content: Any, templated: bool) -> list[tuple[str, str | None]]:
    if content is None and templated:
        return []
    if not isinstance(content, list) or not content:
        message = (
            "The content param is required unless you are using a transactional template and "
            "have defined a template_ID."
        )
        return [(message, "content")]
    errors: list[tuple[str, str | None]] = []
    kinds = []
    for i, part in enumerate(content):
        part = part if isinstance(part, dict) else {}
        kind, value = part.get("type"), part.get("value")
        if not isinstance(kind, str) or not kind:
            message = "Your content type must be a string with length of at least one character."
            errors.append((message, f"content.{i}.type"))
        elif any(c in kind for c in ";\r\n"):
            errors.append(("Cannot contain ';', or CRLF characters.", f"content.{i}.type"))
        else:
            kinds.append(kind.lower())
        if not isinstance(value, str) or not value:
            message = "The content value must be a string at least one character in length."
            errors.append((message, f"content.{i}.value"))
    ranks = [{"text/plain": 0, "text/html": 1}.get(kind, 2) for kind in kinds]
    if ranks != sorted(ranks):
        message = (
            "Following RFC 1341, section 7.2, if either text/html or text/plain are to be sent "
            "in your email: text/plain needs to be first, followed by text/html, followed by "
            "any other content."
        )
        errors.append((message, "content"))
    return errors


def _sendgrid_categories(categories: Any) -> list[tuple[str, str | None]]:
    if categories is None:
        return []
    if not isinstance(categories, list) or not all(isinstance(c, str) for c in categories):
        return [("Categories must be an array of strings.", "categories")]
    errors: list[tuple[str, str | None]] = []
    if len(categories) > SENDGRID_CATEGORIES_MAX:
        message = (
            "There is a limit of 10 categories for each email that is sent. You provided "
            f"{len(categories)} categories."
        )
        errors.append((message, "categories"))
    for category in categories:
        if len(category) > SENDGRID_CATEGORY_MAX:
            message = (
                f"Each category must not be longer than 255 characters. {category} exceeds "
                "this limit."
            )
            errors.append((message, "categories"))
        if not category.isascii():
            errors.append(("Categories can not contain non-ASCII characters.", "categories"))
    if len(set(categories)) < len(categories):
        errors.append(("The categories must be a unique list.", "categories"))
    return errors


# Receivers


@dataclass
class FakeService:
    """What a fake service accepted (parsed messages) and refused (status, body)."""

    accepted: list[dict[str, Any]] = field(default_factory=list)
    refused: list[tuple[int, bytes]] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def answer(self, request: ReceivedRequest, reply: Reply) -> Reply:
        with self._lock:
            if reply.status < 300:
                self.accepted.append(json.loads(request.body))
            else:
                self.refused.append((reply.status, reply.body))
        return reply


def slack_receiver(receiver: Receiver) -> FakeService:
    """Make ``receiver`` answer as a Slack incoming webhook does."""
    service = FakeService()

    def respond(request: ReceivedRequest) -> Reply:
        problem = slack_problems(request.body)
        status, body = problem or (200, b"ok")
        return service.answer(request, Reply(status, body, {"Content-Type": "text/html"}))

    receiver.respond = respond
    return service


def discord_receiver(receiver: Receiver, *, rate_limited: int = 0) -> FakeService:
    """Make ``receiver`` answer as a Discord webhook does; the first ``rate_limited`` get 429."""
    service = FakeService()
    owed = [rate_limited]

    def respond(request: ReceivedRequest) -> Reply:
        with service._lock:
            limited, owed[0] = owed[0] > 0, max(owed[0] - 1, 0)
        if limited:
            return service.answer(request, discord_rate_limited())
        return service.answer(request, _discord_reply(request))

    receiver.respond = respond
    return service


def _discord_reply(request: ReceivedRequest) -> Reply:
    json_type = {"Content-Type": "application/json"}
    content_type = {k.lower(): v for k, v in request.headers.items()}.get("content-type", "")
    if not content_type.startswith("application/json"):
        # opcodes-and-status-codes: 50035 is also the answer to an invalid Content-Type.
        body = {"code": 50035, "errors": {}, "message": "Invalid Form Body"}
        return Reply(400, json.dumps(body).encode(), json_type)
    problem = discord_problems(request.body)
    if problem is not None:
        return Reply(problem[0], json.dumps(problem[1]).encode(), json_type)
    if parse_qs(urlsplit(request.path).query).get("wait") == ["true"]:
        created = {"id": "1", "type": 0, **json.loads(request.body)}
        return Reply(200, json.dumps(created).encode(), json_type)
    return Reply(204, b"")


def sendgrid_receiver(receiver: Receiver) -> FakeService:
    """Make ``receiver`` answer as SendGrid's v3 Mail Send does."""
    service = FakeService()

    def respond(request: ReceivedRequest) -> Reply:
        problem = sendgrid_problems(request.body, request.headers)
        if problem is None:
            return service.answer(request, Reply(202, b""))
        body = json.dumps(problem[1]).encode()
        return service.answer(
            request, Reply(problem[0], body, {"Content-Type": "application/json"})
        )

    receiver.respond = respond
    return service
