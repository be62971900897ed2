// Debrief board: drag a note onto a cluster (or onto "Notes hors groupe") to move it. The drop
// fills the hidden #glisser form and submits it through htmx, exactly as the plain
// select-and-move form does without JavaScript (and for keyboard users).
(function () {
  "use strict";

  function zoneOf(element) {
    return element && element.closest ? element.closest(".drop-zone") : null;
  }

  document.addEventListener("dragstart", function (event) {
    var note = event.target.closest && event.target.closest(".board-note[data-note-id]");
    if (!note) { return; }
    event.dataTransfer.setData("text/plain", note.getAttribute("data-note-id"));
    event.dataTransfer.effectAllowed = "move";
    note.classList.add("dragging");
  });
  document.addEventListener("dragend", function (event) {
    var note = event.target.closest && event.target.closest(".board-note");
    if (note) { note.classList.remove("dragging"); }
  });
  document.addEventListener("dragover", function (event) {
    var zone = zoneOf(event.target);
    if (!zone) { return; }
    event.preventDefault();
    zone.classList.add("drop-target");
  });
  document.addEventListener("dragleave", function (event) {
    var zone = zoneOf(event.target);
    if (zone && !zone.contains(event.relatedTarget)) { zone.classList.remove("drop-target"); }
  });
  document.addEventListener("drop", function (event) {
    var zone = zoneOf(event.target);
    var form = document.getElementById("glisser");
    if (!zone || !form) { return; }
    event.preventDefault();
    zone.classList.remove("drop-target");
    var noteId = event.dataTransfer.getData("text/plain");
    if (!/^[0-9]+$/.test(noteId)) { return; }
    form.elements.note_ids.value = noteId;
    form.elements.cluster_id.value = zone.getAttribute("data-cluster-id") || "";
    // A real submission: htmx takes it over when it has processed the form, else the browser
    // posts it as a plain form (the page then reloads with the note moved).
    if (form.requestSubmit) { form.requestSubmit(); } else { form.submit(); }
  });
})();
