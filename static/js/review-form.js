// The lead's review form: while "Keep as it is" is chosen, the revised list is read-only, so
// nobody edits a list that Keep would not use. Edits already typed stay in the fields (and the
// server refuses a Keep whose list differs from the current one), so nothing is lost silently.
// Without JavaScript the form still works: the server's refusal is the safety net.
(function () {
  "use strict";

  function setup(form) {
    var list = form.querySelector("[data-revise-list]");
    var radios = form.querySelectorAll('input[name="outcome"]');
    if (!list || !radios.length) return;
    var note = list.querySelector("[data-keep-note]");

    function keepChosen() {
      var chosen = form.querySelector('input[name="outcome"]:checked');
      return chosen !== null && chosen.value === "keep";
    }

    function update() {
      var locked = keepChosen();
      list.classList.toggle("locked", locked);
      list.querySelectorAll('input[type="text"], input[type="number"]').forEach(function (input) {
        input.readOnly = locked;
      });
      list.querySelectorAll('input[type="checkbox"]').forEach(function (box) {
        box.setAttribute("aria-disabled", locked ? "true" : "false");
      });
      if (note) note.hidden = !locked;
    }

    // A read-only checkbox does not exist in HTML: refuse the click instead of disabling it,
    // so that a box ticked before choosing Keep is still sent (and refused by the server).
    list.addEventListener("click", function (event) {
      if (keepChosen() && event.target.matches('input[type="checkbox"]')) event.preventDefault();
    });
    radios.forEach(function (radio) {
      radio.addEventListener("change", update);
    });
    update();
  }

  document.querySelectorAll("form[data-review-form]").forEach(setup);
})();
