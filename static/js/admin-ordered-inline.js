// Up/down buttons for ordered admin inlines (a role's duties, a team's core duties).
// Without JavaScript the position numbers do the same job; this only swaps rows and renumbers.
"use strict";
(function () {
  function rows(tbody) {
    return Array.from(tbody.querySelectorAll("tr.form-row:not(.empty-form)"));
  }
  function renumber(tbody) {
    let n = 1;
    for (const row of rows(tbody)) {
      const input = row.querySelector("input.position-field");
      const deleted = row.querySelector("input[name$='-DELETE']");
      if (!input || (deleted && deleted.checked)) continue;
      const text = row.querySelector("td.field-text input");
      if (input.value === "" && text && text.value.trim() === "") continue;
      input.value = n++;
    }
  }
  function addButtons(row) {
    const cell = row.querySelector("td.field-position");
    if (!cell || cell.querySelector(".move-row")) return;
    for (const [dir, label, title] of [["up", "↑", "Move up"], ["down", "↓", "Move down"]]) {
      const button = document.createElement("button");
      button.type = "button";
      button.className = "move-row move-" + dir;
      button.textContent = label;
      button.title = button.ariaLabel = window.gettext ? window.gettext(title) : title;
      button.addEventListener("click", function () {
        const tbody = row.parentNode;
        const list = rows(tbody);
        const index = list.indexOf(row);
        const other = list[dir === "up" ? index - 1 : index + 1];
        if (!other) return;
        if (dir === "up") tbody.insertBefore(row, other);
        else tbody.insertBefore(other, row);
        renumber(tbody);
      });
      cell.appendChild(button);
    }
  }
  function init() {
    for (const input of document.querySelectorAll("input.position-field")) {
      const row = input.closest("tr.form-row");
      if (row && !row.classList.contains("empty-form")) addButtons(row);
    }
  }
  document.addEventListener("DOMContentLoaded", init);
  document.addEventListener("formset:added", function (event) {
    addButtons(event.target);
  });
})();
