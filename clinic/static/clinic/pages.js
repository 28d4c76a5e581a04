/* Small helpers for the staff pages; every page works without them.
 * - Out-of-range values are highlighted as they are typed, using the ranges the server put on
 *   each input from the form template (the server flags and confirms them again on save).
 * - Answers that stop treatment or need review are explained as they are chosen.
 * - Checkpoint countdowns, counted from the server's clock (data-server-now), not the tablet's.
 * - Observation form: an out-of-range confirmation the server asked for is scrolled to the middle
 *   of the screen and its checkbox focused (without JS, the form's #cp-<key>-check fragment and
 *   the checkbox's autofocus bring it into view).
 */
(function () {
  "use strict";

  function explain(field, text, kind) {
    var box = field.querySelector(".explain");
    field.classList.toggle("out-of-range", kind === "alert" && !!text);
    field.classList.toggle("hard-stop", kind === "hard" && !!text);
    field.classList.toggle("review", kind === "review" && !!text);
    if (!box) return;
    box.textContent = text || "";
    box.hidden = !text;
  }

  function checkNumber(input) {
    var field = input.closest(".field");
    var raw = input.value.trim();
    var value = raw === "" ? NaN : Number(raw);
    var above = input.dataset.alertAbove, below = input.dataset.alertBelow;
    var text = "";
    if (!isNaN(value)) {
      if (above !== undefined && value > Number(above)) text = "Out of range: above " + above + ". You will be asked to confirm.";
      if (below !== undefined && value < Number(below)) text = "Out of range: below " + below + ". You will be asked to confirm.";
    }
    input.classList.toggle("out-of-range", !!text);
    input.setAttribute("aria-invalid", text ? "true" : "false");
    if (field) explain(field, text, "alert");
  }

  function listed(el, name, value) {
    var raw = el.getAttribute(name);
    return raw !== null && raw.split(" ").indexOf(value) !== -1;
  }

  function checkAnswer(el) {
    var field = el.closest(".field");
    if (!field) return;
    var value = el.value;
    if (el.type === "radio" && !el.checked) return;
    if (listed(el, "data-hard-stop", value)) {
      explain(field, "Hard stop: treatment is blocked until a clinician overrides this answer with a reason.", "hard");
    } else if (listed(el, "data-review", value)) {
      explain(field, "A clinician must review this answer before treatment.", "review");
    } else if (listed(el, "data-alert-values", value)) {
      explain(field, "Out of range: a clinician will be alerted.", "alert");
    } else {
      explain(field, "", "");
    }
  }

  document.addEventListener("input", function (event) {
    var el = event.target;
    if (el.matches && el.matches("input[data-alert-above], input[data-alert-below]")) checkNumber(el);
  });
  document.addEventListener("change", function (event) {
    var el = event.target;
    if (el.matches && el.matches("[data-hard-stop], [data-review], [data-alert-values]")) checkAnswer(el);
  });

  // The same words as clinic/display_text.py duration_text: "45 s", "12 min 05 s", "5 h 00 min".
  function pad(n) { return (n < 10 ? "0" : "") + n; }
  function durationText(seconds) {
    var total = Math.abs(Math.round(seconds));
    if (total < 60) return total + " s";
    var mins = Math.floor(total / 60), secs = total % 60;
    if (mins < 60) return mins + " min " + pad(secs) + " s";
    return Math.floor(mins / 60) + " h " + pad(mins % 60) + " min";
  }

  function ready() {
    document.querySelectorAll("input[data-alert-above], input[data-alert-below]").forEach(checkNumber);
    document.querySelectorAll("input[type=radio]:checked, select[data-alert-values], select[data-hard-stop]").forEach(checkAnswer);
    var confirmBox = document.querySelector(".checkpoint .confirm");
    if (confirmBox) {
      confirmBox.scrollIntoView({ block: "center" });
      var tick_box = confirmBox.querySelector("input[type=checkbox]");
      if (tick_box) tick_box.focus({ preventScroll: true });
    }
    var clock = document.querySelector("[data-server-now]");
    var countdowns = document.querySelectorAll(".countdown[data-due]");
    if (!clock || !countdowns.length) return;
    var skew = Date.parse(clock.dataset.serverNow) - Date.now();
    function tick() {
      var now = Date.now() + skew;
      countdowns.forEach(function (el) {
        var left = Math.round((Date.parse(el.dataset.due) - now) / 1000);
        var span = durationText(left);
        el.textContent = left >= 0 ? "in " + span : "overdue by " + span;
        el.classList.toggle("overdue", left < 0);
      });
    }
    tick();
    setInterval(tick, 1000);
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", ready);
  else ready();
})();
