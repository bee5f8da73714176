/* Neuron Atlas: small enhancements of static pages, no framework, no request outside the site.
   Every page works without it: the family filter is a row of links (CSS :target), tooltips stay the
   SVG <title>s, links work.
   - the family filter of layer pages;
   - tooltips: hover or focus any mark of a chart for its exact value and stimulus;
   - keys on neuron pages: ← → neighbouring units, ↑ the layer (at the top of the page);
   - the figure panel of neuron pages saved as SVG or PNG;
   - the compare view (compare/?a=MODEL/LAYER/UNIT&b=...), drawn from the units' JSON twins. */
(function () {
  "use strict";
  var SVG = "http://www.w3.org/2000/svg";

  /* ---------------------------------------------------------------- family filter (layer pages) */
  function filters() {
    document.querySelectorAll("[data-atlas-filter]").forEach(function (bar) {
      if (bar.dataset.ready) return;
      bar.dataset.ready = "1";
      var buttons = bar.querySelectorAll("button[data-family]");
      function show(family) {
        document.querySelectorAll(".atlas-cell[data-family], .atlas-group[data-family]").forEach(function (el) {
          el.hidden = Boolean(family) && el.dataset.family !== family;
        });
        buttons.forEach(function (button) {
          button.setAttribute("aria-pressed", String(button.dataset.family === family));
        });
      }
      buttons.forEach(function (button) {
        button.addEventListener("click", function () { show(button.dataset.family); });
      });
      bar.hidden = false;
      document.querySelectorAll("[data-atlas-filter-links]").forEach(function (links) { links.hidden = true; });
    });
  }

  /* ---------------------------------------------------------------- tooltips */
  var tip = null, hot = null;

  function tipElement() {
    if (!tip) {
      tip = document.createElement("div");
      tip.className = "atlas-tip";
      tip.setAttribute("role", "tooltip");
      tip.hidden = true;
      document.body.appendChild(tip);
    }
    return tip;
  }

  /* A mark's <title> becomes its data-tip (and its accessible name), so that one tooltip shows it. */
  function marks(root) {
    root.querySelectorAll("svg title").forEach(function (title) {
      var mark = title.parentNode;
      mark.setAttribute("data-tip", title.textContent);
      mark.setAttribute("aria-label", title.textContent);
      title.remove();
    });
    root.querySelectorAll("svg.atlas-chart, svg.atlas-hist").forEach(function (chart) {
      if (chart.querySelector("[data-tip]") && !chart.hasAttribute("tabindex")) chart.setAttribute("tabindex", "0");
    });
  }

  function showTip(mark, x, y) {
    var box = tipElement();
    if (hot && hot !== mark) hot.classList.remove("atlas-hot");
    hot = mark;
    mark.classList.add("atlas-hot");
    box.textContent = mark.getAttribute("data-tip");
    box.hidden = false;
    var width = box.offsetWidth, height = box.offsetHeight;
    box.style.left = Math.max(4, Math.min(x + 12, window.innerWidth - width - 4)) + "px";
    box.style.top = (y + 16 + height > window.innerHeight ? y - height - 8 : y + 16) + "px";
  }

  function hideTip() {
    if (tip) tip.hidden = true;
    if (hot) hot.classList.remove("atlas-hot");
    hot = null;
  }

  function showAt(mark) {
    var rect = mark.getBoundingClientRect();
    showTip(mark, rect.left + rect.width / 2, rect.top + rect.height / 2);
  }

  document.addEventListener("pointerover", function (event) {
    var mark = event.target.closest && event.target.closest("[data-tip]");
    if (mark) showTip(mark, event.clientX, event.clientY);
  });
  document.addEventListener("pointermove", function (event) {
    if (hot && hot.contains(event.target)) showTip(hot, event.clientX, event.clientY);
  });
  document.addEventListener("pointerout", function (event) {
    if (hot && !(event.relatedTarget && hot.contains(event.relatedTarget))) hideTip();
  });

  /* A focused chart steps through its marks with the arrow keys (they do not change the unit then). */
  function chartKeys(event) {
    var chart = event.target.closest && event.target.closest("svg[tabindex]");
    if (!chart) return false;
    if (event.key === "Escape") { hideTip(); return true; }
    var step = {ArrowRight: 1, ArrowDown: 1, ArrowLeft: -1, ArrowUp: -1}[event.key];
    if (!step) return false;
    var all = Array.prototype.slice.call(chart.querySelectorAll("[data-tip]"));
    var index = all.indexOf(hot);
    // the pointer may have hidden the tip since (a scroll moves the page under it): the chart
    // remembers where its keys last were
    if (index < 0 && typeof chart.atlasIndex === "number") index = chart.atlasIndex;
    index = index < 0 ? (step > 0 ? 0 : all.length - 1) : (index + step + all.length) % all.length;
    chart.atlasIndex = index;
    if (all.length) showAt(all[index]);
    event.preventDefault();
    return true;
  }
  document.addEventListener("focusin", function (event) {
    if (event.target.matches && event.target.matches("svg[tabindex]")) {
      var first = event.target.querySelector("[data-tip]");
      event.target.atlasIndex = 0;
      if (first) showAt(first);
    }
  });
  document.addEventListener("focusout", function (event) {
    if (event.target.matches && event.target.matches("svg[tabindex]")) hideTip();
  });

  /* ---------------------------------------------------------------- keys through the atlas */
  function typing(target) {
    return target.isContentEditable || /^(INPUT|TEXTAREA|SELECT|BUTTON)$/.test(target.tagName);
  }

  document.addEventListener("keydown", function (event) {
    if (event.defaultPrevented || event.altKey || event.ctrlKey || event.metaKey || event.shiftKey) return;
    if (typing(event.target) || chartKeys(event)) return;
    if (event.key === "ArrowUp" && window.scrollY > 0) return;  // ↑ scrolls, up to the top of the page
    var link = document.querySelector('a[data-atlas-key="' + event.key + '"]');
    if (link) {
      event.preventDefault();
      window.location.href = link.href;
    }
  });

  /* ---------------------------------------------------------------- figure panel downloads */
  function save(blob, name) {
    var link = document.createElement("a");
    link.href = URL.createObjectURL(blob);
    link.download = name;
    document.body.appendChild(link);
    link.click();
    link.remove();
    setTimeout(function () { URL.revokeObjectURL(link.href); }, 10000);
  }

  function dataUrl(href) {
    return fetch(new URL(href, document.baseURI)).then(function (response) {
      if (!response.ok) throw new Error(href + ": " + response.status);
      return response.blob();
    }).then(function (blob) {
      return new Promise(function (resolve) {
        var reader = new FileReader();
        reader.onload = function () { resolve(reader.result); };
        reader.readAsDataURL(blob);
      });
    });
  }

  /* The panel as a standalone SVG document: its pictures embedded, so it opens anywhere. */
  function panelSvg(template) {
    var svg = template.content.querySelector("svg").cloneNode(true);
    var images = Array.prototype.slice.call(svg.querySelectorAll("image"));
    return Promise.all(images.map(function (image) {
      return dataUrl(image.getAttribute("href")).then(function (url) { image.setAttribute("href", url); });
    })).then(function () {
      return '<?xml version="1.0" encoding="UTF-8"?>\n' + new XMLSerializer().serializeToString(svg);
    });
  }

  function panelPng(text) {
    var image = new Image();
    image.src = "data:image/svg+xml;charset=utf-8," + encodeURIComponent(text);
    return image.decode().then(function () {
      var scale = 2, canvas = document.createElement("canvas");
      canvas.width = image.naturalWidth * scale;
      canvas.height = image.naturalHeight * scale;
      canvas.getContext("2d").drawImage(image, 0, 0, canvas.width, canvas.height);
      return new Promise(function (resolve) { canvas.toBlob(resolve, "image/png"); });
    });
  }

  function panels() {
    var template = document.getElementById("atlas-panel");
    var buttons = document.querySelectorAll("[data-atlas-panel]");
    if (!template || !buttons.length) return;
    buttons.forEach(function (button) {
      if (button.dataset.ready) return;
      button.dataset.ready = "1";
      button.addEventListener("click", function () {
        var name = template.dataset.name || "unit";
        panelSvg(template).then(function (text) {
          if (button.dataset.atlasPanel === "svg") return save(new Blob([text], {type: "image/svg+xml"}), name + ".svg");
          return panelPng(text).then(function (blob) { save(blob, name + ".png"); });
        });
      });
    });
    document.querySelectorAll(".atlas-panel-buttons").forEach(function (el) { el.hidden = false; });
  }

  /* ---------------------------------------------------------------- compare view */
  var COLOURS = ["atlas-a", "atlas-b"];

  function el(tag, attrs, parent, ns) {
    var node = ns ? document.createElementNS(ns, tag) : document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (key) { node.setAttribute(key, attrs[key]); });
    if (parent) parent.appendChild(node);
    return node;
  }

  function number(value) {
    return value === null || value === undefined || !isFinite(value) ? "n/a" : Number(value.toPrecision(3)).toString();
  }

  function side(unit, twin, root, parent, colour) {
    var box = el("section", {"class": "atlas-compare-side " + colour}, parent);
    var heading = el("h2", {}, box);
    el("a", {href: root + unit.page}, heading).textContent = unit.model + " / " + twin.layer + " / " + twin.unit;
    el("p", {}, box).textContent = twin.family ? "family: " + twin.family.label : "no family label";
    var folder = root + unit.twin.replace(/[^/]*$/, "");
    var fv = twin.featurevis && twin.featurevis.positive;
    if (fv) el("img", {src: folder + fv.files[0], width: 192, height: 192, alt: "feature visualization", "class": "atlas-fv"}, box);
    var strip = el("div", {"class": "atlas-compare-examples"}, box);
    (twin.exemplars || []).slice(0, 6).forEach(function (ex) {
      el("img", {src: folder + ex.file, width: 72, height: 72, alt: ex.source, title: ex.source + ": " + number(ex.activation)}, strip);
    });
  }

  /* Both units' tuning over orientation on one axis, in σ of drive. */
  function tuningChart(pairs, parent) {
    var key = pairs.map(function (p) { return p.twin.main_tuning; }).filter(Boolean)[0] || "curve";
    var curves = pairs.map(function (p) {
      var s = p.twin.synthetic;
      return s && s.orientation_tuning[key] ? {angles: s.orientations, values: s.orientation_tuning[key], label: p.label} : null;
    });
    var figure = el("figure", {"class": "atlas-compare-tuning"}, parent);
    var drawn = curves.filter(Boolean);
    if (!drawn.length) {
      el("p", {}, figure).textContent = "Neither unit has synthetic-stimulus tuning stored.";
      return;
    }
    var all = [].concat.apply([0], drawn.map(function (c) { return c.values.filter(isFinite); }));
    var lo = Math.min.apply(null, all), hi = Math.max.apply(null, all);
    if (hi <= lo) hi = lo + 1;
    var x0 = 44, w = 432, top = 14, h = 148, base = top + h;
    var svg = el("svg", {viewBox: "0 0 500 200", width: 500, height: 200, "class": "atlas-chart atlas-compare-chart", role: "img",
                         "aria-label": key + " tuning of both units"}, figure, SVG);
    function x(angle) { return x0 + w * angle / 360; }
    function y(value) { return base - h * ((isFinite(value) ? value : 0) - lo) / (hi - lo); }
    el("rect", {"class": "frame", x: x0, y: top, width: w, height: h}, svg, SVG);
    el("line", {"class": "zero", x1: x0, x2: x0 + w, y1: y(0), y2: y(0)}, svg, SVG);
    [0, 90, 180, 270, 360].forEach(function (t) {
      el("text", {x: x(t), y: base + 14, "text-anchor": "middle"}, svg, SVG).textContent = t + "°";
    });
    el("text", {x: x0 - 4, y: top + 8, "text-anchor": "end"}, svg, SVG).textContent = number(hi);
    el("text", {x: x0 - 4, y: base, "text-anchor": "end"}, svg, SVG).textContent = number(lo);
    el("text", {x: x0 + w / 2, y: base + 32, "text-anchor": "middle"}, svg, SVG).textContent = key.replace("_", "-") + " orientation; drive in σ";
    curves.forEach(function (c, i) {
      if (!c) return;
      el("rect", {"class": "legend " + COLOURS[i], x: x0 + w - 150 + 75 * i, y: 1, width: 14, height: 4}, svg, SVG);
      el("text", {x: x0 + w - 132 + 75 * i, y: 7}, svg, SVG).textContent = "unit " + (i ? "B" : "A");
      var pts = c.angles.map(function (a, j) { return x(a) + "," + y(c.values[j]); });
      pts.push(x(c.angles[0] + 360) + "," + y(c.values[0]));
      el("polyline", {"class": "tuning " + COLOURS[i], points: pts.join(" ")}, svg, SVG);
      c.angles.forEach(function (a, j) {
        el("circle", {"class": "hit " + COLOURS[i], cx: x(a), cy: y(c.values[j]), r: 3,
                      "data-tip": c.label + ", " + key.replace("_", "-") + " at " + a + "°: " + number(c.values[j]) + " σ"}, svg, SVG);
      });
    });
    svg.setAttribute("tabindex", "0");
    el("figcaption", {}, figure).textContent = "Drive by orientation of " + key.replace("_", "-") +
      " stimuli, unit A and unit B, each in σ of its own dataset activations. Hover or focus for values.";
  }

  function compare() {
    var view = document.querySelector("[data-atlas-compare]");
    if (!view || view.dataset.ready) return;
    view.dataset.ready = "1";
    var root = view.dataset.root, form = document.querySelector("[data-atlas-compare-form]");
    var query = new URLSearchParams(window.location.search);
    var ids = ["a", "b"].map(function (name) {
      var value = query.get(name) || (form && form.elements[name].value) || "";
      if (form) form.elements[name].value = value;
      return value;
    });
    fetch(new URL(view.dataset.units, document.baseURI)).then(function (r) { return r.json(); }).then(function (index) {
      var list = document.getElementById("atlas-units"), byId = {};
      index.units.forEach(function (unit) {
        byId[unit.id] = unit;
        el("option", {value: unit.id, label: unit.label ? unit.id + " · " + unit.label : unit.id}, list);
      });
      var missing = ids.filter(function (id) { return !byId[id]; });
      if (missing.length) {
        el("p", {"class": "atlas-compare-missing"}, view).textContent = "Not a unit of this atlas: " + missing.join(", ");
        return null;
      }
      return Promise.all(ids.map(function (id) {
        return fetch(new URL(root + byId[id].twin, document.baseURI)).then(function (r) { return r.json(); });
      })).then(function (twins) {
        var grid = el("div", {"class": "atlas-compare-grid"}, view);
        twins.forEach(function (twin, i) { side(byId[ids[i]], twin, root, grid, COLOURS[i]); });
        tuningChart(twins.map(function (twin, i) { return {twin: twin, label: (i ? "B " : "A ") + ids[i]}; }), view);
      });
    });
  }

  function setup() {
    filters();
    marks(document);
    panels();
    compare();
  }
  if (typeof document$ !== "undefined" && document$.subscribe) {
    document$.subscribe(setup);  // Material's page-load stream (also fires with instant navigation)
  } else if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", setup);
  } else {
    setup();
  }
})();
