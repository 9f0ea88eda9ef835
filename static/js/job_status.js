// The job page: while a render runs, its log shows the newest line. Each poll appends the new
// lines to the log (an out-of-band swap, renders/views.py job_progress), or replaces the whole log
// once the job is final; either way the view follows to the end.
//
// Watch while it renders: #live-preview (outside the polled region, so it keeps playing) plays
// the job's live HLS playlist of finished scenes, with hls.js where the browser has no native
// HLS (static/vendor/hls.js-*). Once a poll brings the finished video, the live player hands its
// place in the video to the MP4 player and goes away: the MP4 is what the creator keeps.
(function () {
  "use strict";

  // How often to ask whether the first scene is done: often while the job runs, seldom while it
  // waits in the queue (which may take minutes).
  const FIRST_PIECE_POLL_MS = { running: 500, queued: 3000 };

  function followLogs() {
    document.querySelectorAll("[data-follow-log]").forEach((log) => {
      log.scrollTop = log.scrollHeight;
    });
  }

  // Start playing; a browser that refuses sound without a click (autoplay policy) plays muted,
  // and the player's own controls unmute it.
  function playWithSoundIfAllowed(video) {
    const attempt = video.play();
    if (!attempt) return;
    attempt.catch((error) => {
      if (error.name !== "NotAllowedError") return;
      video.muted = true;
      video.play().catch(() => {});
    });
  }

  const live = {
    section: null,
    video: null,
    hls: null,
    started: false,

    init() {
      this.section = document.getElementById("live-preview");
      if (!this.section) return;
      this.video = this.section.querySelector("video");
      this.waitForFirstPiece();
    },

    // The playlist is empty until the first scene is done: ask for it (one small read) every
    // half second while the job runs, then let the player follow it from the start.
    waitForFirstPiece() {
      if (!this.section) return;
      const url = this.section.dataset.livePlaylist;
      const again = () => {
        const region = document.getElementById("job-progress");
        const state = region ? region.dataset.state : "running";
        window.setTimeout(() => this.waitForFirstPiece(), FIRST_PIECE_POLL_MS[state] || FIRST_PIECE_POLL_MS.running);
      };
      fetch(url, { cache: "no-store", credentials: "same-origin" })
        .then((response) => (response.ok ? response.text() : ""))
        .then((text) => {
          if (!this.section) return;
          if (text.includes("#EXTINF")) {
            this.start(url);
          } else if (!text.includes("#EXT-X-ENDLIST")) {
            again();
          }
        })
        .catch(again);
    },

    start(url) {
      if (this.started) return;
      this.started = true;
      this.section.dataset.liveState = "playing";
      const note = this.section.querySelector("[data-live-note]");
      if (note) note.textContent = "Playing the scenes rendered so far; the finished video takes over when it is ready.";
      const video = this.video;
      const Hls = window.Hls;
      if (Hls && Hls.isSupported()) {
        // No web worker (it would be a blob: script, which the CSP forbids); from the first piece,
        // not the live edge: the creator watches the video from its start.
        this.hls = new Hls({ enableWorker: false, startPosition: 0, liveSyncDurationCount: 1 });
        this.hls.loadSource(url);
        this.hls.attachMedia(video);
        this.hls.on(Hls.Events.MANIFEST_PARSED, () => playWithSoundIfAllowed(video));
      } else if (video.canPlayType("application/vnd.apple.mpegurl")) {
        video.src = url;
        playWithSoundIfAllowed(video);
      }
    },

    // The job is final. Succeeded: continue in the MP4 player where the live one was. Otherwise
    // the live player stays (its playlist is closed now) with what was rendered.
    handOver() {
      if (!this.section) return;
      const region = document.getElementById("job-progress");
      if (!region || region.dataset.state !== "succeeded") return;
      const finished = region.querySelector("video[data-testid='player']");
      if (!finished) return;
      const video = this.video;
      const wasPlaying = this.started && !video.paused && !video.ended;
      const at = this.started ? video.currentTime : 0;
      finished.muted = video.muted;
      if (this.hls) this.hls.destroy();
      video.removeAttribute("src");
      this.section.remove();
      this.section = null;
      if (at > 0 || wasPlaying) {
        finished.preload = "auto";
        const resume = () => {
          if (at > 0) finished.currentTime = Math.min(at, Math.max(0, finished.duration - 0.05));
          if (wasPlaying) playWithSoundIfAllowed(finished);
        };
        if (finished.readyState >= 1) resume();
        else finished.addEventListener("loadedmetadata", resume, { once: true });
      }
    },
  };

  document.addEventListener("DOMContentLoaded", () => {
    followLogs();
    live.init();
  });
  document.body.addEventListener("htmx:afterSwap", () => {
    followLogs();
    live.handOver();
  });
  document.body.addEventListener("htmx:oobAfterSwap", followLogs);
})();
