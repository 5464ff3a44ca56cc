"""The requester's journey with the keyboard alone (sign in, a failed report and its error
summary, report a problem, find it in My tickets, reply), checking at every Tab stop that the
focus is visible: an outline at least 2 px wide with a contrast of at least 3:1 against what
surrounds it."""

from typing import Any

import pytest
from playwright.sync_api import expect

from incidents.models import Incident

from ..org.factories import BusinessServiceFactory

pytestmark = pytest.mark.browser

# The focused element's ring: its outline colour against the background it sits on (the
# element's own when the outline is drawn inside it, else the nearest painted ancestor's).
FOCUS_RING = """() => {
  const focused = document.activeElement;
  if (!focused || focused === document.body) return {ok: false, why: "nothing focused"};
  let el = focused;
  // A visually hidden control (the phone menu's checkbox) shows its focus on its label.
  if (getComputedStyle(el).opacity === "0" && el.labels && el.labels.length) el = el.labels[0];
  const cs = getComputedStyle(el);
  const rgba = (text) => {
    const m = text.match(/rgba?\\(([^)]+)\\)/);
    if (!m) return [0, 0, 0, 0];
    const p = m[1].split(/[ ,\\/]+/).filter(Boolean).map(Number);
    return [p[0], p[1], p[2], p.length > 3 ? p[3] : 1];
  };
  const over = (top, under) => top.slice(0, 3).map((c, i) => c * top[3] + under[i] * (1 - top[3]));
  const backdrop = (start) => {
    const layers = [];
    for (let n = start; n; n = n.parentElement) {
      const c = rgba(getComputedStyle(n).backgroundColor);
      if (c[3] > 0) layers.push(c);
      if (c[3] >= 1) break;
    }
    let colour = [255, 255, 255];
    for (const layer of layers.reverse()) colour = over(layer, colour);
    return colour;
  };
  const lum = (c) => {
    const [r, g, b] = c.map((v) => {
      v /= 255;
      return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4);
    });
    return 0.2126 * r + 0.7152 * g + 0.0722 * b;
  };
  const contrast = (a, b) => {
    const [x, y] = [lum(a), lum(b)].sort((p, q) => q - p);
    return (x + 0.05) / (y + 0.05);
  };
  const label = focused.tagName.toLowerCase() + (focused.id ? "#" + focused.id : "") + " " +
    (el.innerText || focused.value || focused.getAttribute("aria-label") || "").trim().slice(0, 40);
  const width = parseFloat(cs.outlineWidth);
  if (cs.outlineStyle === "none" || !(width >= 2)) return {ok: false, why: "no outline", label};
  // What is painted just outside the ring, in the middle of each side (the page under an
  // absolutely placed element such as the skip link, not its parent in the DOM).
  const box = el.getBoundingClientRect();
  const offset = parseFloat(cs.outlineOffset) || 0;
  const out = Math.max(offset + width + 1, 1);
  const points = [
    [box.left - out, box.top + box.height / 2], [box.right + out, box.top + box.height / 2],
    [box.left + box.width / 2, box.top - out], [box.left + box.width / 2, box.bottom + out],
  ].filter(([x, y]) => x >= 0 && y >= 0 && x < innerWidth && y < innerHeight);
  const under = (x, y) => document.elementsFromPoint(x, y).find((n) => n !== el && !el.contains(n));
  const grounds = offset < 0 ? [el] : points.map(([x, y]) => under(x, y) || document.body);
  if (!grounds.length) grounds.push(el.parentElement);
  const ratio = Math.min(...grounds.map((g) => {
    const ground = backdrop(g);
    return contrast(over(rgba(cs.outlineColor), ground), ground);
  }));
  const visible = box.width > 0 && box.height > 0 && box.right > 0 && box.bottom > 0;
  return {ok: ratio >= 3 && visible, ratio: Math.round(ratio * 100) / 100, width, visible, label};
}"""


class Keyboard:
    """Moves with Tab and checks every stop's focus ring on the way."""

    def __init__(self, page: Any) -> None:
        self.page = page
        self.stops: list[dict[str, Any]] = []

    def focused(self, selector: str) -> bool:
        return bool(self.page.evaluate("(s) => document.activeElement.matches(s)", selector))

    def tab_to(self, selector: str, limit: int = 80) -> None:
        for _ in range(limit):
            if self.focused(selector):
                return
            self.page.keyboard.press("Tab")
            self.stops.append(self.page.evaluate(FOCUS_RING))
        assert self.focused(selector), f"{selector} is not reachable with Tab"

    def type(self, text: str) -> None:
        self.page.keyboard.type(text)

    def press(self, key: str) -> None:
        self.page.keyboard.press(key)

    def faults(self) -> list[dict[str, Any]]:
        return [stop for stop in self.stops if not stop["ok"]]


def test_requester_journey_with_the_keyboard_only(
    live_server: Any, page: Any, requester: Any, analyst: Any, team: Any, screenshot: Any
) -> None:
    BusinessServiceFactory(slug="email", name="E-mail", owner_team=team)
    page.set_viewport_size({"width": 1280, "height": 900})
    keys = Keyboard(page)

    # sign in
    page.goto(f"{live_server.url}/")
    keys.tab_to("#id_username")
    keys.type("requester")
    keys.tab_to("#id_password")
    keys.type("pw-for-tests-1")
    keys.press("Enter")
    expect(page.locator("h1")).to_have_text("Good to see you, Requester")

    # the skip link comes first and shows itself; the hidden menu checkbox is no Tab stop
    keys.press("Tab")
    assert keys.focused("a.skip")
    expect(page.locator("a.skip")).to_be_in_viewport()
    screenshot("1-skip-link")
    keys.tab_to("nav a[href='/incidents/new/']")
    assert not any("nav-toggle" in stop.get("label", "") for stop in keys.stops)
    keys.press("Enter")
    expect(page.locator("h1")).to_have_text("Report a problem")

    # a report sent empty: the error summary takes the focus and links to the field
    keys.tab_to("form button.primary")
    keys.press("Enter")
    summary = page.locator("[data-error-summary]")
    expect(summary).to_be_focused()
    expect(summary).to_contain_text("There is a problem")
    title = page.locator("#id_title")
    expect(title).to_have_attribute("aria-invalid", "true")
    described = (title.get_attribute("aria-describedby") or "").split()
    assert "id_title_error" in described
    expect(page.locator("#id_title_error")).to_be_visible()
    screenshot("2-error-summary")
    keys.tab_to("[data-error-summary] a[href='#id_title']")
    keys.press("Enter")
    expect(title).to_be_focused()

    # the report, filled in with keys
    keys.type("Outlook will not open")
    keys.tab_to("#id_service")
    keys.press("ArrowDown")  # the first service after "—"
    expect(page.locator("#id_service option:checked")).to_have_text("E-mail")
    keys.tab_to("#id_description")
    keys.type("It crashes at start with error 0x80040115.")
    keys.tab_to("input[name=severity]")
    keys.press("ArrowDown")  # radios move with the arrow keys
    keys.tab_to("form button.primary")
    keys.press("Enter")
    expect(page.locator(".msg-success")).to_contain_text("is logged")
    incident = Incident.objects.get()
    assert (incident.title, incident.service.name) == ("Outlook will not open", "E-mail")
    expect(page.locator("h1")).to_have_text("Outlook will not open")

    # see it in My tickets, open it
    page.keyboard.press("Home")
    keys.tab_to("nav a[href='/incidents/mine/']")
    keys.press("Enter")
    expect(page.locator("h1")).to_have_text("My tickets")
    keys.tab_to(f".mine-table a[href='/incidents/{incident.pk}/']")
    keys.press("Enter")
    expect(page.locator("h1")).to_have_text("Outlook will not open")

    # reply
    keys.tab_to("#id_comment-body")
    keys.type("It happens on the laptop too.")
    keys.tab_to(".reply-form button.primary")
    screenshot("3-reply-focused")
    keys.press("Enter")
    expect(page.locator(".timeline")).to_contain_text("It happens on the laptop too.")
    assert incident.comments.filter(body="It happens on the laptop too.").exists()

    assert len(keys.stops) > 20
    assert keys.faults() == [], keys.faults()


def test_the_focus_ring_on_the_dark_top_bar(
    live_server: Any, page: Any, requester: Any, screenshot: Any
) -> None:
    """ "Sign out", the bell and the menu links sit on the dark bar: their ring is white."""
    page.goto(f"{live_server.url}/login/")
    page.fill("#id_username", "requester")
    page.fill("#id_password", "pw-for-tests-1")
    page.click("button[type=submit]")
    expect(page.locator("h1")).to_have_text("Good to see you, Requester")
    keys = Keyboard(page)
    keys.tab_to(".topbar form[action='/logout/'] button")
    ring = page.evaluate(FOCUS_RING)
    assert ring["ok"] and ring["ratio"] >= 3, ring
    screenshot("sign-out-focused")
    assert keys.faults() == [], keys.faults()


def test_the_phone_menu_opens_with_the_keyboard(
    live_server: Any, page: Any, requester: Any, screenshot: Any
) -> None:
    """On a phone the menu button is a Tab stop with a name; Space opens the menu."""
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{live_server.url}/login/")
    page.fill("#id_username", "requester")
    page.fill("#id_password", "pw-for-tests-1")
    page.click("button[type=submit]")
    expect(page.locator("h1")).to_have_text("Good to see you, Requester")
    expect(page.locator("#main-nav")).to_be_hidden()
    keys = Keyboard(page)
    keys.tab_to("#nav-toggle")
    expect(page.get_by_role("checkbox", name="Menu")).to_be_focused()
    keys.press("Space")
    expect(page.locator("#main-nav")).to_be_visible()
    keys.tab_to("nav a[href='/incidents/mine/']")
    screenshot("menu-open")
    keys.press("Enter")
    expect(page.locator("h1")).to_have_text("My tickets")
    assert keys.faults() == [], keys.faults()
