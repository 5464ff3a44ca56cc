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
