// Mallette — live screens: the countdown, corrected for this device's clock, and note keys.
// No dependency; the pages work without it (they show the minutes left when they were rendered).
(function () {
  "use strict";

  // Offset between the server's clock and this device's: server time ≈ Date.now() + offset.
  // Measured against /horloge (the sample with the shortest round trip wins); until then, the
  // server time written in the page is used.
  var offset = null;

  function measure(samples, best) {
    var url = document.body.getAttribute("data-clock-url");
    if (!url || !window.fetch) { return; }
    var sent = Date.now();
    fetch(url, { cache: "no-store", credentials: "same-origin" })
      .then(function (response) { return response.json(); })
      .then(function (data) {
        var received = Date.now();
        var trip = received - sent;
        if (!best || trip < best.trip) {
          best = { trip: trip, offset: data.now + trip / 2 - received };
          offset = best.offset;
        }
        if (samples > 1) { setTimeout(function () { measure(samples - 1, best); }, 300); }
      })
      .catch(function () { /* keep the page's estimate */ });
  }

  function pad(n) { return (n < 10 ? "0" : "") + n; }

  function format(ms) {
    var total = Math.ceil(Math.abs(ms) / 1000);
    var h = Math.floor(total / 3600), m = Math.floor((total % 3600) / 60), s = total % 60;
    return (h ? h + ":" + pad(m) : m) + ":" + pad(s);
  }

  function tick() {
    var nodes = document.querySelectorAll("[data-countdown]");
    for (var i = 0; i < nodes.length; i++) {
      var node = nodes[i];
      var value = node.querySelector(".countdown-value");
      if (!value) { continue; }
      if (!node.hasAttribute("data-received")) {
        // Page estimate: the server's time when it rendered this element, against ours now.
        node.setAttribute("data-received", String(Date.now()));
        node.setAttribute("data-page-offset", String(Number(node.getAttribute("data-now")) - Date.now()));
      }
      var shift = offset !== null ? offset : Number(node.getAttribute("data-page-offset"));
      var left;
      if (node.getAttribute("data-state") === "running" && node.getAttribute("data-deadline")) {
        left = Number(node.getAttribute("data-deadline")) - (Date.now() + shift);
      } else {
        left = Number(node.getAttribute("data-remaining"));
      }
      var text = left < 0 ? "+" + format(left) : format(left);
      if (value.textContent !== text) { value.textContent = text; }
      node.classList.toggle("countdown-over", left < 0);
    }
  }

  // A key for every note form that lacks one, and a new one when the browser shows a page again
  // from its back-forward cache (that form's key may already have been used).
  function newKey() {
    if (window.crypto && crypto.randomUUID) { return crypto.randomUUID(); }
    var s = "";
    for (var i = 0; i < 32; i++) { s += Math.floor(Math.random() * 16).toString(16); }
    return s.slice(0, 8) + "-" + s.slice(8, 12) + "-" + s.slice(12, 16) + "-" + s.slice(16, 20) + "-" + s.slice(20);
  }
  function keyForms(renew) {
    var fields = document.querySelectorAll("form[data-idempotent] input[name=key]");
    for (var i = 0; i < fields.length; i++) {
      if (renew || !fields[i].value) { fields[i].value = newKey(); }
    }
  }
  window.addEventListener("pageshow", function (event) { keyForms(event.persisted); });

  // The note form lists only the questions of the chosen dimension (a question's id is
  // "<dimension>.<n>"); without JavaScript it lists them all, each named with its dimension.
  function filterQuestions() {
    var dimension = document.getElementById("dimension");
    var question = document.getElementById("question");
    if (!dimension || !question) { return; }
    var prefix = dimension.value + ".";
    for (var i = 0; i < question.options.length; i++) {
      var option = question.options[i];
      var fits = !option.value || option.value.indexOf(prefix) === 0;
      option.hidden = !fits;
      option.disabled = !fits;
      if (!fits && option.selected) { question.value = ""; }
    }
  }
  document.addEventListener("change", function (event) {
    if (event.target && event.target.id === "dimension") { filterQuestions(); }
  });

  document.addEventListener("DOMContentLoaded", function () {
    keyForms(false);
    filterQuestions();
    tick();
    setInterval(tick, 250);
    measure(3, null);
  });
  document.addEventListener("htmx:afterSettle", function () { keyForms(false); filterQuestions(); tick(); });
})();
