/* Neuron Atlas: the family filter of layer pages. Without JavaScript the filter stays hidden
   and every tile shows; with it, a button shows only the tiles (data-family) of one family. */
(function () {
  function setup() {
    document.querySelectorAll("[data-atlas-filter]").forEach(function (bar) {
      if (bar.dataset.ready) return;
      bar.dataset.ready = "1";
      var buttons = bar.querySelectorAll("button[data-family]");
      function show(family) {
        document.querySelectorAll(".atlas-cell[data-family]").forEach(function (tile) {
          tile.hidden = Boolean(family) && tile.dataset.family !== family;
        });
        document.querySelectorAll(".atlas-group[data-family]").forEach(function (group) {
          group.hidden = Boolean(family) && group.dataset.family !== family;
        });
        buttons.forEach(function (button) {
          button.setAttribute("aria-pressed", String(button.dataset.family === family));
        });
      }
      buttons.forEach(function (button) {
        button.addEventListener("click", function () { show(button.dataset.family); });
      });
      bar.hidden = false;
    });
  }
  if (typeof document$ !== "undefined" && document$.subscribe) {
    document$.subscribe(setup);  // Material's page-load stream (also fires with instant navigation)
  } else if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", setup);
  } else {
    setup();
  }
})();
