// The vertical video feed: one full-screen video per slide on phones (swipe = scroll-snap),
// a grid on wide screens. Only the most visible video plays; the next one preloads. Watch
// time is reported every few seconds and at the end (the server counts a view and a
// completion once per viewer). The "直播中" badge enters the host's room; the product
// button opens a buy sheet whose order carries the video as its source.
// Long videos have an HLS rendition: played natively where the browser has HLS (Safari),
// through hls.js (the live player's vendored copy) where it has Media Source Extensions,
// else as the progressive MP4 every video has. Short ones are MP4 only.
import { api, el, formatMoney, loginUrl, me, newKey, page, showError, specText, t, toast } from "./core.js";
import { openSheet } from "./sheet.js";

const HLS_URL = new URL("../vendor/hls.light-1.7.4.min.js", import.meta.url).href;

const feed = document.getElementById("video-feed");
const empty = document.getElementById("video-feed-empty");
const REPORT_EVERY_MS = 5000;
const slides = new Map(); // video element -> state
let cursor = null;
let loading = false;
let current = null;

function fitHeight() {
  const top = feed.getBoundingClientRect().top + window.scrollY;
  document.documentElement.style.setProperty("--feed-top", `${Math.round(top)}px`);
}

async function report(state, ended = false) {
  const watched = Math.round(state.pendingMs);
  if (!watched && !ended) return;
  state.pendingMs = 0;
  try {
    await api("POST", `/api/v1/videos/${state.item.id}/watch`, { watched_ms: watched, ended });
  } catch (error) {
    console.warn("watch report failed", error);
  }
}

function track(video, state) {
  let last = null;
  video.addEventListener("timeupdate", () => {
    const now = video.currentTime;
    if (last !== null && now > last && now - last < 2) state.pendingMs += (now - last) * 1000;
    last = now;
    if (state.pendingMs >= REPORT_EVERY_MS) report(state);
  });
  video.addEventListener("seeked", () => { last = video.currentTime; });
  video.addEventListener("ended", () => {
    state.completedOnce = true;
    feed.dataset.lastEnded = state.item.id;
    report(state, true);
    video.currentTime = 0;
    video.play().catch(() => {}); // loop, as feeds do; the server counts the completion once
  });
}

let hlsLoading = null;

function loadHls() {
  if (window.Hls) return Promise.resolve(window.Hls);
  hlsLoading ||= new Promise((resolve, reject) => {
    const script = document.createElement("script");
    script.src = HLS_URL;
    script.onload = () => (window.Hls ? resolve(window.Hls) : reject(new Error("Hls")));
    script.onerror = () => reject(new Error("cannot load hls.js"));
    document.head.append(script);
  });
  return hlsLoading;
}

function hasMse() {
  const MS = window.ManagedMediaSource || window.MediaSource;
  return !!(MS && MS.isTypeSupported && MS.isTypeSupported('video/mp4; codecs="avc1.42E01E,mp4a.40.2"'));
}

function playMp4(video, item) {
  video.dataset.delivery = "mp4";
  if (video.getAttribute("src") !== item.video_url) video.src = item.video_url;
}

// Give a slide its source when it is about to be seen (played or preloaded): a long video
// streams its HLS rendition, a short one (or a browser without HLS) the MP4.
async function attach(video) {
  const state = slides.get(video);
  if (!state || state.attached) return state && state.attached;
  const { item } = state;
  state.attached = (async () => {
    if (!item.hls_url) return playMp4(video, item);
    if (video.canPlayType("application/vnd.apple.mpegurl")) {
      video.dataset.delivery = "native-hls";
      video.src = item.hls_url;
      return;
    }
    if (!hasMse()) return playMp4(video, item);
    try {
      const Hls = await loadHls();
      if (!Hls.isSupported()) return playMp4(video, item);
      // No worker: the page's Content-Security-Policy allows no blob: scripts.
      const hls = new Hls({ enableWorker: false, maxBufferLength: 20, capLevelToPlayerSize: true });
      hls.on(Hls.Events.ERROR, (_event, data) => {
        if (!data.fatal) return;
        // A rendition that cannot play falls back to the MP4, where it was.
        const at = video.currentTime;
        const wasPlaying = !video.paused;
        hls.destroy();
        state.hls = null;
        playMp4(video, item);
        video.currentTime = at;
        if (wasPlaying) video.play().catch(() => {});
      });
      hls.loadSource(item.hls_url);
      hls.attachMedia(video);
      state.hls = hls;
      video.dataset.delivery = "hls";
    } catch (error) {
      playMp4(video, item);
    }
  })();
  return state.attached;
}

// Slides streamed through hls.js hold a buffer each: those swiped far away let it go (and
// set it up again if the viewer comes back).
function releaseFarSlides(video) {
  const order = [...feed.children];
  const at = order.indexOf(video.closest(".video-slide"));
  for (const [other, state] of slides) {
    if (!state.hls || Math.abs(order.indexOf(other.closest(".video-slide")) - at) <= 2) continue;
    state.hls.destroy();
    state.hls = null;
    state.attached = null;
    other.removeAttribute("src");
  }
}

async function activate(video) {
  if (current === video) return;
  if (current) {
    current.pause();
    report(slides.get(current));
  }
  current = video;
  feed.dataset.playing = video ? slides.get(video).item.id : "";
  if (!video) return;
  releaseFarSlides(video);
  video.preload = "auto";
  // preload the next one
  const slide = video.closest(".video-slide");
  const next = slide && slide.nextElementSibling && slide.nextElementSibling.querySelector("video");
  if (next) {
    next.preload = "auto";
    attach(next);
  }
  if (slide && !slide.nextElementSibling?.nextElementSibling) loadMore();
  await attach(video);
  if (current !== video) return; // swiped on while the source was being set up
  const playing = video.play();
  if (playing) {
    playing.catch(() => {
      video.muted = true; // browsers allow muted autoplay
      video.play().catch(() => {});
    });
  }
}

const observer = new IntersectionObserver(
  (entries) => {
    let best = null;
    for (const entry of entries) {
      if (entry.isIntersecting && entry.intersectionRatio >= 0.6) best = entry.target.querySelector("video");
      else if (entry.target.querySelector("video") === current) activate(null);
    }
    if (best) activate(best);
  },
  { root: window.matchMedia("(min-width: 768px)").matches ? null : feed, threshold: [0, 0.6, 1] },
);

function buySheet(item) {
  const body = el("div", {});
  for (const product of item.products) {
    const select = el(
      "select",
      { name: "sku_id", "aria-label": product.title },
      ...product.skus.map((sku) =>
        el("option", { value: sku.id }, `${specText(sku.spec) || product.title} · ${formatMoney(sku.price_cents, product.currency)}`),
      ),
    );
    const button = el("button", { type: "button", class: "button button-primary" }, t("videos.buy"));
    button.addEventListener("click", async () => {
      if (!me) {
        window.location.href = loginUrl();
        return;
      }
      button.disabled = true;
      try {
        const addresses = await api("GET", "/api/v1/addresses");
        if (!addresses.items.length) {
          window.location.href = "/orders";
          return;
        }
        const order = await api(
          "POST",
          "/api/v1/orders",
          { sku_id: select.value, quantity: 1, address_id: addresses.items[0].id, video_id: item.id },
          { headers: { "Idempotency-Key": newKey() } },
        );
        const payment = await api("POST", `/api/v1/orders/${order.id}/pay`);
        window.location.href = payment.pay_url;
      } catch (error) {
        showError(error);
      } finally {
        button.disabled = false;
      }
    });
    body.append(el("div", { class: "video-sheet-product" }, el("strong", {}, product.title), select, button));
  }
  openSheet({ title: t("videos.products"), body });
}

async function commentSheet(item, countNode) {
  const list = el("ul", { class: "video-comments" });
  const input = el("input", { type: "text", maxlength: "300", placeholder: t("videos.comment_placeholder"), "aria-label": t("videos.comment") });
  const form = el("form", { class: "video-comment-form" }, input, el("button", { type: "submit", class: "button button-primary" }, t("videos.send")));
  openSheet({ title: t("videos.comment"), body: el("div", {}, list, form) });
  const comment = (c) => el("li", {}, el("strong", {}, c.user_name), " ", c.body);
  // A page of comments (newest first); "load more" appends the next one.
  const render = (data, append = false) => {
    list.querySelector(".list-more")?.remove();
    if (append) list.append(...data.items.map(comment));
    else list.replaceChildren(...(data.items.length ? data.items.map(comment) : [el("li", { class: "muted" }, t("videos.no_comments"))]));
    if (data.next_cursor) {
      const more = el("button", { type: "button", class: "button button-small" }, t("common.load_more"));
      more.addEventListener("click", async () => {
        more.disabled = true;
        try {
          render(await api("GET", `/api/v1/videos/${item.id}/comments?cursor=${encodeURIComponent(data.next_cursor)}`), true);
        } catch (error) {
          more.disabled = false;
          showError(error);
        }
      });
      list.append(el("li", { class: "list-more" }, more));
    }
  };
  try {
    const data = await api("GET", `/api/v1/videos/${item.id}/comments`);
    render(data);
  } catch (error) {
    showError(error);
  }
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (!me) {
      window.location.href = loginUrl();
      return;
    }
    try {
      await api("POST", `/api/v1/videos/${item.id}/comments`, { body: input.value });
      input.value = "";
      const data = await api("GET", `/api/v1/videos/${item.id}/comments`);
      render(data);
      countNode.textContent = data.comments;
    } catch (error) {
      showError(error);
    }
  });
}

// Icons drawn inline (no emoji font is needed): heart, speech bubble, share arrow, bag.
const ICONS = {
  like: '<path d="M12 21s-7.5-4.6-9.5-9.3C1.1 8.3 3.3 5 6.6 5c2 0 3.4 1.1 4.4 2.5C12 6.1 13.4 5 15.4 5c3.3 0 5.5 3.3 4.1 6.7C19.5 16.4 12 21 12 21z" fill="currentColor"/>',
  comment: '<path d="M4 5h16v11H9l-5 4z" fill="currentColor"/>',
  share: '<path d="M14 4l7 7-7 7v-4c-5 0-8 1.5-10 5 1-5 4-9 10-10z" fill="currentColor"/>',
  bag: '<path d="M6 8h12l-1 12H7zM9 8a3 3 0 0 1 6 0" fill="none" stroke="currentColor" stroke-width="2"/>',
};

function icon(name) {
  const span = el("span", { class: "icon", "aria-hidden": "true" });
  span.innerHTML = `<svg viewBox="0 0 24 24" width="26" height="26">${ICONS[name]}</svg>`;
  return span;
}

function railButton(name, label, count) {
  const countNode = el("span", { class: "count" }, String(count));
  const button = el("button", { type: "button", "aria-label": label }, icon(name), countNode);
  return { button, countNode };
}

function slideFor(item) {
  const video = el("video", {
    poster: item.poster_url || "",
    playsinline: "",
    "webkit-playsinline": "",
    preload: "metadata",
    "data-video-id": item.id,
    class: item.height > item.width ? "portrait" : "landscape",
  });
  video.playsInline = true;
  const state = { item, pendingMs: 0, completedOnce: false, attached: null };
  slides.set(video, state);
  if (!item.hls_url) attach(video); // a short video's MP4 loads its metadata at once
  track(video, state);
  video.addEventListener("click", () => (video.paused ? video.play() : video.pause()));

  const like = railButton("like", t("videos.like"), item.likes);
  like.button.setAttribute("aria-pressed", item.liked ? "true" : "false");
  like.button.addEventListener("click", async () => {
    if (!me) {
      window.location.href = loginUrl();
      return;
    }
    const liked = like.button.getAttribute("aria-pressed") !== "true";
    try {
      const reply = await api(liked ? "PUT" : "DELETE", `/api/v1/videos/${item.id}/like`);
      like.button.setAttribute("aria-pressed", reply.liked ? "true" : "false");
      like.countNode.textContent = reply.likes;
    } catch (error) {
      showError(error);
    }
  });
  const comment = railButton("comment", t("videos.comment"), item.comments);
  comment.button.addEventListener("click", () => commentSheet(item, comment.countNode));
  const share = railButton("share", t("videos.share"), item.shares);
  share.button.addEventListener("click", async () => {
    try {
      const reply = await api("POST", `/api/v1/videos/${item.id}/share`);
      share.countNode.textContent = reply.shares;
      if (navigator.share) await navigator.share({ title: item.title, url: reply.url }).catch(() => {});
      else if (navigator.clipboard) await navigator.clipboard.writeText(reply.url).catch(() => {});
      toast(t("videos.shared"));
    } catch (error) {
      showError(error);
    }
  });

  const info = el(
    "div",
    { class: "video-info" },
    el("span", { class: "video-host" }, `@${item.host_name}`),
    el("h2", {}, item.title),
    item.tags.length ? el("span", { class: "video-tags" }, item.tags.map((tag) => `#${tag}`).join(" ")) : null,
  );
  if (item.products.length) {
    const first = item.products[0];
    const buy = el(
      "button",
      { type: "button", class: "video-buy" },
      icon("bag"),
      `${first.title}${first.price_cents != null ? " · " + formatMoney(first.price_cents, first.currency) : ""}`,
    );
    buy.addEventListener("click", () => buySheet(item));
    info.append(buy);
  }
  const slide = el(
    "section",
    { class: "video-slide", "data-video-id": item.id, "aria-label": item.title },
    video,
    info,
    el("div", { class: "video-rail" }, like.button, comment.button, share.button),
  );
  if (item.live_session_id) {
    const badge = el("button", { type: "button", class: "live-badge", "aria-label": `${t("videos.live_now")} · ${t("videos.enter_room")}` }, t("videos.live_now"));
    badge.addEventListener("click", async () => {
      try {
        const reply = await api("POST", `/api/v1/videos/${item.id}/room-click`);
        window.location.href = reply.url;
      } catch (error) {
        showError(error);
      }
    });
    slide.append(badge);
  }
  observer.observe(slide);
  return slide;
}

async function loadMore(first = null) {
  if (loading || cursor === undefined) return;
  loading = true;
  try {
    const params = new URLSearchParams();
    if (cursor) params.set("cursor", cursor);
    if (first) params.set("first", first);
    const data = await api("GET", `/api/v1/feed/videos?${params}`);
    for (const item of data.items) feed.append(slideFor(item));
    cursor = data.next_cursor || undefined;
    empty.hidden = feed.children.length > 0;
  } catch (error) {
    showError(error);
  } finally {
    loading = false;
  }
}

window.addEventListener("pagehide", () => {
  if (current) report(slides.get(current));
});
window.addEventListener("resize", fitHeight);
fitHeight();
loadMore(page.first_video || null);

// Opened from a home-feed card (?imp=): the card's click, which gives the video's visit
// its feed as traffic source. Best-effort: the feed plays without it.
const impression = new URLSearchParams(location.search).get("imp");
if (impression) {
  api("POST", `/api/v1/feed/impressions/${encodeURIComponent(impression.slice(0, 32))}/click`).catch(() => {});
}
