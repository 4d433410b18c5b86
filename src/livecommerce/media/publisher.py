"""A synthetic RTMP publisher made with PyAV's own encoder (no system ffmpeg needed).

The demo uses it so the demo room shows real moving video: a moving pattern, a clock
and a tone. The video-latency benchmark uses it too: every frame also carries the
wall-clock time it was sent, as a row of black and white blocks a subscriber reads back
after decoding (glass to glass).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import math
import signal
import struct
import sys
import threading
import time

from PIL import Image, ImageDraw

log = logging.getLogger(__name__)

STAMP_BITS = 48  # 44 bits of milliseconds + a 4-bit check
STAMP_BLOCK = 16
STAMP_TOP = 8
STAMP_LEFT = 8
SAMPLE_RATE = 44100
AUDIO_SAMPLES = 1024


def _check_bits(millis: int) -> int:
    return (millis ^ (millis >> 4) ^ (millis >> 8) ^ (millis >> 12)) & 0xF


def draw_stamp(image: Image.Image, millis: int) -> None:
    value = ((millis & ((1 << 44) - 1)) << 4) | _check_bits(millis)
    draw = ImageDraw.Draw(image)
    for bit in range(STAMP_BITS):
        on = (value >> (STAMP_BITS - 1 - bit)) & 1
        x = STAMP_LEFT + bit % 24 * STAMP_BLOCK
        y = STAMP_TOP + bit // 24 * STAMP_BLOCK
        colour = (255, 255, 255) if on else (0, 0, 0)
        draw.rectangle((x, y, x + STAMP_BLOCK - 1, y + STAMP_BLOCK - 1), fill=colour)


def read_stamp(image: Image.Image) -> int | None:
    """The milliseconds stamped into a decoded frame, or None if it does not check out."""
    gray = image.convert("L")
    value = 0
    for bit in range(STAMP_BITS):
        x = STAMP_LEFT + bit % 24 * STAMP_BLOCK + STAMP_BLOCK // 2
        y = STAMP_TOP + bit // 24 * STAMP_BLOCK + STAMP_BLOCK // 2
        pixel = gray.getpixel((x, y))
        level = pixel if isinstance(pixel, int | float) else 0
        value = (value << 1) | (1 if level >= 128 else 0)
    millis, check = value >> 4, value & 0xF
    if _check_bits(millis) != check or millis == 0:
        return None
    return millis


class SyntheticPublisher:
    """Publishes until :meth:`stop` (or ``seconds``). Run it in its own process (see
    :func:`start_publisher_process`): FFmpeg's RTMP client blocks holding the GIL, which
    would freeze an event loop serving the ingest in the same process."""

    def __init__(
        self,
        url: str,
        *,
        width: int = 640,
        height: int = 360,
        fps: int = 20,
        bitrate: int = 800_000,
        seconds: float | None = None,
        stamp: bool = False,
        label: str = "livecommerce",
    ) -> None:
        self.url = url
        self.width = width
        self.height = height
        self.fps = fps
        self.bitrate = bitrate
        self.seconds = seconds
        self.stamp = stamp
        self.label = label
        self.frames_sent = 0
        self.error: BaseException | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run_safely, name="publisher", daemon=True)
        self._thread.start()

    def stop_soon(self) -> None:
        self._stop.set()

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def _run_safely(self) -> None:
        try:
            self.run()
        except Exception as exc:
            self.error = exc
            if not self._stop.is_set():
                log.warning("synthetic publisher stopped: %s", exc)

    def _frame(self, index: int) -> Image.Image:
        image = Image.new("RGB", (self.width, self.height), (20, 24, 38))
        draw = ImageDraw.Draw(image)
        t = index / self.fps
        stripe = self.width // 8
        for column in range(9):
            x = int((column * stripe + t * 60) % (self.width + stripe)) - stripe
            hue = (column * 37 + index) % 255
            draw.rectangle((x, 0, x + stripe // 2, self.height), fill=(hue, 90, 255 - hue))
        radius = self.height // 6
        cx = self.width / 2 + math.cos(t) * self.width / 3
        cy = self.height / 2 + math.sin(t * 1.3) * self.height / 4
        draw.ellipse((cx - radius, cy - radius, cx + radius, cy + radius), fill=(255, 196, 0))
        clock = time.strftime("%H:%M:%S.") + f"{int(time.time() * 10) % 10}"
        box = (self.width // 2 - 150, self.height - 90, self.width // 2 + 150, self.height - 20)
        draw.rectangle(box, fill=(0, 0, 0))
        draw.text((box[0] + 20, box[1] + 10), clock, fill=(255, 255, 255), font_size=40)
        draw.text((box[0] + 20, box[1] - 24), self.label, fill=(255, 255, 255), font_size=18)
        return image

    def run(self) -> None:
        import av

        container = av.open(
            self.url,
            "w",
            format="flv",
            options={"flvflags": "no_duration_filesize"},
        )
        try:
            video = container.add_stream(
                "libx264",
                rate=self.fps,
                options={
                    "preset": "ultrafast",
                    "tune": "zerolatency",
                    "g": str(self.fps),
                    "keyint_min": str(self.fps),
                    "sc_threshold": "0",
                    "bf": "0",
                    # constant bitrate, as OBS is told to send (filler keeps it constant)
                    "x264-params": "nal-hrd=cbr:force-cfr=1",
                    "maxrate": str(self.bitrate),
                    "minrate": str(self.bitrate),
                    "bufsize": str(self.bitrate),
                },
            )
            video.width = self.width
            video.height = self.height
            video.pix_fmt = "yuv420p"
            video.bit_rate = self.bitrate
            audio = container.add_stream("aac", rate=SAMPLE_RATE)
            audio.layout = "mono"
            audio.bit_rate = 64_000
            start = time.monotonic()
            samples_sent = 0
            index = 0
            while not self._stop.is_set():
                if self.seconds is not None and index >= self.seconds * self.fps:
                    break
                due = start + index / self.fps
                delay = due - time.monotonic()
                if delay > 0:
                    time.sleep(delay)
                image = self._frame(index)
                if self.stamp:
                    draw_stamp(image, int(time.time() * 1000))
                picture = av.VideoFrame.from_image(image)  # type: ignore[no-untyped-call]
                frame = picture.reformat(format="yuv420p")
                frame.pts = index
                for packet in video.encode(frame):
                    container.mux(packet)
                while samples_sent < (index + 1) * SAMPLE_RATE / self.fps:
                    container.mux(audio.encode(self._tone(samples_sent)))
                    samples_sent += AUDIO_SAMPLES
                index += 1
                self.frames_sent = index
            for packet in video.encode(None):
                container.mux(packet)
        finally:
            container.close()

    def _tone(self, first_sample: int):  # type: ignore[no-untyped-def]
        import av

        frame = av.AudioFrame(format="s16", layout="mono", samples=AUDIO_SAMPLES)
        second = first_sample // SAMPLE_RATE
        frequency = 440.0 if second % 2 == 0 else 660.0
        volume = 3000 if (first_sample // (SAMPLE_RATE // 4)) % 4 == 0 else 0
        samples = [
            int(volume * math.sin(2 * math.pi * frequency * (first_sample + n) / SAMPLE_RATE))
            for n in range(AUDIO_SAMPLES)
        ]
        frame.planes[0].update(struct.pack(f"<{AUDIO_SAMPLES}h", *samples))
        frame.sample_rate = SAMPLE_RATE
        frame.pts = first_sample
        return frame


async def start_publisher_process(
    url: str,
    *,
    seconds: float | None = None,
    width: int = 640,
    height: int = 360,
    fps: int = 20,
    bitrate: int = 800_000,
    stamp: bool = False,
    label: str = "livecommerce",
) -> asyncio.subprocess.Process:
    """``python -m livecommerce.media.publisher …`` as a child process."""
    arguments = [
        "-m",
        "livecommerce.media.publisher",
        url,
        "--width",
        str(width),
        "--height",
        str(height),
        "--fps",
        str(fps),
        "--bitrate",
        str(bitrate),
        "--label",
        label,
    ]
    if seconds is not None:
        arguments += ["--seconds", str(seconds)]
    if stamp:
        arguments.append("--stamp")
    return await asyncio.create_subprocess_exec(
        sys.executable,
        *arguments,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Publish a synthetic test stream over RTMP.")
    parser.add_argument("url")
    parser.add_argument("--seconds", type=float, default=None)
    parser.add_argument("--width", type=int, default=640)
    parser.add_argument("--height", type=int, default=360)
    parser.add_argument("--fps", type=int, default=20)
    parser.add_argument("--bitrate", type=int, default=800_000)
    parser.add_argument("--label", default="livecommerce")
    parser.add_argument("--stamp", action="store_true")
    options = parser.parse_args(argv)
    publisher = SyntheticPublisher(
        options.url,
        width=options.width,
        height=options.height,
        fps=options.fps,
        bitrate=options.bitrate,
        seconds=options.seconds,
        stamp=options.stamp,
        label=options.label,
    )
    signal.signal(signal.SIGTERM, lambda *_: publisher.stop_soon())
    try:
        publisher.run()
    except KeyboardInterrupt:
        return 0
    except Exception as exc:
        sys.stderr.write(f"publisher stopped: {exc}\n")
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
