// Impression note: a copy of the draft is kept on the phone (localStorage) as it is typed, so
// nothing is lost if the phone sleeps or the network drops before the autosave (htmx, 2 s after
// the last key) reaches the server. On load, an unsaved copy for the same version is put back.
(function () {
  "use strict";

  var area = document.getElementById("impression-texte");
  if (!area || !window.localStorage) { return; }
  var key = area.getAttribute("data-draft-key");

  function version() {
    var input = document.getElementById("impression-version");
    return input ? input.value : "0";
  }
  function keep() {
    try { localStorage.setItem(key, JSON.stringify({ v: version(), text: area.value })); } catch (e) { /* full */ }
  }

  try {
    var saved = JSON.parse(localStorage.getItem(key) || "null");
    if (saved && saved.v === version() && typeof saved.text === "string" && saved.text !== area.value) {
      area.value = saved.text;
      area.dispatchEvent(new Event("input"));  // let the autosave send it
    }
  } catch (e) { /* unreadable copy: ignore */ }

  area.addEventListener("input", keep);
  document.addEventListener("htmx:afterRequest", function (event) {
    var ok = event.detail && event.detail.successful;
    if (ok && event.detail.elt && event.detail.elt.form === area.form) {
      keep();  // re-key the copy to the new version the server returned
    }
  });
})();
