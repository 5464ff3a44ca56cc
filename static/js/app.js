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
