"""The admin pages and the inspector read at a glance at 1280 and 1920 px, with a site's worth
of data (``tests/layout_data.py``).

Screenshots of each page at each width are saved under ``test-output/layout/``; the README
shows two of them, kept under ``docs/screenshots/``.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from example_project.inspector.models import ReceivedDelivery
from fluent_webhooks.models import Attempt
from tests.layout_data import build_site

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = Path(__file__).resolve().parent.parent / "test-output" / "layout"
WIDTHS = (1280, 1920)
HEIGHT = 800

# Everything of the main content that sticks out to the right of it, or scrolls sideways.
# Preformatted text may scroll inside its own box; a cut, ellipsised line is by design.
OVERFLOW = """() => {
    const root = document.querySelector('#content') || document.body;
    const right = Math.min(root.getBoundingClientRect().right, window.innerWidth) + 1;
    const found = [];
    if (document.documentElement.scrollWidth > window.innerWidth) {
        found.push('the page scrolls sideways: ' + document.documentElement.scrollWidth);
    }
    for (const el of root.querySelectorAll('*')) {
        if (el.closest('pre, .fw-truncate')) continue;
        const box = el.getBoundingClientRect();
        const scrolls = ['auto', 'scroll'].includes(getComputedStyle(el).overflowX);
        if (box.width && box.right > right || scrolls && el.scrollWidth > el.clientWidth + 1) {
            found.push(el.tagName + '.' + el.className + ' ' + (el.textContent || '').slice(0, 40));
        }
    }
    return found.slice(0, 5);
}"""


@pytest.fixture
def site(db):
    return build_site()


def shoot(page, name: str, width: int) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SHOTS / f"{name}-{width}.png", full_page=True)
    page.screenshot(path=SHOTS / f"{name}-{width}-screen.png")  # what a first look sees


def at_width(page, width: int) -> None:
    page.set_viewport_size({"width": width, "height": HEIGHT})


def overflow(page) -> list[str]:
    return page.evaluate(OVERFLOW)


@pytest.mark.parametrize("width", WIDTHS)
def test_webhook_list_shows_every_column(page, site, width):
    at_width(page, width)
    page.goto("/admin/fluent_webhooks/webhook/")
    shoot(page, "webhook-list", width)
    assert overflow(page) == []
    columns = page.evaluate(
        r"""() => {
        const edge = document.querySelector('#changelist .results').getBoundingClientRect().right;
        return [...document.querySelectorAll('#result_list thead th')].map(th => [
            th.innerText.trim().replace(/\s+/g, ' '), th.getBoundingClientRect().width > 20
                && th.getBoundingClientRect().right <= edge + 1]);
    }"""
    )
    assert [name for name, _ in columns][1:] == [
        "WEBHOOK",
        "EVENTS",
        "STATUS",
        "LAST TRIGGERED",
        "LAST ERROR",
        "SUCCESS (24 H)",
    ]
    assert all(visible for _, visible in columns[1:]), columns
    failing = page.locator("#result_list tr", has_text="Analytics warehouse")
    assert failing.locator(".fw-badge.fw-error").inner_text() == "Failing: 37"
    assert (
        failing.locator(".field-short_last_error .fw-truncate")
        .get_attribute("title")
        .startswith("HTTPSConnectionPool")
    )
    if width == 1920:  # the admin's dark theme: the badges and bars keep their meaning
        page.emulate_media(color_scheme="dark")
        shoot(page, "webhook-list-dark", width)
        badge = page.locator(".fw-badge.fw-error").first
        assert badge.evaluate("b => getComputedStyle(b).color") != "rgb(186, 33, 33)"
        page.emulate_media(color_scheme="light")
    # The event filter: one drop-down grouped as the catalog is, not 24 lines; it filters.
    event_filter = page.locator("select[data-fw-navigate]")
    assert event_filter.locator("optgroup").count() == 7
    assert event_filter.bounding_box()["height"] < 40
    event_filter.select_option(label="user.registered")
    page.wait_for_url("**event=user.registered**")
    shown = page.locator("#result_list tbody tr .field-name_and_url a").all_inner_texts()
    assert [name.splitlines()[0] for name in shown] == [
        "Community CRM sync",
        "Slack #community-alerts",
        "Analytics warehouse",
        "Legacy ERP bridge",
        "Zapier: new members to Mailchimp",
        "Audit log (everything)",
    ]


@pytest.mark.parametrize("width", WIDTHS)
def test_webhook_change_page_lays_events_out_in_columns(page, site, width):
    at_width(page, width)
    page.goto(f"/admin/fluent_webhooks/webhook/{site.webhooks[0].pk}/change/")
    shoot(page, "webhook-change", width)
    assert overflow(page) == []
    columns = page.evaluate(
        "() => new Set([...document.querySelectorAll('#id_events > div')]"
        ".map(group => Math.round(group.getBoundingClientRect().left))).size"
    )
    assert columns >= (2 if width < 1600 else 4)
    url = page.locator("#id_url")
    assert url.input_value() == site.webhooks[0].url
    assert url.evaluate("box => box.scrollWidth <= box.clientWidth")
    assert url.evaluate("box => box.scrollHeight <= box.clientHeight + 1")  # no hidden line
    url.press("End")
    url.press("Enter")  # a box that wraps, yet Enter adds no line break to the URL
    assert url.input_value() == site.webhooks[0].url
    if width == 1920:
        assert page.evaluate("document.documentElement.scrollHeight") < 1600
    # The recent attempts fold under a summary that already tells how they went.
    summary = page.locator(".field-recent_attempts summary").inner_text()
    assert "succeeded" in summary


@pytest.mark.parametrize("width", WIDTHS)
def test_delivery_list_fits_twenty_rows_to_a_screen(page, site, width):
    at_width(page, width)
    page.goto("/admin/fluent_webhooks/delivery/")
    shoot(page, "delivery-list", width)
    assert overflow(page) == []
    first = site.deliveries[0]
    row = page.locator("#result_list tbody tr").first
    short = row.locator(".field-short_id code")
    assert short.inner_text() == str(first.pk)[:8]
    assert short.get_attribute("title") == str(first.pk)
    assert row.locator(".fw-badge").count() == 1
    visible = page.evaluate(
        """() => [...document.querySelectorAll('#result_list tbody tr')]
            .filter(tr => tr.getBoundingClientRect().bottom <= window.innerHeight).length"""
    )
    assert visible >= 20


@pytest.mark.parametrize("width", WIDTHS)
def test_delivery_page_fits_and_says_what_happened(page, site, width, receiver):
    delivery = site.succeeded
    at_width(page, width)
    page.goto(f"/admin/fluent_webhooks/delivery/{delivery.pk}/change/")
    assert overflow(page) == []
    assert page.locator(".field-next_attempt_at").count() == 0  # it succeeded: none is due
    assert page.locator(".field-status_badge .fw-badge.fw-ok").inner_text() == "Succeeded"
    kinds = page.locator(".inline-group td.field-kind").all_inner_texts()
    assert kinds == ["automatic", "automatic"]
    assert page.locator(".inline-group img[alt]").count() == 0  # no red cross for "automatic"
    started = page.locator(".inline-group td.field-started span").first
    assert started.evaluate("span => span.getClientRects().length") == 1  # on one line
    shoot(page, "delivery", width)

    # Redeliver from the page itself: a manual attempt of the same delivery, shown on return.
    delivery.webhook.url = receiver.url()
    delivery.webhook.save(update_fields=["url"])
    page.click("button.fw-object-tool")
    assert f"Delivery {delivery.pk} redelivered." in page.inner_text("ul.messagelist")
    assert Attempt.objects.filter(delivery=delivery, manual=True).count() == 1
    assert page.locator(".inline-group td.field-kind").all_inner_texts()[-1] == "manual"
    assert receiver.requests[-1].headers["X-Fluent-Delivery"] == str(delivery.pk)


@pytest.mark.parametrize("width", WIDTHS)
def test_inspector_folds_payloads_and_keeps_open_what_was_opened(page, site, width):
    at_width(page, width)
    page.goto(f"/inspector/{site.inbox.token}/")
    shoot(page, "inspector", width)
    assert overflow(page) == []
    assert page.locator(".delivery").count() == 25  # a page of them
    assert page.locator("details.payload[open]").count() == 0
    assert page.evaluate("document.documentElement.scrollHeight") < 4 * HEIGHT

    newest = page.locator("details.payload").first
    newest.locator("summary").click()
    key = newest.get_attribute("data-key")
    ReceivedDelivery.objects.create(
        inbox=site.inbox, event="feed.pinned", delivery_id="arrived-later", body="{}"
    )
    page.wait_for_selector("code[title='arrived-later']", timeout=12_000)  # the list refreshed
    assert page.locator(f"details[data-key='{key}']").evaluate("details => details.open")
    assert page.locator("details.payload[open]").count() == 1

    # Page through them, then show one event's only.
    page.click(".pages a")
    page.wait_for_url("**page=2**")
    assert page.locator(".delivery").count() == 25
    assert page.locator("details.payload[open]").count() == 0
    page.select_option("select[name=event]", "feed.created")
    page.wait_for_url("**event=feed.created**")
    events = page.locator(".delivery .event").all_inner_texts()
    assert events
    assert set(events) == {"feed.created"}
