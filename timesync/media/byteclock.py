"""Packet times of a raw constant-bit-rate MP3 stream from the packets' byte positions.

A raw MP3 file has no timestamps: FFmpeg's demuxer counts one frame's duration
per packet. When damage destroys a frame's header, the demuxer hands that frame
over inside the previous packet (one packet of twice the size), the decoder
decodes one frame of it, and every later packet is counted one frame early
(72 ms at 8 kHz): the recording's audio shifts at each damaged spot, and no
single clock line fits it.

In a constant-bit-rate stream a packet's byte position *is* its time:
``(pos - pos_0) * 8 / bit_rate`` seconds after the first packet. :class:`ByteClock`
moves a packet whose counted time is off that by more than half a frame to its
byte time, so the lost frame becomes a gap of silence at the right time (as the
PTS of any other container would make it), not a shift of what follows.

It acts only while the stream looks constant-bit-rate: every packet one frame's
size (give or take the padding byte) or a whole number of frames (a merged
packet). One packet of another size ends it for the rest of the file (variable
bit rate); no packet is moved before :data:`MIN_STEADY_PACKETS` regular ones.
"""

from __future__ import annotations

from fractions import Fraction

__all__ = ["RAW_CBR_FORMATS", "MIN_STEADY_PACKETS", "ByteClock"]

#: Demuxers whose packet times are counted, not read (raw streams without an index).
RAW_CBR_FORMATS = frozenset({"mp3"})
#: A packet is moved only after this many regular packets (the stream is then CBR).
MIN_STEADY_PACKETS = 32
#: Most frames a merged packet may hold to still count as regular.
MAX_MERGED_FRAMES = 8


class ByteClock:
    """Moves the packets of a raw CBR stream to their byte times (see the module doc).

    Parameters
    ----------
    container, stream
        A PyAV input container and its audio stream.

    Attributes
    ----------
    moved : int
        How many packets were moved (every one after a merged, damaged packet).
    lost_ticks : int
        The time (stream ticks) of the frames merged packets held beyond their first:
        the decoder decodes one frame of such a packet, the rest is silence.
    first_lost : int or None
        The PTS of the first merged packet.
    """

    def __init__(self, container, stream) -> None:
        formats = set((container.format.name or "").split(","))
        rate = getattr(stream.codec_context, "bit_rate", None) if stream.codec_context else None
        self.active = bool(RAW_CBR_FORMATS & formats) and bool(rate) and stream.type == "audio"
        self.bit_rate = int(rate or 0)
        self.time_base = Fraction(stream.time_base) if stream.time_base else None
        self.frame_size: int | None = None
        self.origin: tuple[int, int] | None = None  # (byte position, pts) of the first packet
        self.steady = 0
        self.moved = 0
        self.lost_ticks = 0
        self.first_lost: int | None = None
        if self.time_base is None:
            self.active = False

    def _frames(self, size: int) -> int:
        """How many frames a packet of ``size`` bytes holds: one (+-1 padding byte) or a few
        whole frames; 0 when it is no whole number of frames (variable bit rate)."""
        n = self.frame_size
        if n is None:
            self.frame_size = size
            return 1
        frames = round(size / n)
        return frames if 1 <= frames <= MAX_MERGED_FRAMES and abs(size - frames * n) <= frames else 0

    def retime(self, packet) -> None:
        """Move ``packet`` to its byte time when its counted time is off by over half a frame."""
        if not self.active or packet.pts is None or packet.pos is None or packet.pos < 0 or not packet.size:
            return
        frames = self._frames(int(packet.size))
        if not frames:
            self.active = False  # variable bit rate: counted times are all there is
            return
        if frames > 1 and packet.duration:
            self.lost_ticks += (frames - 1) * int(packet.duration)
            if self.first_lost is None:
                self.first_lost = int(packet.pts)
        if self.origin is None:
            self.origin = (int(packet.pos), int(packet.pts))
            return
        self.steady += 1
        pos0, pts0 = self.origin
        expected = pts0 + round(Fraction((int(packet.pos) - pos0) * 8, self.bit_rate) / self.time_base)
        half_frame = (packet.duration or 0) / 2
        if self.steady >= MIN_STEADY_PACKETS and half_frame and abs(expected - packet.pts) > half_frame:
            packet.pts = expected
            packet.dts = expected
            self.moved += 1

    def warning(self, name: str, index: int, origin: Fraction) -> str | None:
        """The sentence for frames lost in merged packets (``origin``: the file's, seconds), or None."""
        if not self.active or not self.lost_ticks or self.time_base is None or self.first_lost is None:
            return None  # (a stream found variable-bit-rate later holds no merged packets we know of)
        lost = float(self.lost_ticks * self.time_base)
        at = float(self.first_lost * self.time_base - origin)
        return (f"{name}: audio stream {index}: damaged MP3 frames ({lost * 1e3:.0f} ms in all, the first "
                f"at {at:.3f} s) decode as silence at their time; the later audio keeps its place")
