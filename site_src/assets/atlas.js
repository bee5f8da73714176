/* Neuron Atlas: small enhancements of static pages, no framework, no request outside the site.
   Every page works without it (the family filter is a row of links, CSS :target; links work), but for
   the charts of neuron pages, which it draws from the numbers in the page (their captions give the
   main ones).
   - the charts of neuron pages, drawn from their specs (data-chart);
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
      el("img", {src: folder + ex.file, width: 72, height: 72, alt: ex.source, title: ex.source + ": " + fmt(ex.activation)}, strip);
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
    el("text", {x: x0 - 4, y: top + 8, "text-anchor": "end"}, svg, SVG).textContent = fmt(hi);
    el("text", {x: x0 - 4, y: base, "text-anchor": "end"}, svg, SVG).textContent = fmt(lo);
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
                      "data-tip": c.label + ", " + key.replace("_", "-") + " at " + a + "°: " + fmt(c.values[j]) + " σ"}, svg, SVG);
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


  /* ---------------------------------------------------------------- charts of neuron pages */
  /* A neuron page's charts are drawn here from the numbers its view computed (data-chart, JSON):
     20,000 pages of inline SVG were a third of a full atlas's bytes. Every mark keeps its <title>. */
  function fmt(v) {  // Python's "{:.3g}" (generate/analysis/text.py number)
    if (v === "inf" || v === "-inf") return v === "inf" ? "∞" : "−∞";  // JSON has no infinity
    if (v === null || v === undefined) return "n/a";
    if (!isFinite(v)) return isNaN(v) ? "n/a" : (v < 0 ? "−∞" : "∞");
    if (v === 0) return "0";
    var parts = v.toExponential(2).split("e"), exp = Number(parts[1]);
    if (exp < -4 || exp >= 3) {
      var e = Math.abs(exp);
      return parts[0].replace(/\.?0+$/, "") + "e" + (exp < 0 ? "-" : "+") + (e < 10 ? "0" : "") + e;
    }
    var s = v.toFixed(2 - exp);
    return s.indexOf(".") >= 0 ? s.replace(/0+$/, "").replace(/\.$/, "") : s;
  }
  function deg(v) {
    if (v === null || v === undefined) return "n/a";
    return (v === Math.round(v) ? v.toFixed(0) : v.toFixed(1)) + "°";
  }
  function short(v) {  // a bar label (generate/site/environment.py short_number)
    var size = Math.abs(v);
    return size >= 10 ? v.toFixed(0) : size >= 1 ? v.toFixed(1) : size > 0 ? v.toFixed(2) : "0";
  }
  function r1(v) { return Math.round(v * 10) / 10; }
  function finite(v, fallback) { return typeof v === "number" && isFinite(v) ? v : fallback; }

  function mark(tag, attrs, parent, title) {
    var node = el(tag, attrs, parent, SVG);
    if (title) el("title", {}, node, SVG).textContent = title;
    return node;
  }
  function label(x, y, text, parent, anchor, cls) {
    var attrs = {x: x, y: y};
    if (anchor) attrs["text-anchor"] = anchor;
    if (cls) attrs["class"] = cls;
    el("text", attrs, parent, SVG).textContent = text;
  }
  function frame(svg, width, height) {
    svg.setAttribute("viewBox", "0 0 " + width + " " + height);
    svg.setAttribute("width", width);
    svg.setAttribute("height", height);
  }
  /* A curve over the circle in frame f: its points (one per angle: the hover targets) and its line,
     closed by the first value repeated at 360°. */
  function circleCurve(values, angles, f, lo, hi) {
    var span = (hi - lo) || 1, pts = angles.map(function (a, i) {
      return [r1(f.x0 + f.w * a / 360), r1(f.base - f.h * (finite(values[i], lo) - lo) / span)];
    });
    var line = pts.slice();
    if (pts.length && values.length === angles.length) line.push([r1(f.x0 + f.w * (angles[0] + 360) / 360), pts[0][1]]);
    return {points: pts, line: joined(line)};
  }
  function joined(pts) { return pts.map(function (p) { return p[0] + "," + p[1]; }).join(" "); }

  var CHARTS = {
    histogram: function (svg, c) {
      var left = 40, pw = 500, base = 140, ph = 125, n = c.counts.length;
      var top = Math.log1p(Math.max.apply(null, c.counts)) || 1, step = (c.high - c.low) / n;
      frame(svg, left + pw + 20, base + 30);
      c.counts.forEach(function (count, i) {
        var tall = ph * Math.log1p(count) / top;
        mark("rect", {x: r1(left + i * pw / n), y: r1(base - tall), width: r1(pw / n - 1), height: r1(tall)}, svg,
             "activation " + fmt(c.low + i * step) + " to " + fmt(c.low + (i + 1) * step) + ": " + count +
             " position" + (count !== 1 ? "s" : ""));
      });
      c.marks.forEach(function (m, i) {
        var x = r1(left + pw * (m[0] - c.low) / (c.high - c.low));
        el("line", {x1: x, x2: x, y1: 10, y2: base}, svg, SVG);
        label(r1(x + 3), 22 + 13 * i, m[1], svg);
      });
      label(left, base + 18, fmt(c.low), svg);
      label(left + pw, base + 18, fmt(c.high), svg, "end");
      label(left + pw / 2, base + 28, "activation", svg, "middle");
    },
    heatmap: function (svg, c) {
      var cw = 16, ch = 22, x0 = 50, y0 = 6, n = c.thetas.length, height = c.rows.length * ch, peak = null;
      var scale = 0;
      c.rows.forEach(function (row) { row.forEach(function (v) { scale = Math.max(scale, Math.abs(v)); }); });
      scale = scale || 1;
      frame(svg, x0 + n * cw + 10, y0 + height + 36);
      el("rect", {"class": "bg", x: x0, y: y0, width: n * cw - 1, height: height - 1}, svg, SVG);
      c.rows.forEach(function (row, r) {
        label(x0 - 4, y0 + r * ch + ch / 2 + 4, fmt(c.radii[r]), svg, "end");
        row.forEach(function (v, col) {
          if (peak === null || v > peak.v) peak = {v: v, r: r, c: col};
          mark("rect", {"class": v >= 0 ? "pos" : "neg", x: x0 + col * cw, y: y0 + r * ch, width: cw - 1, height: ch - 1,
                        "fill-opacity": (Math.abs(v) / scale).toFixed(2)}, svg,
               "radius " + fmt(c.radii[r]) + ", " + deg(c.thetas[col]) + ": " + fmt(v) + " σ");
        });
      });
      if (peak && peak.v > 0) {
        el("rect", {"class": "peak", x: x0 + peak.c * cw - 0.5, y: y0 + peak.r * ch - 0.5, width: cw, height: ch}, svg, SVG);
      }
      c.thetas.forEach(function (t, col) {
        if (t % 90 === 0) label(x0 + col * cw + cw / 2, y0 + height + 12, deg(t), svg, "middle");
      });
      label(x0 + n * cw / 2, y0 + height + 30, "orientation (direction of the bulge)", svg, "middle");
      var mid = y0 + height / 2;
      el("text", {x: 12, y: mid, "text-anchor": "middle", transform: "rotate(-90 12 " + mid + ")"}, svg, SVG).textContent = "radius";
    },
    polar: function (svg, c) {
      var cx = 85, cy = 86, radius = 54, pts = [];
      frame(svg, 170, 172);
      label(cx, 13, c.title, svg, "middle", "atlas-chart-title");
      el("circle", {"class": "ring", cx: cx, cy: cy, r: radius / 2}, svg, SVG);
      el("circle", {"class": "ring", cx: cx, cy: cy, r: radius}, svg, SVG);
      el("line", {"class": "axis", x1: cx - radius, x2: cx + radius, y1: cy, y2: cy}, svg, SVG);
      el("line", {"class": "axis", x1: cx, x2: cx, y1: cy - radius, y2: cy + radius}, svg, SVG);
      label(cx + radius + 3, cy + 4, "0°", svg);
      label(cx, cy - radius - 4, "90°", svg, "middle");
      label(cx - radius - 3, cy + 4, "180°", svg, "end");
      label(cx, cy + radius + 12, "270°", svg, "middle");
      c.drives.forEach(function (v, i) {
        var r = radius * Math.max(v, 0) / c.scale, a = c.thetas[i] * Math.PI / 180;
        pts.push([r1(cx + r * Math.cos(a)), r1(cy - r * Math.sin(a))]);
      });
      el("polygon", {"class": "trace", points: joined(pts)}, svg, SVG);
      if (c.stimulus) {
        el("rect", {"class": "atlas-stimulus-frame", x: 135.5, y: 1.5, width: 33, height: 33}, svg, SVG);
        mark("image", {"class": "atlas-stimulus", href: c.stimulus.href, x: 136, y: 2, width: 32, height: 32}, svg,
             "strongest " + c.title + " stimulus: " + c.stimulus.text + ", " + fmt(c.stimulus.drive) + " σ");
      }
      var best = 0;
      c.drives.forEach(function (v, i) {
        if (v > c.drives[best]) best = i;
        mark("circle", {"class": "point", cx: pts[i][0], cy: pts[i][1], r: 2}, svg,
             c.title + " at " + deg(c.thetas[i]) + ": " + fmt(v) + " σ");
      });
      var peak = c.drives[best];
      label(cx, 168, peak > 0 ? "peak " + fmt(peak) + " σ at " + deg(c.thetas[best]) : "no drive above the blank", svg, "middle");
    },
    bars: function (svg, c) {
      var values = c.values.map(function (v) { return finite(v, 0); });
      var hi = Math.max(Math.max.apply(null, values), 0), lo = Math.min(Math.min.apply(null, values), 0);
      if (hi === lo) hi = 1;
      var span = hi - lo, top = 16, plot = 96, x0 = 6, slot = c.slot, width = 2 * x0 + values.length * slot;
      var zero = r1(top + plot * hi / span), labelY = top + plot + 13;
      frame(svg, width, top + plot + 36);
      values.forEach(function (value, i) {
        var y = top + plot * (hi - Math.max(value, 0)) / span, x = x0 + i * slot, fill = c.fills && c.fills[i];
        var attrs = {"class": fill ? "bar data" : "bar", x: x + 3, y: r1(y), width: slot - 6, height: r1(plot * Math.abs(value) / span)};
        if (fill) attrs.style = "fill: " + fill;
        mark("rect", attrs, svg, (c.names || c.labels)[i] + ": " + fmt(c.values[i]) + " " + (c.unit || "σ"));
        label(x + slot / 2, r1(value >= 0 ? y - 3 : zero - 3), short(value), svg, "middle");
        label(x + slot / 2, labelY, c.labels[i], svg, "middle");
      });
      el("line", {"class": "zero", x1: x0, x2: width - x0, y1: zero, y2: zero}, svg, SVG);
      if (c.axis) label(width / 2, top + plot + 31, c.axis, svg, "middle");
    },
    rotation: function (svg, c) {
      var f = circleFrame(svg, 8, 120), n = c.curves.length;
      if (c.lo < 0) {
        var zero = r1(f.base - f.h * (0 - c.lo) / (c.hi - c.lo));
        el("line", {"class": "zero", x1: f.x0, x2: f.x0 + f.w, y1: zero, y2: zero}, svg, SVG);
      }
      label(f.x0 - 4, f.top + 8, short(c.hi), svg, "end");
      label(f.x0 - 4, f.base, short(c.lo), svg, "end");
      var mid = f.top + f.h / 2;
      el("text", {x: 12, y: mid, "text-anchor": "middle", transform: "rotate(-90 12 " + mid + ")"}, svg, SVG).textContent = "activation";
      c.curves.forEach(function (curve, i) {
        mark("polyline", {"class": "thin", points: circleCurve(curve, c.angles, f, c.lo, c.hi).line}, svg,
             "example " + (i + 1) + ": peak " + fmt(c.peaks[i][0]) + " at " + deg(c.peaks[i][1]));
      });
      if (c.average.length) {
        var average = circleCurve(c.average, c.angles, f, c.lo, c.hi);
        mark("polyline", {"class": "avg", points: average.line}, svg,
             "average of the " + n + " examples: " + fmt(c.average[0]) + " unrotated, peak " + fmt(Math.max.apply(null, c.average)));
        average.points.forEach(function (p, i) {
          mark("circle", {"class": "hit", cx: p[0], cy: p[1], r: 3}, svg,
               "turned " + deg(c.angles[i]) + ": " + fmt(c.average[i]) + " (average of the " + n + " examples)");
        });
      }
      circleAxis(svg, f, "rotation of the example (counter-clockwise)");
    },
    tuning: function (svg, c) {
      var f = circleFrame(svg, 20, 96), half = f.base - f.h / 2;
      el("line", {"class": "half", x1: f.x0, x2: f.x0 + f.w, y1: half, y2: half}, svg, SVG);
      label(f.x0 - 4, f.top + 8, "1", svg, "end");
      label(f.x0 - 4, half + 4, "0.5", svg, "end");
      label(f.x0 - 4, f.base, "0", svg, "end");
      var tuning = circleCurve(c.tuning, c.angles, f, 0, 1);
      mark("polyline", {"class": "tuning", points: tuning.line}, svg,
           "joint tuning over " + c.anchors + " other member" + (c.anchors !== 1 ? "s" : "") + "; peak at " + deg(c.rotation));
      tuning.points.forEach(function (p, i) {
        mark("circle", {"class": "hit", cx: p[0], cy: p[1], r: 3}, svg, "feature at " + deg(c.angles[i]) + ": " + fmt(c.tuning[i]) + " of the peak");
      });
      [["mark-synth", c.synthetic_marks, "synthetic preferred orientation " + deg(c.synthetic), 0, "synthetic " + deg(c.synthetic)],
       ["mark-rot", c.rotation_marks, "rotation peak " + deg(c.rotation), 150, "rotation " + deg(c.rotation)]].forEach(function (m) {
        m[1].forEach(function (t) {
          var x = r1(f.x0 + f.w * t / 360);
          mark("line", {"class": m[0], x1: x, x2: x, y1: f.top, y2: f.base}, svg, m[2]);
        });
        el("line", {"class": m[0], x1: f.x0 + m[3], x2: f.x0 + m[3] + 16, y1: 8, y2: 8}, svg, SVG);
        label(f.x0 + m[3] + 20, 11, m[4], svg);
      });
      circleAxis(svg, f, "absolute orientation of the feature");
    }
  };

  /* The frame of a curve over the circle (0–360°) with its grid. */
  function circleFrame(svg, top, h) {
    var f = {x0: 44, w: 360, top: top, h: h, base: top + h};
    frame(svg, f.x0 + f.w + 14, f.base + 36);
    el("rect", {"class": "frame", x: f.x0, y: f.top, width: f.w, height: f.h}, svg, SVG);
    [90, 180, 270].forEach(function (t) {
      var x = f.x0 + f.w * t / 360;
      el("line", {"class": "grid", x1: x, x2: x, y1: f.top, y2: f.base}, svg, SVG);
    });
    return f;
  }
  function circleAxis(svg, f, text) {
    [0, 90, 180, 270, 360].forEach(function (t) { label(r1(f.x0 + f.w * t / 360), f.base + 13, t + "°", svg, "middle"); });
    label(f.x0 + f.w / 2, f.base + 29, text, svg, "middle");
  }

  function charts(root) {
    root.querySelectorAll("svg[data-chart]").forEach(function (svg) {
      if (svg.childNodes.length) return;
      var spec = JSON.parse(svg.getAttribute("data-chart"));
      CHARTS[spec.kind](svg, spec);
    });
  }

  function setup() {
    filters();
    charts(document);
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
