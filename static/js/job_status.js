// The job page: while a render runs, its log shows the newest line. Each poll appends the new
// lines to the log (an out-of-band swap, renders/views.py job_progress), or replaces the whole log
// once the job is final; either way the view follows to the end.
(function () {
  "use strict";

  function followLogs() {
    document.querySelectorAll("[data-follow-log]").forEach((log) => {
      log.scrollTop = log.scrollHeight;
    });
  }

  document.addEventListener("DOMContentLoaded", followLogs);
  document.body.addEventListener("htmx:afterSwap", followLogs);
  document.body.addEventListener("htmx:oobAfterSwap", followLogs);
})();
