// The product form: the print areas' outlines over the mockup follow the
// numbers as they are typed (the page draws them from the saved numbers
// without JavaScript).
(function () {
  "use strict";
  var svg = document.querySelector(".mockup svg");
  if (!svg) return;
  var NS = "http://www.w3.org/2000/svg";
  var viewHeight = parseFloat(svg.getAttribute("data-view-height")) || 1000;
  function num(fields, name) {
    var input = fields.querySelector('[name$="].' + name + '"]');
    var v = input ? parseFloat(String(input.value).replace(",", ".")) : NaN;
    return isFinite(v) ? v : 0;
  }
  function draw(fields) {
    var i = fields.getAttribute("data-area-fields");
    var rect = svg.querySelector('[data-area="' + i + '"]');
    var label = svg.querySelector('[data-area-label="' + i + '"]');
    if (!rect) {
      rect = document.createElementNS(NS, "rect");
      rect.setAttribute("class", "area-outline");
      rect.setAttribute("data-area", i);
      label = document.createElementNS(NS, "text");
      label.setAttribute("class", "area-label");
      label.setAttribute("data-area-label", i);
      label.setAttribute("dy", "-6");
      svg.appendChild(rect);
      svg.appendChild(label);
    }
    var w = num(fields, "width_mm"), h = num(fields, "height_mm");
    var width = num(fields, "mockup_width") / 100 * 1000;
    var height = w > 0 ? width * h / w : 0;
    var x = num(fields, "mockup_x") / 100 * 1000, y = num(fields, "mockup_y") / 100 * viewHeight;
    rect.setAttribute("x", x);
    rect.setAttribute("y", y);
    rect.setAttribute("width", Math.max(width, 0));
    rect.setAttribute("height", Math.max(height, 0));
    label.setAttribute("x", x);
    label.setAttribute("y", y);
    var name = fields.querySelector('[name$="].name"]');
    label.textContent = name ? name.value : "";
  }
  document.querySelectorAll("[data-area-fields]").forEach(function (fields) {
    fields.addEventListener("input", function () { draw(fields); });
  });
})();
