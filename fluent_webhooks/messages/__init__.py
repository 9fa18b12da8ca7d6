"""Chat messages for an event: what Slack and Discord incoming webhooks accept.

Pure functions of ``(event, payload)``, no models and no I/O:

- ``sentences.sentence(event, payload)``: a short human sentence ("Ada posted "Welcome!"");
  ``sentences.details(payload)``: labelled facts (who, where) for context lines;
- ``slack.message(event, payload, link=..., site=...)``: a Block Kit message;
- ``discord.message(event, payload, link=..., site=...)``: an execute-webhook body with one
  embed that pings nobody.

Both renderers are deterministic, return plain JSON data, and keep within the services'
documented limits whatever a host site puts into ``data``.
"""
