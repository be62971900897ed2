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

  // Network failures and timeouts get a message just before the form or element that asked, which
  // stays as it was: what was typed is kept and can be sent again (a note's key makes the retry
  // count once). The message goes at the next answer from there. HTTP errors are swapped in by
  // htmx itself (see the htmx-config meta tag).
  function asker(event) {
    var source = event.detail && (event.detail.elt || event.detail.target);
    if (!source || !source.parentNode) { return null; }
    return (source.closest && source.closest("form")) || source;
  }
  function previousMessage(element) {
    var previous = element.previousElementSibling;
    return previous && previous.hasAttribute("data-network-message") ? previous : null;
  }
  function onFailure(event) {
    var element = asker(event);
    if (!element || !element.parentNode) { return; }
    var old = previousMessage(element);
    if (old) { old.remove(); }
    var box = message(document.body.getAttribute("data-network-error") || "Network error");
    box.setAttribute("data-network-message", "");
    element.parentNode.insertBefore(box, element);
  }
  document.addEventListener("htmx:sendError", onFailure);
  document.addEventListener("htmx:timeout", onFailure);
  document.addEventListener("htmx:afterRequest", function (event) {
    if (event.detail && event.detail.failed) { return; }
    var element = asker(event);
    var old = element && element.isConnected && previousMessage(element);
    if (old) { old.remove(); }
  });

  // A button that deletes something asks first (data-confirm holds the question); without
  // JavaScript it acts at once, as every form does.
  document.addEventListener("click", function (event) {
    var button = event.target && event.target.closest && event.target.closest("[data-confirm]");
    if (button && !window.confirm(button.getAttribute("data-confirm"))) {
      event.preventDefault();
      event.stopPropagation();
    }
  }, true);

  // After a form swaps in a region that asks for it (the kit's progress), focus moves there instead of
  // falling to <body>; the live region inside announces the progress and the files.
  document.addEventListener("htmx:afterSwap", function (event) {
    var target = event.detail && event.detail.target;
    var region = target && target.querySelector && target.querySelector("[data-focus-on-swap]");
    if (region) { region.focus(); }
  });

  // The phone menu: without JavaScript the button is a link to #menu (shown by :target); here it
  // becomes a toggle button that says whether the menu is open.
  function setUpMenu() {
    var button = document.querySelector(".menu-button");
    var menu = document.getElementById("menu");
    if (!button || !menu) { return; }
    button.setAttribute("role", "button");
    button.setAttribute("aria-expanded", window.location.hash === "#menu" ? "true" : "false");
    function toggle(event) {
      event.preventDefault();
      var open = !menu.classList.contains("open") && window.location.hash !== "#menu";
      menu.classList.toggle("open", open);
      if (!open && window.location.hash === "#menu") {
        history.replaceState(null, "", window.location.pathname + window.location.search);
      }
      button.setAttribute("aria-expanded", open ? "true" : "false");
    }
    button.addEventListener("click", toggle);
    button.addEventListener("keydown", function (event) {
      if (event.key === " ") { toggle(event); }
    });
    // Escape closes the open menu and gives the focus back to its button.
    document.addEventListener("keydown", function (event) {
      if (event.key !== "Escape" || button.getAttribute("aria-expanded") !== "true") { return; }
      toggle(event);
      button.focus();
    });
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", setUpMenu);
  } else {
    setUpMenu();
  }
})();
