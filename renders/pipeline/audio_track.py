"""The video's audio (narration and ducked music bed) mixed and encoded per scene, then spliced
from the pieces' AAC packets into one track, like the video from its segments. No Django here.

An edit of one scene then mixes and encodes only the pieces whose inputs changed, and the join
stays a stream copy. The track is the one a single mix of the whole video gives, within the
codec's own noise:

- Pieces meet on AAC frame boundaries (multiples of AAC_FRAME samples), near each scene's start.
- Each piece is mixed from MIX_PREROLL_SAMPLES before its encoded span, so the ducking's state
  (400 ms release) and the limiter's have settled to what the whole mix has there: the music
  is ducked and limited across a join exactly as inside a piece.
- Each piece is encoded with AAC_ROLL_SAMPLES of the real neighbouring audio on both sides and
  keeps only the packets of its own span, so every packet kept was coded from the true signal
  over its whole transform window: at a join the decoder overlap-adds two such packets from two
  encodes, as it does two from one encode. No click, no gap, no level step: against the whole
  video's mix as PCM, the error at a join is within 1.5x a single encode's error there (tested;
  170 ms of roll lets both encoders see the same transients and choose the same windows, 43 ms
  measured up to 4x). The first piece keeps the encoder's priming packet; the join's muxer skips it
  (`priming_offset_args`), as it does for any AAC.
- The music bed is one file for the whole video (its fades and bell strikes are placed on the
  whole length), cut into the same windows, so it runs on across scene boundaries.
"""

from __future__ import annotations

import hashlib
import math
import wave
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from renders.pipeline.context import SAMPLE_RATE

AAC_FRAME = 1024  # samples per AAC-LC packet
AAC_ROLL_SAMPLES = 8 * AAC_FRAME  # encoded each side of a piece's span: the encoders then agree at the join
MIX_PREROLL_SAMPLES = 94 * AAC_FRAME  # ~2 s: five time constants of the ducking's 400 ms release
# Mixed past the encoded span too: the filters' end of stream (the sidechain's last queued frames)
# then falls outside it, as it does for every piece but the last in the whole video's mix.
MIX_POSTROLL_SAMPLES = 16 * AAC_FRAME
# Part of every piece's cache key: bump when the mix recipe or the cutting changes.
MIX_VERSION = "1"


@dataclass(frozen=True)
class AudioPiece:
    """Samples [first, end) of the track (AAC frame boundaries; the last piece's end may pass the
    track's end, up to the next frame boundary)."""

    index: int
    first: int
    end: int
    total: int  # samples in the whole track

    @property
    def encode_first(self) -> int:
        return max(0, self.first - AAC_ROLL_SAMPLES)

    @property
    def encode_end(self) -> int:
        return min(self.total, self.end + AAC_ROLL_SAMPLES)

    @property
    def mix_first(self) -> int:
        return max(0, self.encode_first - MIX_PREROLL_SAMPLES)

    @property
    def mix_end(self) -> int:
        return min(self.total, self.encode_end + MIX_POSTROLL_SAMPLES)

    @property
    def is_last(self) -> bool:
        return self.end >= self.total

    def kept_packets(self, packets: int) -> slice:
        """Which of the encoded packets are this piece's own: the encoder's packet n (its first is
        the priming) holds samples [(n - 1) * AAC_FRAME, n * AAC_FRAME) of what it was given."""
        first = 0 if self.first == 0 else (self.first - self.encode_first) // AAC_FRAME + 1
        if self.is_last:
            return slice(first, packets)  # with the encoder's flush: the track's last samples
        return slice(first, (self.end - self.encode_first) // AAC_FRAME + 1)


def plan_pieces(scene_first_samples: Sequence[int], total: int) -> list[AudioPiece]:
    """One piece per scene, from the AAC frame boundary at or before the scene's first sample
    (scenes shorter than a frame share their neighbour's piece). Preconditions: ascending starts, the
    first 0."""
    bounds = [0]
    for first in scene_first_samples[1:]:
        bound = first // AAC_FRAME * AAC_FRAME
        if bound > bounds[-1] and bound < total:
            bounds.append(bound)
    bounds.append(math.ceil(total / AAC_FRAME) * AAC_FRAME)
    return [
        AudioPiece(index, low, high, total) for index, (low, high) in enumerate(zip(bounds, bounds[1:], strict=False))
    ]


def span_digest(wav: Path, first_sample: int, end_sample: int) -> str:
    """sha256 of samples [first, end) of a WAV (with its format): what a piece is made of, so an
    edit elsewhere in the track leaves the piece's key alone."""
    with wave.open(str(wav), "rb") as source:
        digest = hashlib.sha256(repr(source.getparams()[:3]).encode())  # channels, width, rate
        first = min(first_sample, source.getnframes())
        source.setpos(first)
        digest.update(source.readframes(max(0, end_sample - first)))
    return digest.hexdigest()


def piece_mix_args(
    piece: AudioPiece,
    *,
    narration_wav: Path,
    bed: Path | None,
    music_db: float,
    codec: Sequence[str],
) -> list[str]:
    """ffmpeg inputs, graph and first output's options (the mixed piece, stereo AAC; its path
    follows). The graph also labels [narration]: the narration alone, mono, same span, for a
    second output. Voice mono → both channels. The bed sits `music_db` under its own level and
    is ducked by the voice (sidechain), so speech stays clear; a limiter keeps peaks under -1 dBFS."""
    window = f"atrim=start_sample={piece.mix_first}:end_sample={piece.mix_end},asetpts=PTS-STARTPTS"
    mono = f"aformat=sample_fmts=fltp:sample_rates={SAMPLE_RATE}:channel_layouts=mono"
    # The encoded span of the mixed window; the last piece is padded to the track's exact end.
    encoded = (
        f"apad=whole_len={piece.mix_end - piece.mix_first},atrim=start_sample={piece.encode_first - piece.mix_first}"
        f":end_sample={piece.encode_end - piece.mix_first},asetpts=PTS-STARTPTS"
    )
    finish = f"alimiter=limit=0.89:level=disabled:latency=1,aformat=channel_layouts=stereo,{encoded}[mix]"
    voice = f"[0:a]{window},{mono},asplit=3[narration_in][voice]"
    args = ["-i", str(narration_wav)]
    if bed is not None:
        args += ["-i", str(bed)]
        graph = (
            f"{voice}[key];"
            f"[1:a]{window},{mono},volume={music_db:.2f}dB[bed];"
            "[bed][key]sidechaincompress=threshold=0.02:ratio=6:attack=20:release=400[ducked];"
            f"[voice][ducked]amix=inputs=2:duration=first:normalize=0,{finish}"
        )
    else:
        graph = f"{voice}[unused];[unused]anullsink;[voice]{finish}"
    graph += f";[narration_in]{encoded}[narration]"
    return [*args, "-filter_complex", graph, "-map", "[mix]", *codec, "-map_metadata", "-1", "-f", "adts"]


NARRATION_OUTPUT_MAP = "[narration]"


def adts_packets(data: bytes) -> list[bytes]:
    """The packets of an ADTS stream, each with its header. Raises ValueError on anything else."""
    packets, at = [], 0
    while at < len(data):
        if at + 7 > len(data) or data[at] != 0xFF or data[at + 1] & 0xF6 != 0xF0:
            raise ValueError(f"not an ADTS stream at byte {at}")
        length = ((data[at + 3] & 0x03) << 11) | (data[at + 4] << 3) | (data[at + 5] >> 5)
        if length < 7 or at + length > len(data):
            raise ValueError(f"a truncated ADTS packet at byte {at}")
        packets.append(data[at : at + length])
        at += length
    return packets


def splice(pieces: Sequence[tuple[AudioPiece, Path]], out: Path) -> Path:
    """Each piece's own packets, in order, as one ADTS stream at `out` (written whole, then renamed)."""
    chunks: list[bytes] = []
    for piece, path in pieces:
        packets = adts_packets(path.read_bytes())
        chunks += packets[piece.kept_packets(len(packets))]
    partial = out.with_name(f".{out.name}.partial")
    partial.write_bytes(b"".join(chunks))
    partial.replace(out)
    return out


def priming_offset_args() -> list[str]:
    """Input options for a spliced ADTS stream: its first packet is the encoder's priming, so its
    samples start before 0 and an MP4 muxer skips them with an edit list (as for any AAC encode)."""
    return ["-itsoffset", f"{-AAC_FRAME / SAMPLE_RATE:.9f}"]
