// Host console: ingest URL, stream key (hidden until asked), OBS settings, and live stream
// health (bitrate, fps, keyframe interval, time since the last packet) with warnings.
import { api, el, page, showError } from "./js/core.js";

const detail = page.session;
const zh = !(document.documentElement.lang || "zh").startsWith("en");
const L = zh
  ? {
      title: "推流设置（OBS）",
      server: "服务器",
      key: "串流密钥",
      show: "显示",
      hide: "隐藏",
      copy: "复制",
      copied: "已复制",
      rotate: "重置密钥",
      rotateConfirm: "重置后旧密钥立即失效，确定吗？",
      obs: "推荐 OBS 设置",
      health: "推流状态",
      bitrate: "码率",
      fps: "帧率",
      keyframe: "关键帧间隔",
      since: "距上个数据包",
      viewers: "视频观众",
      notPublishing: "还没有收到推流。把服务器和串流密钥填入 OBS 后点击“开始推流”。",
      warn_keyframe_interval_too_long: "关键帧间隔超过 2 秒，观众延迟会变大：在 OBS 中设为 1 秒。",
      warn_no_recent_packets: "几秒内没有收到数据，请检查网络。",
      warn_unsupported_audio_codec: "音频不是 AAC，观众听不到声音。",
      obsLines: (o) => [
        `编码器 x264，码率控制 ${o.rate_control}，比特率 ${o.bitrate_kbps} Kbps`,
        `关键帧间隔 ${o.keyframe_interval_s} 秒，CPU 预设 ${o.cpu_usage_preset}，配置 ${o.profile}，微调 ${o.tune}`,
        `输出分辨率 ${o.resolution}，${o.fps} FPS，音频 AAC ${o.audio_bitrate_kbps} Kbps`,
      ],
    }
  : {
      title: "Streaming (OBS)",
      server: "Server",
      key: "Stream key",
      show: "Show",
      hide: "Hide",
      copy: "Copy",
      copied: "Copied",
      rotate: "Reset key",
      rotateConfirm: "The old key stops working at once. Reset it?",
      obs: "Recommended OBS settings",
      health: "Stream health",
      bitrate: "Bitrate",
      fps: "Frame rate",
      keyframe: "Keyframe interval",
      since: "Since last packet",
      viewers: "Video viewers",
      notPublishing: "No stream yet. Put the server and stream key into OBS and press Start Streaming.",
      warn_keyframe_interval_too_long: "Keyframe interval over 2 s makes viewers lag: set it to 1 s in OBS.",
      warn_no_recent_packets: "No data for a few seconds: check the network.",
      warn_unsupported_audio_codec: "The audio is not AAC; viewers will not hear it.",
      obsLines: (o) => [
        `Encoder x264, rate control ${o.rate_control}, bitrate ${o.bitrate_kbps} Kbps`,
        `Keyframe interval ${o.keyframe_interval_s} s, CPU preset ${o.cpu_usage_preset}, profile ${o.profile}, tune ${o.tune}`,
        `Output ${o.resolution} at ${o.fps} FPS, audio AAC ${o.audio_bitrate_kbps} Kbps`,
      ],
    };

function copyButton(getText) {
  const button = el("button", { type: "button", class: "button button-small" }, L.copy);
  button.addEventListener("click", async () => {
    try {
      await navigator.clipboard.writeText(getText());
      button.textContent = L.copied;
      setTimeout(() => (button.textContent = L.copy), 1500);
    } catch (error) {
      /* clipboard refused: the text is selectable */
    }
  });
  return button;
}

function build() {
  const serverInput = el("input", { type: "text", readonly: "", id: "ingest-server", class: "mono" });
  const keyInput = el("input", { type: "password", readonly: "", id: "stream-key", class: "mono" });
  const toggle = el("button", { type: "button", class: "button button-small", id: "show-key" }, L.show);
  toggle.addEventListener("click", () => {
    const hidden = keyInput.type === "password";
    keyInput.type = hidden ? "text" : "password";
    toggle.textContent = hidden ? L.hide : L.show;
  });
  const rotate = el("button", { type: "button", class: "button button-small button-danger", id: "rotate-key" }, L.rotate);
  const obsList = el("ul", { class: "muted small", id: "obs-settings" });
  const healthGrid = el("div", { class: "stats-grid", id: "stream-health" });
  const warnings = el("ul", { class: "small", id: "stream-warnings" });
  const card = el(
    "section",
    { class: "card", id: "media-card" },
    el("h2", {}, L.title),
    el("label", { class: "field" }, L.server, el("div", { class: "actions" }, serverInput, copyButton(() => serverInput.value))),
    el("label", { class: "field" }, L.key, el("div", { class: "actions" }, keyInput, toggle, copyButton(() => keyInput.value), rotate)),
    el("h3", {}, L.obs),
    obsList,
    el("h3", {}, L.health),
    healthGrid,
    warnings,
  );
  const anchor = document.querySelector(".section-head");
  if (anchor) anchor.after(card);
  else document.querySelector("main")?.prepend(card);

  function showKey(key) {
    serverInput.value = key.server_url;
    keyInput.value = key.stream_key;
    obsList.replaceChildren(...L.obsLines(key.obs).map((line) => el("li", {}, line)));
  }
  rotate.addEventListener("click", async () => {
    if (!window.confirm(L.rotateConfirm)) return;
    try {
      showKey(await api("POST", `/api/v1/rooms/${detail.room.id}/stream-key/rotate`));
    } catch (error) {
      showError(error);
    }
  });
  api("GET", `/api/v1/rooms/${detail.room.id}/stream-key`).then(showKey, showError);

  const stat = (label, value) =>
    el("div", { class: "stat" }, el("div", { class: "stat-label" }, label), el("div", { class: "stat-value" }, value));
  async function refresh() {
    let health;
    try {
      health = await api("GET", `/api/v1/live-sessions/${detail.id}/stream-health`);
    } catch (error) {
      return;
    }
    const dash = "–";
    healthGrid.replaceChildren(
      stat(L.bitrate, health.publishing ? `${Math.round(health.bitrate_kbps)} kbps` : dash),
      stat(L.fps, health.publishing ? `${health.fps}` : dash),
      stat(L.keyframe, health.keyframe_interval_s == null ? dash : `${health.keyframe_interval_s} s`),
      stat(L.since, health.seconds_since_last_packet == null ? dash : `${health.seconds_since_last_packet.toFixed(1)} s`),
      stat(L.viewers, `${health.viewers}`),
    );
    const lines = health.warnings
      .map((code) => (code === "not_publishing" ? L.notPublishing : L[`warn_${code}`] || code))
      .map((line) => el("li", { class: "warning" }, `⚠ ${line}`));
    warnings.replaceChildren(...lines);
    card.dataset.publishing = health.publishing ? "yes" : "no";
  }
  refresh();
  setInterval(refresh, 2000);
}

if (detail && detail.room) build();
