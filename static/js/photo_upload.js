// The photo flow's first step: drag and drop, instant upload on choosing files, drag to reorder.
//
// The page works without this file: a multipart form with a file input, an "Add photos" button
// and arrow buttons that move a photo. This adds, on top: files dropped on the drop zone or picked
// in the file input are checked here (type and size, so a 40 MB photo is refused before it is
// sent) and then posted right away through the form's own "Add photos" button (htmx swaps the
// panel); photo tiles can be dragged into a new order, which is posted the same way. Events are
// delegated from the document, so a panel swapped in by htmx needs no setting up.
(function () {
  "use strict";

  const TYPES = ["image/jpeg", "image/png", "image/webp"];

  function panel() {
    return document.getElementById("photo-panel");
  }

  function humanSize(bytes) {
    return bytes >= 1048576 ? (bytes / 1048576).toFixed(1) + " MB" : Math.max(1, Math.round(bytes / 1024)) + " KB";
  }

  // Refusals found here, kept until the panel that the upload brings back is swapped in (it has
  // its own, the server's, refusals; these are added to them).
  let pending = [];

  function showProblems(form, problems, keepServerOnes) {
    const box = form.querySelector("#photo-errors");
    if (!box) return;
    if (!keepServerOnes) box.textContent = "";
    if (!problems.length) return;
    const alert = document.createElement("div");
    alert.className = "form-alert";
    const list = document.createElement("ul");
    for (const problem of problems) {
      const item = document.createElement("li");
      item.textContent = problem;
      list.appendChild(item);
    }
    alert.appendChild(list);
    box.appendChild(alert);
  }

  // Keep the files this page can send; say why the others were left out.
  function upload(form, files) {
    const input = form.querySelector("[data-photo-input]");
    const button = form.querySelector("[data-add-photos]");
    if (!input || !button) return;
    const maxBytes = Number(form.dataset.maxBytes);
    const problems = [];
    const kept = new DataTransfer();
    for (const file of files) {
      if (!TYPES.includes(file.type)) {
        problems.push(file.name + ": not a JPEG, PNG or WebP picture, so it was not added.");
      } else if (file.size > maxBytes) {
        problems.push(
          file.name + ": the image is " + humanSize(file.size) + "; the limit is " + form.dataset.maxSize +
            ". Save it smaller (e.g. as JPEG) and add it again.",
        );
      } else {
        kept.items.add(file);
      }
    }
    showProblems(form, problems, false);
    input.files = kept.files;
    if (kept.files.length) {
      pending = problems;
      // A panel htmx swapped in a moment ago may not be wired yet; a submit then would be a plain
      // page post (a redirect, not a swap). htmx.process is idempotent.
      if (window.htmx) window.htmx.process(form);
      form.requestSubmit(button);
    }
  }

  document.addEventListener("change", (event) => {
    const input = event.target;
    if (!(input instanceof HTMLInputElement) || !input.matches("[data-photo-input]")) return;
    upload(input.form, Array.from(input.files));
  });

  // ---- dropping files on the drop zone --------------------------------------------------------

  function carriesFiles(event) {
    return event.dataTransfer && Array.from(event.dataTransfer.types).includes("Files");
  }

  document.addEventListener("dragover", (event) => {
    const zone = event.target instanceof Element && event.target.closest("[data-drop-zone]");
    if (!zone || !carriesFiles(event)) return;
    event.preventDefault();
    event.dataTransfer.dropEffect = "copy";
    zone.classList.add("is-over");
  });

  document.addEventListener("dragleave", (event) => {
    const zone = event.target instanceof Element && event.target.closest("[data-drop-zone]");
    if (zone && !zone.contains(event.relatedTarget)) zone.classList.remove("is-over");
  });

  document.addEventListener("drop", (event) => {
    const zone = event.target instanceof Element && event.target.closest("[data-drop-zone]");
    if (!zone || !carriesFiles(event)) return;
    event.preventDefault();
    zone.classList.remove("is-over");
    upload(zone.closest("form"), Array.from(event.dataTransfer.files));
  });

  // ---- dragging a photo tile to a new place ---------------------------------------------------

  let dragged = null;

  function tiles(form) {
    return Array.from(form.querySelectorAll("#photo-list > [data-photo]"));
  }

  function makeDraggable() {
    const form = panel();
    if (form) tiles(form).forEach((tile) => (tile.draggable = true));
  }

  document.addEventListener("dragstart", (event) => {
    const tile = event.target instanceof Element && event.target.closest("[data-photo]");
    if (!tile) return;
    dragged = tile;
    tile.classList.add("is-dragging");
    event.dataTransfer.effectAllowed = "move";
    event.dataTransfer.setData("text/plain", "");
  });

  document.addEventListener("dragover", (event) => {
    const tile = dragged && event.target instanceof Element && event.target.closest("[data-photo]");
    if (!tile || tile === dragged || tile.parentElement !== dragged.parentElement) return;
    event.preventDefault();
    const list = tiles(tile.closest("form"));
    const before = list.indexOf(dragged) > list.indexOf(tile);
    tile.parentElement.insertBefore(dragged, before ? tile : tile.nextSibling);
  });

  document.addEventListener("dragend", () => {
    if (!dragged) return;
    const form = dragged.closest("form");
    dragged.classList.remove("is-dragging");
    dragged = null;
    // The hidden inputs moved with their tiles: posting the form saves the new order.
    const input = form.querySelector("[data-photo-input]");
    if (input) input.value = "";
    const save = document.createElement("button");
    save.type = "submit";
    save.name = "action";
    save.value = "order";
    save.hidden = true;
    form.appendChild(save);
    form.requestSubmit(save);
  });

  document.addEventListener("DOMContentLoaded", makeDraggable);
  document.addEventListener("htmx:afterSwap", () => {
    makeDraggable();
    const form = panel();
    if (form && pending.length) showProblems(form, pending, true);
    pending = [];
  });
})();
