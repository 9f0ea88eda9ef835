// The scene editor: add, remove and reorder scenes without a page reload.
//
// Scenes are a Django formset (scenes-0-narration, scenes-1-narration, ...). Django reads forms
// 0..TOTAL_FORMS-1, so after every change the scenes are renumbered in their on-screen order and
// TOTAL_FORMS is updated. Events are delegated from the document, so an editor swapped in by htmx
// (after "Split my story") works without setting anything up again.
(function () {
  "use strict";

  const PREFIX = "scenes";
  const NAME = new RegExp("^" + PREFIX + "-(\\d+|__prefix__)-");
  const ID = new RegExp("^id_" + PREFIX + "-(\\d+|__prefix__)-");

  function editor() {
    return document.getElementById("scene-editor");
  }

  function scenes(root) {
    return Array.from(root.querySelectorAll("#scene-list > [data-scene]"));
  }

  function renameAttributes(element, index) {
    const replaceName = (value) => value.replace(NAME, PREFIX + "-" + index + "-");
    const replaceId = (value) => value.replace(ID, "id_" + PREFIX + "-" + index + "-");
    const nodes = [element, ...element.querySelectorAll("[name], [id], [for], [aria-describedby]")];
    for (const node of nodes) {
      if (node.name) node.name = replaceName(node.name);
      if (node.id) node.id = replaceId(node.id);
      if (node.htmlFor) node.htmlFor = replaceId(node.htmlFor);
      const described = node.getAttribute("aria-describedby");
      if (described) node.setAttribute("aria-describedby", described.split(" ").map(replaceId).join(" "));
    }
  }

  function renumber(root) {
    const list = scenes(root);
    list.forEach((scene, index) => {
      renameAttributes(scene, index);
      scene.querySelectorAll("[data-scene-number]").forEach((node) => {
        node.textContent = String(index + 1);
      });
      scene.querySelector("[data-scene-up]").disabled = index === 0;
      scene.querySelector("[data-scene-down]").disabled = index === list.length - 1;
      scene.querySelector("[data-scene-remove]").disabled = list.length === 1;
    });
    const total = root.querySelector('input[name="' + PREFIX + '-TOTAL_FORMS"]');
    if (total) total.value = String(list.length);
    const count = root.querySelector("[data-scene-count]");
    if (count) count.textContent = String(list.length);
    const max = Number(root.dataset.maxScenes || "20");
    const add = root.querySelector("[data-scene-add]");
    if (add) add.disabled = list.length >= max;
  }

  function announce(root, message) {
    const region = root.querySelector("[data-scene-announcer]");
    if (region) region.textContent = message;
  }

  function addScene(root) {
    const template = root.querySelector("#scene-template");
    const list = root.querySelector("#scene-list");
    const fragment = template.content.cloneNode(true);
    const scene = fragment.querySelector("[data-scene]");
    list.appendChild(fragment);
    renumber(root);
    const number = scenes(root).length;
    announce(root, "Scene " + number + " added.");
    const first = scene.querySelector("textarea, input:not([type=hidden])");
    if (first) first.focus();
  }

  function removeScene(root, scene) {
    const list = scenes(root);
    if (list.length <= 1) return;
    const index = list.indexOf(scene);
    scene.remove();
    renumber(root);
    announce(root, "Scene " + (index + 1) + " removed.");
    const after = scenes(root);
    const next = after[Math.min(index, after.length - 1)];
    const target = next ? next.querySelector("[data-scene-remove]") : root.querySelector("[data-scene-add]");
    if (target) target.focus();
  }

  function moveScene(root, scene, direction, button) {
    const list = scenes(root);
    const index = list.indexOf(scene);
    const to = index + direction;
    if (to < 0 || to >= list.length) return;
    if (direction < 0) {
      scene.parentNode.insertBefore(scene, list[to]);
    } else {
      scene.parentNode.insertBefore(scene, list[to].nextSibling);
    }
    renumber(root);
    announce(root, "Scene moved to position " + (to + 1) + ".");
    // Keep focus on the button that was pressed, unless it just became disabled.
    const keep = button.disabled ? scene.querySelector(direction < 0 ? "[data-scene-down]" : "[data-scene-up]") : button;
    keep.focus();
  }

  document.addEventListener("click", (event) => {
    const root = editor();
    if (!root || !root.contains(event.target)) return;
    const button = event.target.closest("button");
    if (!button || button.disabled) return;
    const scene = button.closest("[data-scene]");
    if (button.hasAttribute("data-scene-add")) {
      addScene(root);
    } else if (button.hasAttribute("data-scene-remove") && scene) {
      removeScene(root, scene);
    } else if (button.hasAttribute("data-scene-up") && scene) {
      moveScene(root, scene, -1, button);
    } else if (button.hasAttribute("data-scene-down") && scene) {
      moveScene(root, scene, 1, button);
    }
  });

  // A folded scene shows the first words of its narration: keep them in step with the text.
  const GIST_WORDS = 8;
  document.addEventListener("input", (event) => {
    const field = event.target;
    if (!field.name || !/-narration$/.test(field.name)) return;
    const gist = field.closest("[data-scene]")?.querySelector("[data-scene-gist]");
    if (!gist) return;
    const words = field.value.trim().split(/\s+/).filter(Boolean);
    const shown = words.slice(0, GIST_WORDS).join(" ") + (words.length > GIST_WORDS ? " …" : "");
    gist.textContent = shown ? ": " + shown : "";
  });

  // A field the browser refuses (required, too long…) may be in a folded scene: unfold it, or
  // the browser cannot show its message there.
  document.addEventListener(
    "invalid",
    (event) => {
      const folded = event.target.closest?.("details.scene-body:not([open])");
      if (folded) folded.open = true;
    },
    true,
  );

  // The error summary after a refused submit: focus goes to it, and each of its links moves
  // focus to the field it names (an in-page link alone only scrolls).
  document.addEventListener("click", (event) => {
    const link = event.target.closest("[data-error-summary] a[href^='#']");
    if (!link) return;
    const target = document.getElementById(link.getAttribute("href").slice(1));
    if (!target) return;
    event.preventDefault();
    const folded = target.closest("details:not([open])");
    if (folded) folded.open = true;
    target.scrollIntoView({ block: "center" });
    if (typeof target.focus === "function") target.focus({ preventScroll: true });
  });

  function setUp() {
    const root = editor();
    if (root) renumber(root);
    const summary = document.querySelector("[data-error-summary]");
    if (summary) summary.focus();
  }

  document.addEventListener("DOMContentLoaded", setUp);
  // After "Split my story" swaps in a new editor.
  document.addEventListener("htmx:afterSettle", setUp);
})();
