// Live video in the room: HTTP-FLV through Media Source Extensions (mpegts.js) when the
// browser has MSE, else HLS (native, or hls.js). Falls back and retries by itself, follows
// the session state the room page keeps in #player[data-status], and always says what
// is going on instead of spinning forever.
const root = document.getElementById("live");
const box = document.getElementById("player");

const MPEGTS_URL = new URL("./vendor/mpegts-1.8.2.min.js", import.meta.url).href;
const HLS_URL = new URL("./vendor/hls.light-1.7.4.min.js", import.meta.url).href;
const RETRY_MS = 2000;
const NO_VIDEO_POLL_MS = 3000;
const STALL_MS = 8000;

const TEXT = {
  zh: {
    waiting: "主播还没有开播，视频稍后出现…",
    connecting: "正在连接直播画面…",
    novideo: "直播进行中，主播画面马上就来…",
    reconnecting: "主播重连中…",
    ended: "直播已结束",
    replay: "观看回放",
    unsupported: "这个浏览器无法播放直播视频",
    unmute: "点击开启声音",
  },
  en: {
    waiting: "The host has not started yet; video will appear here…",
    connecting: "Connecting to the live video…",
    novideo: "Live now; the host's video will appear here shortly…",
    reconnecting: "The host is reconnecting…",
    ended: "This live session has ended",
    replay: "Watch the replay",
    unsupported: "This browser cannot play live video",
    unmute: "Tap for sound",
  },
};
const lang = (document.documentElement.lang || "zh").startsWith("en") ? "en" : "zh";
const text = (key) => TEXT[lang][key];

function loadScript(url, name) {
  if (window[name]) return Promise.resolve(window[name]);
  return new Promise((resolve, reject) => {
    const script = document.createElement("script");
    script.src = url;
    script.onload = () => (window[name] ? resolve(window[name]) : reject(new Error(name)));
    script.onerror = () => reject(new Error(`cannot load ${name}`));
    document.head.append(script);
  });
}

function hasMse() {
  const MS = window.ManagedMediaSource || window.MediaSource;
  return !!(MS && MS.isTypeSupported && MS.isTypeSupported('video/mp4; codecs="avc1.42E01E,mp4a.40.2"'));
}

export class LivePlayer {
  constructor(container, sessionId) {
    this.container = container;
    this.sessionId = sessionId;
    this.kind = null; // "flv" | "hls" | "native-hls"
    this.instance = null;
    this.failures = 0;
    this.retryTimer = null;
    this.stallTimer = null;
    this.lastTime = -1;
    this.lastProgress = 0;
    this.status = container.dataset.status || "scheduled";

    this.video = document.createElement("video");
    this.video.className = "player-video";
    this.video.muted = true; // browsers only autoplay muted video
    this.video.autoplay = true;
    this.video.playsInline = true;
    this.video.setAttribute("playsinline", "");
    this.video.setAttribute("webkit-playsinline", "");
    Object.assign(this.video.style, {
      position: "absolute", inset: "0", width: "100%", height: "100%",
      objectFit: "contain", background: "#000", zIndex: "1",
    });
    this.note = document.createElement("div");
    this.note.className = "player-video-note";
    Object.assign(this.note.style, {
      position: "absolute", left: "0", right: "0", bottom: "40%", textAlign: "center",
      color: "#fff", zIndex: "2", textShadow: "0 1px 3px #000", padding: "0 1em",
    });
    this.unmute = document.createElement("button");
    this.unmute.type = "button";
    this.unmute.textContent = text("unmute");
    this.unmute.className = "button button-small player-unmute";
    // Below the host chip and the title bar, which sit over the top of the video.
    Object.assign(this.unmute.style, { position: "absolute", left: "10px", top: "96px", zIndex: "6" });
    this.unmute.hidden = true;
    this.unmute.addEventListener("click", () => {
      this.video.muted = false;
      this.video.play().catch(() => {});
      this.unmute.hidden = true;
    });
    if (getComputedStyle(container).position === "static") container.style.position = "relative";
    container.append(this.video, this.note, this.unmute);
    this.video.addEventListener("playing", () => {
      this.failures = 0;
      this.say(null);
      this.unmute.hidden = !this.video.muted;
      container.dataset.video = "playing";
    });
    new MutationObserver(() => this.onStatus(container.dataset.status)).observe(container, {
      attributes: true,
      attributeFilter: ["data-status"],
    });
    this.onStatus(this.status, true);
  }

  say(key, link) {
    this.note.replaceChildren();
    if (!key) {
      this.note.hidden = true;
      return;
    }
    this.note.hidden = false;
    const line = document.createElement("p");
    line.textContent = text(key);
    this.note.append(line);
    if (link) {
      const anchor = document.createElement("a");
      anchor.href = link;
      anchor.className = "button button-small";
      anchor.textContent = text("replay");
      this.note.append(anchor);
    }
  }

  onStatus(status, first = false) {
    const previous = this.status;
    this.status = status;
    this.container.dataset.video = status;
    if (status === "live") {
      if (first || previous !== "live" || !this.instance) this.start();
    } else if (status === "interrupted") {
      this.say("reconnecting"); // the player keeps waiting: the same stream resumes
      if (!this.instance) this.start();
    } else if (status === "ended" || status === "cancelled") {
      this.stop();
      this.video.hidden = true;
      this.say("ended", status === "ended" ? `/replay/${this.sessionId}` : null);
    } else {
      this.stop();
      this.say("waiting");
    }
  }

  kinds() {
    const kinds = [];
    if (hasMse()) kinds.push("flv");
    if (this.video.canPlayType("application/vnd.apple.mpegurl")) kinds.push("native-hls");
    else if (hasMse()) kinds.push("hls");
    return kinds;
  }

  // Which deliveries carry video right now; null when the server cannot say.
  async availability() {
    try {
      const response = await fetch(`/api/v1/live-sessions/${this.sessionId}/video`, { cache: "no-store" });
      return response.ok ? await response.json() : null;
    } catch (error) {
      return null;
    }
  }

  async start() {
    this.stop();
    clearTimeout(this.retryTimer);
    this.retryTimer = null;
    const attempt = (this.attempt = (this.attempt || 0) + 1);
    const available = await this.availability();
    if (attempt !== this.attempt || (this.status !== "live" && this.status !== "interrupted")) return;
    if (!available || (!available.flv && !available.hls)) {
      // On air without video yet (or the host's stream dropped): ask again shortly rather
      // than pointing a player at a stream that is not there.
      this.video.hidden = true;
      this.say(this.status === "interrupted" ? "reconnecting" : "novideo");
      this.retryTimer = setTimeout(() => {
        this.retryTimer = null;
        this.start();
      }, NO_VIDEO_POLL_MS);
      return;
    }
    const kinds = this.kinds().filter((kind) => (kind === "flv" ? available.flv : available.hls));
    if (!kinds.length) {
      this.say("unsupported");
      return;
    }
    // Two failures in a row on one delivery: try the next one.
    const kind = kinds[Math.floor(this.failures / 2) % kinds.length];
    this.kind = kind;
    this.container.dataset.delivery = kind;
    this.video.hidden = false;
    if (this.status === "live") this.say("connecting");
    try {
      if (kind === "flv") await this.startFlv();
      else if (kind === "hls") await this.startHlsJs();
      else this.startNativeHls();
    } catch (error) {
      this.fail();
      return;
    }
    this.watchStalls();
    this.video.play().catch(() => {
      this.video.muted = true;
      this.video.play().catch(() => {});
    });
  }

  async startFlv() {
    const mpegts = await loadScript(MPEGTS_URL, "mpegts");
    const player = mpegts.createPlayer(
      { type: "flv", isLive: true, url: `/live/${this.sessionId}.flv`, hasAudio: true, hasVideo: true },
      {
        enableWorker: false,
        enableStashBuffer: false,
        stashInitialSize: 64 * 1024,
        lazyLoad: false,
        liveBufferLatencyChasing: true,
        liveBufferLatencyMaxLatency: 1.5,
        liveBufferLatencyMinRemain: 0.3,
        autoCleanupSourceBuffer: true,
      },
    );
    player.on(mpegts.Events.ERROR, () => this.fail());
    player.on(mpegts.Events.LOADING_COMPLETE, () => this.fail());
    player.attachMediaElement(this.video);
    player.load();
    this.instance = { destroy: () => { player.pause(); player.unload(); player.detachMediaElement(); player.destroy(); } };
  }

  async startHlsJs() {
    const Hls = await loadScript(HLS_URL, "Hls");
    if (!Hls.isSupported()) throw new Error("hls.js unsupported");
    // Seconds, not segment counts: the first segment can be longer and raise TARGETDURATION.
    const hls = new Hls({
      liveSyncDuration: 1.5,
      liveMaxLatencyDuration: 4,
      maxLiveSyncPlaybackRate: 1.2,
      lowLatencyMode: false,
    });
    hls.on(Hls.Events.ERROR, (_event, data) => {
      if (data.fatal) this.fail();
    });
    hls.loadSource(`/hls/${this.sessionId}/index.m3u8`);
    hls.attachMedia(this.video);
    this.instance = { destroy: () => hls.destroy() };
  }

  startNativeHls() {
    const onError = () => this.fail();
    this.video.addEventListener("error", onError, { once: true });
    this.video.src = `/hls/${this.sessionId}/index.m3u8`;
    this.instance = {
      destroy: () => {
        this.video.removeEventListener("error", onError);
        this.video.removeAttribute("src");
        this.video.load();
      },
    };
  }

  watchStalls() {
    this.lastProgress = Date.now();
    this.lastTime = -1;
    this.stallTimer = setInterval(() => {
      if (this.video.currentTime !== this.lastTime) {
        this.lastTime = this.video.currentTime;
        this.lastProgress = Date.now();
      } else if (this.status === "live" && Date.now() - this.lastProgress > STALL_MS) {
        this.fail();
      }
    }, 1000);
  }

  fail() {
    if (this.retryTimer) return;
    this.stop();
    this.failures += 1;
    if (this.status === "live") this.say("connecting");
    if (this.status === "live" || this.status === "interrupted") {
      this.retryTimer = setTimeout(() => {
        this.retryTimer = null;
        this.start();
      }, RETRY_MS);
    }
  }

  stop() {
    clearInterval(this.stallTimer);
    this.stallTimer = null;
    if (this.instance) {
      try {
        this.instance.destroy();
      } catch (error) {
        /* already gone */
      }
      this.instance = null;
    }
  }
}

if (root && box && root.dataset.sessionId) {
  window.lcPlayer = new LivePlayer(box, root.dataset.sessionId);
}
