// The job page: while a render runs, its log shows the newest line (the progress region, log
// included, is replaced by htmx every poll, which would otherwise start it at the top again).
(function () {
  "use strict";

  function followLogs() {
    document.querySelectorAll("[data-follow-log]").forEach((log) => {
      log.scrollTop = log.scrollHeight;
    });
  }

  document.addEventListener("DOMContentLoaded", followLogs);
  document.body.addEventListener("htmx:afterSwap", followLogs);
})();
