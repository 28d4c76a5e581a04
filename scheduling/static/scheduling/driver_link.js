// The patient page's new driver link (templates/patient/page.html, #driver-link): a Copy button
// (the clipboard, else the link text is selected for the phone's own copy) and a Share button
// where the browser can share. Both stay hidden without JavaScript; the link is plain text.
(function () {
  var text = document.getElementById("driver-link-text");
  var copy = document.getElementById("driver-link-copy");
  var share = document.getElementById("driver-link-share");
  var said = document.getElementById("driver-link-copied");
  var link = text.textContent.trim();
  function select() {
    var range = document.createRange();
    range.selectNodeContents(text);
    var sel = window.getSelection();
    sel.removeAllRanges();
    sel.addRange(range);
  }
  copy.hidden = false;
  copy.addEventListener("click", function () {
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(link).then(function () { said.textContent = "Copied."; },
        function () { select(); said.textContent = "Selected: copy it now."; });
    } else {
      select();
      var done = false;
      try { done = document.execCommand("copy"); } catch (e) { done = false; }
      said.textContent = done ? "Copied." : "Selected: copy it now.";
    }
  });
  if (navigator.share) {
    share.hidden = false;
    share.addEventListener("click", function () {
      navigator.share({ title: "My appointment pick-up times", url: link }).catch(function () {});
    });
  }
})();
