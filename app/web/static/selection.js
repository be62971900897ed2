// Mallette — the card selection ("basket"), kept in this browser (localStorage). Without JavaScript
// the download page's selection form is a plain list of checkboxes and a card page links to it with
// the card ticked; here the picks persist across pages, are counted aloud and can be cleared.
(function () {
  "use strict";

  var KEY = "mallette.selection";
  var ID = /^[a-z0-9][a-z0-9-]{0,79}$/;
  var LIMIT = 60;

  function load() {
    try {
      var list = JSON.parse(window.localStorage.getItem(KEY) || "[]");
      if (!Array.isArray(list)) { return []; }
      return list.filter(function (id) { return typeof id === "string" && ID.test(id); }).slice(0, LIMIT);
    } catch (error) {
      return [];
    }
  }

  function save(list) {
    try { window.localStorage.setItem(KEY, JSON.stringify(list)); } catch (error) { /* private mode */ }
  }

  function say(count) {
    document.querySelectorAll("[data-basket-count]").forEach(function (box) {
      var limit = parseInt(box.getAttribute("data-max-count") || "0", 10);
      var text;
      if (limit && count > limit) { text = box.getAttribute("data-max"); }
      else if (count === 0) { text = box.getAttribute("data-none"); }
      else if (count === 1) { text = box.getAttribute("data-one"); }
      else { text = (box.getAttribute("data-many") || "").replace("%d", String(count)); }
      box.textContent = text || "";
    });
  }

  // A card's page: the link becomes a button whose label says what it will do (add, or remove). No
  // aria-pressed: a toggle's label must not change with its state, and this one does; the count is
  // announced by its live region instead.
  function setUpToggles() {
    var toggles = document.querySelectorAll("[data-basket-add]");
    if (!toggles.length) { return; }
    function paint() {
      var list = load();
      toggles.forEach(function (link) {
        var inside = list.indexOf(link.getAttribute("data-basket-add")) !== -1;
        link.textContent = link.getAttribute(inside ? "data-label-remove" : "data-label-add");
      });
      say(list.length);
    }
    toggles.forEach(function (link) {
      link.setAttribute("role", "button");
      link.addEventListener("click", function (event) {
        event.preventDefault();
        var id = link.getAttribute("data-basket-add");
        var list = load();
        var at = list.indexOf(id);
        if (at === -1) { if (list.length < LIMIT) { list.push(id); } } else { list.splice(at, 1); }
        save(list);
        paint();
      });
      link.addEventListener("keydown", function (event) {
        if (event.key === " ") { event.preventDefault(); link.click(); }
      });
    });
    paint();
  }

  // The download page's form: ticks what the basket holds (and what the address asked for).
  function setUpForm() {
    var form = document.querySelector("[data-basket-form]");
    if (!form) { return; }
    var boxes = Array.prototype.slice.call(form.querySelectorAll('input[type="checkbox"][name="sel-cards"]'));
    var known = boxes.map(function (box) { return box.value; });
    var wanted = load().filter(function (id) { return known.indexOf(id) !== -1; });
    boxes.forEach(function (box) {
      if (wanted.indexOf(box.value) !== -1) { box.checked = true; }
      if (box.checked) {
        var details = box.closest("details");
        if (details) { details.open = true; }
      }
    });
    function picked() {
      return boxes.filter(function (box) { return box.checked; }).map(function (box) { return box.value; });
    }
    function sync() {
      var list = picked();
      save(list.slice(0, LIMIT));
      say(list.length);
    }
    form.addEventListener("change", function (event) {
      if (event.target && event.target.name === "sel-cards") { sync(); }
    });
    var clear = form.querySelector("[data-basket-clear]");
    if (clear) {
      clear.hidden = false;
      clear.addEventListener("click", function () {
        boxes.forEach(function (box) { box.checked = false; });
        sync();
      });
    }
    document.querySelectorAll("[data-basket-hint]").forEach(function (hint) { hint.hidden = false; });
    sync();
  }

  function start() {
    setUpToggles();
    setUpForm();
  }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", start); } else { start(); }
})();
