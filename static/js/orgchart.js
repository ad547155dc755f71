// Org chart enhancements; the chart works without them (<details> and plain links).
// - a collapsed sub-tree loads its HTML fragment when opened, instead of following the link;
// - "Expand all" / "Collapse all" for what is already loaded; "Print" opens everything loaded first;
// - a search hit (#team-… / #role-…) is scrolled to and focused.
(function () {
  "use strict";

  function loadSubtree(details) {
    var url = details.getAttribute("data-subtree-url");
    if (!url || details.getAttribute("data-loaded") || details.getAttribute("aria-busy")) return;
    details.setAttribute("aria-busy", "true");
    fetch(url, { credentials: "same-origin", headers: { "X-Requested-With": "fetch" } })
      .then(function (response) {
        if (!response.ok) throw new Error(response.status);
        return response.text();
      })
      .then(function (html) {
        var template = document.createElement("template");
        template.innerHTML = html;
        var placeholder = details.querySelector(":scope > .oc-lazy");
        if (placeholder) placeholder.replaceWith(template.content);
        details.setAttribute("data-loaded", "true");
      })
      .catch(function () {
        // Leave the no-JS link in place: it opens this part of the chart as a page.
      })
      .finally(function () {
        details.removeAttribute("aria-busy");
      });
  }

  function setAll(chart, open) {
    chart.querySelectorAll("details").forEach(function (details) {
      if (details.hasAttribute("data-subtree-url") && !details.getAttribute("data-loaded")) return;
      details.open = open;
    });
  }

  function focusTarget() {
    if (!location.hash) return;
    var target = document.getElementById(decodeURIComponent(location.hash.slice(1)));
    if (!target) return;
    var box = target.closest(".oc-box") || target;
    var details = box.closest("details");
    while (details) {
      details.open = true;
      details = details.parentElement && details.parentElement.closest("details");
    }
    var roles = target.closest(".oc-roles");
    if (roles) roles.open = true;
    box.classList.add("oc-focus");
    box.focus({ preventScroll: true });
    target.scrollIntoView({ block: "center", inline: "center" });
  }

  document.addEventListener("DOMContentLoaded", function () {
    var chart = document.querySelector("[data-chart]");
    document.querySelectorAll("[data-chart-expand],[data-chart-collapse],[data-chart-print]").forEach(function (b) {
      b.hidden = !chart;
    });
    if (!chart) return;
    // <details> "toggle" does not bubble: listen in the capture phase.
    chart.addEventListener(
      "toggle",
      function (event) {
        var details = event.target;
        if (details.open && details.hasAttribute("data-subtree-url")) loadSubtree(details);
      },
      true
    );
    var expand = document.querySelector("[data-chart-expand]");
    var collapse = document.querySelector("[data-chart-collapse]");
    var print = document.querySelector("[data-chart-print]");
    if (expand) expand.addEventListener("click", function () { setAll(chart, true); });
    if (collapse) collapse.addEventListener("click", function () { setAll(chart, false); });
    if (print) print.addEventListener("click", function () { window.print(); });
    var wasOpen = [];
    window.addEventListener("beforeprint", function () {
      wasOpen = Array.prototype.filter.call(chart.querySelectorAll("details"), function (d) { return !d.open; });
      setAll(chart, true);
    });
    window.addEventListener("afterprint", function () {
      wasOpen.forEach(function (d) { d.open = false; });
    });
    focusTarget();
  });
})();
