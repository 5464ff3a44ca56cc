// Progressive enhancement only: every page works without this file. No inline script or
// event-handler attributes anywhere (the Content-Security-Policy forbids them).
document.addEventListener("htmx:beforeSwap", function (event) {
  // Rows that answer a refusal (409 "already taken", 403) with a replacement row show it.
  var status = event.detail.xhr.status;
  if (status >= 400 && status < 500 && event.target.closest("[data-swap-client-errors]")) {
    event.detail.shouldSwap = true;
    event.detail.isError = false;
  }
});

// A field to copy from (a new API token) selects itself when focused.
document.addEventListener("focusin", function (event) {
  if (event.target.matches && event.target.matches("input[data-select-on-focus]")) {
    event.target.select();
  }
});

// "Select all on this page": ticks or unticks every box of that name in the same table.
document.addEventListener("change", function (event) {
  var box = event.target;
  if (!box.matches || !box.matches("input[data-select-all]")) return;
  var scope = box.closest("table") || document;
  var name = box.getAttribute("data-select-all");
  scope.querySelectorAll('input[type=checkbox][name="' + name + '"]').forEach(function (other) {
    other.checked = box.checked;
  });
});

// A self-refreshing region (the queue table) skips its refresh while any of its rows is ticked,
// so a selection in progress is never swapped away.
document.addEventListener("htmx:beforeRequest", function (event) {
  var elt = event.detail.elt;
  if (
    elt && elt.matches && elt.matches("[data-pause-while-ticked]") &&
    elt.querySelector("input[type=checkbox]:checked")
  ) {
    event.preventDefault();
  }
});

// A failed form's error summary (templates/forms/error_summary.html) takes the focus, on page
// load and after an htmx swap, so the first thing read is what went wrong and where.
function focusErrorSummary() {
  var summary = document.querySelector("[data-error-summary]:not([data-seen])");
  document.querySelectorAll("[data-error-summary]").forEach(function (s) {
    s.setAttribute("data-seen", "");
  });
  if (summary) summary.focus();
}
document.addEventListener("DOMContentLoaded", focusErrorSummary);
document.addEventListener("htmx:afterSettle", focusErrorSummary);

// A link in the summary moves to its field and shows the field's label above it.
document.addEventListener("click", function (event) {
  var link = event.target.closest && event.target.closest("[data-error-summary] a[href^='#']");
  if (!link) return;
  var field = document.getElementById(link.getAttribute("href").slice(1));
  if (!field) return;
  event.preventDefault();
  var holder = field.closest(".field") || field;
  holder.scrollIntoView();
  field.focus({ preventScroll: true });
});

// Status messages for htmx updates: what a swapped-in element says in data-announce is read out
// through the page's one polite live region (#live in base.html). With data-announce-if-changed
// (a region that refreshes itself, or follows typing) it is read only when the text changes.
var lastSaid = {};
function markAnnounced(node) {
  node.setAttribute("data-announced", "");
  if (node.id) lastSaid[node.id] = node.getAttribute("data-announce");
}
document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll("[data-announce]").forEach(markAnnounced);
});
document.addEventListener("htmx:afterSettle", function () {
  var live = document.getElementById("live");
  if (!live) return;
  var said = [];
  document.querySelectorAll("[data-announce]:not([data-announced])").forEach(function (node) {
    var text = node.getAttribute("data-announce");
    var repeat = node.id && lastSaid[node.id] === text;
    markAnnounced(node);
    if (text && !(repeat && node.hasAttribute("data-announce-if-changed"))) said.push(text);
  });
  if (!said.length) return;
  live.textContent = ""; // the same words twice in a row are read twice
  setTimeout(function () { live.textContent = said.join(" "); }, 50);
});

// A table wider than the screen scrolls sideways inside its .table-wrap: then the wrapper is a
// named region in the Tab order, so a keyboard can scroll it too (and a screen reader says so).
function tableName(wrap) {
  var caption = wrap.querySelector("caption");
  var section = wrap.closest("section, .card, main");
  var heading = section && section.querySelector("h1, h2, h3");
  var name = (caption && caption.textContent) || (heading && heading.textContent) || "Table";
  return name.trim() + " (table, scrolls sideways)";
}
function markScrollingTables() {
  document.querySelectorAll(".table-wrap").forEach(function (wrap) {
    if (wrap.scrollWidth > wrap.clientWidth + 1) {
      if (wrap.hasAttribute("data-scrolls")) return;
      wrap.setAttribute("data-scrolls", "");
      wrap.setAttribute("tabindex", "0");
      wrap.setAttribute("role", "region");
      wrap.setAttribute("aria-label", tableName(wrap));
    } else if (wrap.hasAttribute("data-scrolls")) {
      ["data-scrolls", "tabindex", "role", "aria-label"].forEach(function (name) {
        wrap.removeAttribute(name);
      });
    }
  });
}
var scrollCheck = null;
function markScrollingTablesSoon() {
  clearTimeout(scrollCheck);
  scrollCheck = setTimeout(markScrollingTables, 100);
}
document.addEventListener("DOMContentLoaded", markScrollingTables);
document.addEventListener("htmx:afterSettle", markScrollingTables);
window.addEventListener("resize", markScrollingTablesSoon);

// "Go back" on an error page: the previous page (a javascript: link would break the CSP).
document.addEventListener("click", function (event) {
  var link = event.target.closest && event.target.closest("a[data-history-back]");
  if (link && window.history.length > 1) {
    event.preventDefault();
    window.history.back();
  }
});
