// Mallette — small progressive enhancements on top of htmx. The site works without JavaScript.
(function () {
  "use strict";

  function message(text) {
    var box = document.createElement("div");
    box.className = "notice error-message";
    box.setAttribute("role", "alert");
    var p = document.createElement("p");
    p.textContent = text;
    box.appendChild(p);
    return box;
  }

  // Network failures and timeouts get a message in the region that asked (HTTP errors are swapped
  // in by htmx itself, see the htmx-config meta tag).
  function onFailure(event) {
    var target = event.detail && event.detail.target;
    if (!target) { return; }
    var text = document.body.getAttribute("data-network-error") || "Network error";
    target.replaceChildren(message(text));
  }
  document.addEventListener("htmx:sendError", onFailure);
  document.addEventListener("htmx:timeout", onFailure);
})();
