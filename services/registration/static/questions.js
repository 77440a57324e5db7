// Registration questions asked only after a given answer: hidden until that answer is
// chosen. Without this script every question shows, with a hint saying when to answer it.
(function () {
  "use strict";
  var questions = document.querySelectorAll("[data-after]");
  if (!questions.length) {
    return;
  }
  var form = questions[0].closest("form");
  function chosen(name) {
    var checked = form.querySelector('input[name="' + name + '"]:checked');
    return checked ? checked.value : "";
  }
  function update() {
    questions.forEach(function (question) {
      var shown = chosen(question.dataset.after) === question.dataset.afterValue;
      question.hidden = !shown;
      question.querySelectorAll("input, select, textarea").forEach(function (input) {
        input.disabled = !shown;
      });
    });
  }
  form.addEventListener("change", update);
  update();
})();
