"""The fit ladder: re-encode and downsample images, least loss first, until the PDF fits."""

from __future__ import annotations

import dataclasses
import heapq
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import pikepdf
from pikepdf import Stream

from dhrbuild.pdf.decoding import image_size
from dhrbuild.size import recode
from dhrbuild.size.inventory import DEFAULT_MIN_DPI, JPEG_QUALITIES, ImageInfo, inventory
from dhrbuild.words import count

# Share of a round's planned cut encoded at once; the rest goes a few images at a time.
_BULK_SHARE = 0.75
_BULK_SHARE_MEASURED = 0.92
# After the bulk, batches of up to this many images per worker, predicted to save at most
# this share of what is still needed (predictions are within about a tenth once measured).
_TAIL_BATCH = 4
_TAIL_SHARE = 0.8


@dataclass(frozen=True)
class LadderStep:
    """Images brought to one rung of the ladder, with their bytes before and after.

    ``bytes_before`` and ``bytes_after`` are the images' own streams (soft masks included),
    measured in the file. ``file_before`` and ``file_after`` place the step in the file's
    size: the steps of a :class:`CompressionReport` follow one another, each taking its
    change in image bytes off the size the one before it ended at (see
    :meth:`CompressionReport.chain`).
    """

    setting: str
    images: int
    bytes_before: int
    bytes_after: int
    file_before: int = 0
    file_after: int = 0


@dataclass(frozen=True)
class PartImages:
    """What the ladder did to one part's images."""

    part: str
    images_changed: int
    lowest_dpi: float | None
    """The lowest resolution its changed images are drawn at, reduced or not."""
    lowest_quality: int | None
    downsampled: bool = False
    """Whether any of its images was given fewer pixels (else all kept full resolution)."""
    settings: tuple[tuple[int | None, float | None, int], ...] = ()
    """Each setting its changed images were given, as in the steps: JPEG quality (``None``: a
    lossless codec), the dpi they were reduced to (``None``: full resolution), how many."""


@dataclass(frozen=True)
class CompressionReport:
    """How the output was brought under the limit."""

    policy: str
    lossless_bytes: int
    final_bytes: int
    steps: list[LadderStep]
    parts: list[PartImages]
    letter_changed: bool = False
    lossless_estimated: bool = False
    """``lossless_bytes`` is estimated: the lossless image pass ran only on images kept as they
    were (see :func:`dhrbuild.size.lossless.save_within`)."""
    start_bytes: int | None = None
    """The size of the file as written before the ladder ran, measured; None if it did not run.
    It is ``lossless_bytes`` unless that is estimated (the image pass was then not done yet)."""
    lossless_pass: LadderStep | None = None
    """The lossless image pass when it ran during the ladder (see ``lossless_estimated``): the
    image streams it ran on, their bytes before and after, and the file's size around it."""

    @property
    def lossy(self) -> bool:
        """Whether any image was changed."""
        return bool(self.steps)

    def chain(self) -> list[tuple[str, int, int]]:
        """The file's size from before the ladder to the file written, one change a line.

        The lossless image pass (if it ran during the ladder), then each step, then whatever
        else changed (image dictionaries, object streams, the cross-reference table): each
        line starts where the one before ended, the first at ``start_bytes`` and the last at
        ``final_bytes``, so the changes add up to the difference of the two measured sizes.

        Returns:
            (label, file bytes before, file bytes after) for each line; empty if the ladder
            did not run.
        """
        if self.start_bytes is None or not self.steps:
            return []
        lines: list[tuple[str, int, int]] = []
        at = self.start_bytes
        for step in [*([self.lossless_pass] if self.lossless_pass else []), *self.steps]:
            what = "image stream" if step is self.lossless_pass else "image"
            label = (
                f"{step.setting}, {count(step.images, what)} "
                f"(image data {step.bytes_before:,} -> {step.bytes_after:,})"
            )
            end = at - (step.bytes_before - step.bytes_after)
            lines.append((label, at, end))
            at = end
        if at != self.final_bytes:
            lines.append(
                ("other changes (image dictionaries, object streams)", at, self.final_bytes)
            )
        return lines


class FitError(Exception):
    """Even the floor of the ladder does not fit: carries the largest images."""

    def __init__(self, size: int, largest: list[tuple[str, int]], tried: str) -> None:
        super().__init__(tried)
        self.size = size
        self.largest = largest
        self.tried = tried


def _plan(images: list[ImageInfo], need: int, allow_protected: bool) -> list[tuple[int, int, int]]:
    """Take rungs, best bytes saved per quality lost first, until ``need`` bytes are saved.

    Returns the moves in the order taken: (image index, rung level, bytes it should save).
    """
    heap: list[tuple[float, int, int, int]] = []

    def push(i: int) -> None:
        info = images[i]
        if info.protected and not allow_protected:
            return
        b0, l0 = info.estimate(info.level)
        # A rung that saves nothing (a source already below its quality) is stepped over.
        for to in range(info.level + 1, len(info.rungs) + 1):
            b1, l1 = info.estimate(to)
            if b1 < b0:
                cost = max(1e-6, (l1 - l0) * max(info.area, 1e-3))
                heapq.heappush(heap, (-(b0 - b1) / cost, i, info.level, to))
                return

    for i in range(len(images)):
        push(i)
    saved_total = 0
    moves: list[tuple[int, int, int]] = []
    while saved_total < need and heap:
        _, i, level, to = heapq.heappop(heap)
        info = images[i]
        if info.level != level:
            continue
        saving = info.estimate(level)[0] - info.estimate(to)[0]
        saved_total += saving
        info.level = to
        moves.append((i, to, saving))
        push(i)
    return moves


def _execute(
    images: list[ImageInfo],
    batch: dict[int, int],
    originals: dict[int, recode.Original],
    workers: int,
) -> dict[int, tuple[int, int]]:
    """Encode each image of ``batch`` at its rung; return raw bytes before and after each."""
    sources = {}
    before: dict[int, int] = {}
    for k, level in batch.items():
        info = images[k]
        before[k] = len(info.obj.read_raw_bytes())
        recode.restore(info, originals[id(info)])  # every rung is encoded from the original
        sources[k] = recode.source(info, need_alpha=info.rungs[level - 1].dpi is not None)
    jobs = [(images[k], images[k].rungs[level - 1], sources[k]) for k, level in batch.items()]
    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        results = list(pool.map(recode.encode_job, jobs))
    out: dict[int, tuple[int, int]] = {}
    for (k, level), encoded in zip(batch.items(), results, strict=True):
        info = images[k]
        info.level = info.in_file = level
        info.kept = False
        loss = info.estimate(level)[1]
        if encoded is None or (
            encoded[2] is None
            and info.rungs[level - 1].dpi is not None
            and isinstance(info.obj.stream_dict.get("/SMask"), Stream)
        ):
            # Cannot be decoded, or its soft mask cannot follow: leave the image alone.
            info.rungs, info.level, info.in_file = [], 0, 0
            out[k] = (before[k], info.raw_bytes)
            continue
        actual = len(encoded[0]) + len(encoded[2] or b"")
        predicted = info.estimates[level][0] if level in info.estimates else actual
        # Later rungs of this image are predicted from how this one came out.
        info.correction = max(0.2, min(3.0, actual / max(1, predicted)))
        info.estimates = {level: (int(actual / info.correction), loss)}
        info.kept = actual < info.raw_bytes  # not smaller: the original stays in the file
        if info.kept:
            recode.apply(info, encoded)
        out[k] = (before[k], min(actual, info.raw_bytes))
    return out


def _learn(images: list[ImageInfo]) -> None:
    """Give images not yet encoded the median correction measured on those that were.

    The size tables are averages; scans and photographs of one review tend to miss them in
    the same direction, so a plan made with the measured ratio needs fewer rounds (each of
    which re-encodes every image it moves).
    """
    for lossless in (True, False):
        same = [i for i in images if (i.source_quality is None) == lossless]
        seen = sorted(i.correction for i in same if i.in_file > 0 and i.rungs)
        if not seen:
            continue
        median = seen[len(seen) // 2]
        for info in same:
            if info.in_file == 0:
                info.correction = median


class _Owed:
    """The lossless image pass still owed to some streams, run on those left unchanged."""

    def __init__(
        self,
        run: Callable[[list[Stream]], int] | None,
        streams: Sequence[Stream],
        images: list[ImageInfo],
        originals: dict[int, recode.Original],
        share: float,
        done: tuple[int, int, int] = (0, 0, 0),
    ) -> None:
        self.run = run
        self.share = share
        self.done = done
        """Streams the pass ran on, their raw bytes before, and after (for the report)."""
        self.streams = {s.objgen: s for s in streams} if run is not None else {}
        # Owed streams are not changed until they are settled or encoded by the ladder.
        self.sizes = {og: len(s.read_raw_bytes()) for og, s in self.streams.items()}
        self.originals = originals
        self.by_objgen = {i.obj.objgen: i for i in images}

    def _changed(self, og: tuple[int, int]) -> bool:
        info = self.by_objgen.get(og)
        return info is not None and info.in_file > 0 and info.kept

    def expected(self) -> int:
        """Bytes the pass is expected to save on the owed streams the ladder has not changed."""
        owed = sum(
            n for og, n in self.sizes.items() if og in self.streams and not self._changed(og)
        )
        return int(self.share * owed)

    def settle(self, *, candidates: bool = True) -> int:
        """Run the pass on owed streams the ladder has not changed; return the bytes saved.

        With ``candidates=False`` only on images the ladder never changes.
        """
        if self.run is None or not self.streams:
            return 0
        chosen: list[Stream] = []
        for og, stream in list(self.streams.items()):
            if og in self.by_objgen and (not candidates or self._changed(og)):
                continue
            chosen.append(stream)
            del self.streams[og]
        if not chosen:
            return 0
        before = sum(len(s.read_raw_bytes()) for s in chosen)
        saved = self.run(chosen)
        n, b, a = self.done
        self.done = (n + len(chosen), b + before, a + before - saved)
        settled = {s.objgen for s in chosen}
        for info in self.by_objgen.values():
            sm = info.obj.stream_dict.get("/SMask")
            own = info.obj.objgen in settled
            if not own and not (isinstance(sm, Stream) and sm.objgen in settled):
                continue
            if not own and self._changed(info.obj.objgen):
                continue  # its mask is the ladder's; the original mask is kept to restore
            # Now the original: later rungs start from the same samples, smaller bytes (and
            # restoring the original before a rung keeps its soft mask as the pass left it).
            self.originals[id(info)] = recode.snapshot(info)
            if own:
                info.raw_bytes = len(self.originals[id(info)].data)
                info.packed = info.packed or info.source_quality is not None
                info.estimates = {}
        return saved


def _describe_image(info: ImageInfo, page_parts: Sequence[str]) -> str:
    """Where an image is and its size as it is now in the file (the ladder may have shrunk it)."""
    page = info.pages[0]
    first = page
    while first > 0 and page_parts[first - 1] == page_parts[page]:
        first -= 1
    width, height = image_size(info.obj) or (info.width, info.height)
    return f"page {page + 1} ({page_parts[page]}, page {page - first + 1}; {width}x{height} px)"


def fit_images(
    pdf: pikepdf.Pdf,
    *,
    limit: int,
    lossless_size: int,
    save: Callable[[], int],
    page_parts: Sequence[str],
    protected_pages: set[int],
    min_dpi: float = DEFAULT_MIN_DPI,
    margin: int | None = None,
    workers: int = 2,
    settle: Callable[[list[Stream]], int] | None = None,
    unsettled: Sequence[Stream] | None = None,
    settle_share: float = 0.0,
    written_size: int | None = None,
    settled: tuple[int, int, int] = (0, 0, 0),
) -> CompressionReport:
    """Change images, least loss per byte first, until the saved file is under ``limit``.

    Each image climbs its own ladder: JPEG at decreasing quality at full resolution, then
    fewer pixels (never below ``min_dpi`` where it is drawn largest), then lower quality at
    the floor; near-bilevel grey scans become 1-bit instead. The next rung is the one that
    saves the most bytes per quality lost, weighted by the area the image covers. Images on
    ``protected_pages`` (the QA letter) are changed only when nothing else fits. Every
    encoding starts from the original samples; an encoding that is not smaller is dropped.
    Text, vector graphics and fonts are never touched.

    Args:
        pdf: The document, changed in place.
        limit: The output must be strictly smaller than this many bytes.
        lossless_size: The size of the lossless save.
        save: Writes the document and returns its size in bytes.
        page_parts: The part name of each page, for the report.
        protected_pages: Zero-based pages kept lossless unless nothing else fits.
        min_dpi: The resolution floor.
        margin: Bytes to aim under the limit (default 0.5% of it, at least 16 KB).
        workers: Threads that encode images.
        settle: The lossless image pass, still owed to ``unsettled``: it runs on those the
            ladder leaves unchanged (once the bulk of a round is encoded, and at the end),
            not on those it encodes again from their samples. Returns the bytes saved.
        unsettled: Image streams of ``pdf`` that ``settle`` has not run on.
        settle_share: The share of its bytes ``settle`` is expected to save on a stream: the
            ladder aims at the size the file will have once it has run.
        written_size: The size of the file as last written, measured, when ``settle`` has
            run on some images since (``lossless_size`` is then what is left of it); the
            report's steps start there.
        settled: Those images: how many streams, and their raw bytes before and after.

    Returns:
        The steps taken and what each part's images were brought down to.

    Raises:
        FitError: Even every image at the floor does not fit; nothing was undone.
    """
    margin = margin if margin is not None else max(16_384, limit // 200)
    images = inventory(pdf, protected_pages=protected_pages, min_dpi=min_dpi)
    originals = {id(i): recode.snapshot(i) for i in images}
    owed = _Owed(settle, unsettled or [], images, originals, settle_share, settled)
    estimated = bool(owed.streams)
    start = written_size if written_size is not None else lossless_size
    size = lossless_size
    # Reported: the size the file would have had with the pass done on every image.
    lossless_size -= owed.expected()
    size -= owed.settle(candidates=False)
    allow_protected = False
    rounds = 0
    while size >= limit and rounds < 8:
        rounds += 1
        target = limit - margin
        moves = _plan(images, size - owed.expected() - target, allow_protected)
        if not moves and not allow_protected and any(i.protected for i in images):
            allow_protected = True  # nothing else is left: the QA letter's images too
            moves = _plan(images, size - owed.expected() - target, allow_protected)
        if not moves:
            break
        share = _BULK_SHARE
        if rounds == 1 and len({k for k, _, _ in moves}) > 4 * max(1, workers):
            # A large cut: measure the tables on the images the plan moves first, then plan
            # again with what was learnt, rather than encode the bulk on a guess.
            sample: dict[int, int] = {}
            for k, _level, _ in moves:
                if len(sample) >= max(1, workers):
                    break
                if k not in sample:
                    sample[k] = max(lv for kk, lv, _ in moves if kk == k)
            for before, after in _execute(images, sample, originals, workers).values():
                size -= before - after
            _learn(images)
            for info in images:
                info.level = info.in_file
            moves = _plan(images, size - owed.expected() - target, allow_protected)
            if not moves:
                size = save()
                continue
            share = _BULK_SHARE_MEASURED
        # The plan is a prediction: carry it out in its order, a few images at a time, and
        # stop at the first point where the measured streams fit. The bulk of a large cut
        # (all but its last quarter, or its last 8% once the tables were measured on a
        # sample) goes at once, each image straight to the deepest rung
        # planned for it there, so no image is encoded once per rung on the way down.
        estimate = size
        done = 0
        bulk: dict[int, int] = {}
        planned_saving = 0
        while done < len(moves) and planned_saving + moves[done][2] <= share * (
            size - owed.expected() - target
        ):
            k, level, saving = moves[done]
            bulk[k] = max(level, bulk.get(k, 0))
            planned_saving += saving
            done += 1
        if share == _BULK_SHARE_MEASURED:
            # Measured tables make the plan close: an image in the bulk goes to the deepest
            # rung planned for it at all, since a later move on it would encode it again;
            # what the bulk holds back is moves on images not yet encoded.
            for k, level, _ in moves[done:]:
                if k in bulk:
                    bulk[k] = max(level, bulk[k])
        if bulk:
            for before, after in _execute(images, bulk, originals, workers).values():
                estimate -= before - after
            _learn(images)
        estimate -= owed.settle()
        while done < len(moves) and estimate - owed.expected() > target:
            # A batch predicted to save no more than most of what is still needed, so a small
            # cut stays small and a long tail goes in few rounds; at least one move.
            batch: dict[int, int] = {}
            predicted = 0
            need = estimate - owed.expected() - target
            while done < len(moves) and len(batch) < _TAIL_BATCH * max(1, workers):
                k, level, saving = moves[done]
                if level > len(images[k].rungs) or images[k].in_file >= level:
                    # An earlier rung showed it cannot change, or the bulk took it there.
                    done += 1
                    continue
                if k in batch or (batch and predicted + saving > _TAIL_SHARE * need):
                    break
                batch[k] = level
                predicted += saving
                done += 1
            for before, after in _execute(images, batch, originals, workers).values():
                estimate -= before - after
        for k, _, _ in moves[done:]:
            images[k].level = images[k].in_file  # planned, but not needed after all
        owed.settle()
        size = save()
    if owed.settle():
        size = save()
    if size >= limit:
        largest = sorted(images, key=lambda i: -len(i.obj.read_raw_bytes()))[:5]
        tried = (
            f"every image the ladder can change was brought down to its floor "
            f"({min_dpi:.0f} dpi, JPEG quality {JPEG_QUALITIES[-1]}) and the output was still "
            f"{size:,} bytes"
            if images
            else "the file has no image that the 'fit' ladder can re-encode, so no image "
            "was changed"
        )
        raise FitError(
            size,
            [(_describe_image(i, page_parts), len(i.obj.read_raw_bytes())) for i in largest],
            tried,
        )
    applied = {k: i.in_file for k, i in enumerate(images) if i.in_file > 0 and i.kept}
    report = _report(images, applied, originals, lossless_size, size, page_parts, protected_pages)
    n, before, after = owed.done
    lossless_pass = (
        LadderStep("lossless image pass", n, before, after, start, start - (before - after))
        if n
        else None
    )
    at = lossless_pass.file_after if lossless_pass else start
    steps = []
    for step in report.steps:
        end = at - (step.bytes_before - step.bytes_after)
        steps.append(dataclasses.replace(step, file_before=at, file_after=end))
        at = end
    return dataclasses.replace(
        report,
        steps=steps,
        lossless_estimated=estimated,
        start_bytes=start,
        lossless_pass=lossless_pass,
    )


def _report(
    images: list[ImageInfo],
    applied: dict[int, int],
    originals: dict[int, recode.Original],
    lossless_size: int,
    size: int,
    page_parts: Sequence[str],
    protected_pages: set[int],
) -> CompressionReport:
    steps: dict[str, list[int]] = {}
    per_part: dict[str, list[tuple[float | None, int | None, bool]]] = {}
    per_setting: dict[str, dict[tuple[int | None, float | None], int]] = {}
    letter = False
    for k, level in sorted(applied.items()):
        if level == 0:
            continue
        info = images[k]
        rung = info.rungs[level - 1]
        # The soft mask is resampled with the image: its bytes are the step's too.
        orig = originals[id(info)]
        before = len(orig.data) + (len(orig.smask[0]) if orig.smask is not None else 0)
        sm = info.obj.stream_dict.get("/SMask")
        after = len(info.obj.read_raw_bytes()) + (
            len(sm.read_raw_bytes()) if isinstance(sm, Stream) and orig.smask is not None else 0
        )
        acc = steps.setdefault(rung.describe(), [0, 0, 0])
        acc[0] += 1
        acc[1] += before
        acc[2] += after
        scale = info.scale_for(rung.dpi)
        dpi = info.effective_dpi * scale
        setting = (rung.quality, rung.dpi if scale < 1.0 else None)
        for page in info.pages:
            per_part.setdefault(page_parts[page], []).append((dpi, rung.quality, scale < 1.0))
            counts = per_setting.setdefault(page_parts[page], {})
            counts[setting] = counts.get(setting, 0) + 1
        letter = letter or any(p in protected_pages for p in info.pages)
    step_list = [
        LadderStep(name, v[0], v[1], v[2])
        for name, v in sorted(steps.items(), key=lambda kv: -(kv[1][1] - kv[1][2]))
    ]
    parts = []
    for part, values in per_part.items():
        dpis = [d for d, _, _ in values if d is not None]
        qs = [q for _, q, _ in values if q is not None]
        parts.append(
            PartImages(
                part,
                len(values),
                round(min(dpis), 1) if dpis else None,
                min(qs) if qs else None,
                any(scaled for _, _, scaled in values),
                tuple(
                    (q, d, n)
                    for (q, d), n in sorted(
                        per_setting[part].items(), key=lambda kv: (-kv[1], kv[0][0] or 0)
                    )
                ),
            )
        )
    return CompressionReport("fit", lossless_size, size, step_list, parts, letter)


def summary_header(report: CompressionReport) -> str:
    """The first line of the ladder's summary: the measured sizes before and after it.

    When the lossless image pass ran during the ladder, the steps start at the file as first
    written, before it; the lossless size is then an estimate, given by :func:`iter_steps`
    with ``about`` (unless the pass was done on every image first: it is then where the
    pass's line ends).

    Args:
        report: What the ladder did.

    Returns:
        One line.
    """
    start = report.start_bytes if report.start_bytes is not None else report.lossless_bytes
    # With the lossless image pass still to finish, the file first written was not yet it.
    first = "" if report.lossless_pass else "lossless "
    after = " bytes as first written" if report.lossless_pass else ""
    letter = " (the QA letter's images too)" if report.letter_changed else ""
    return (
        f"Images reduced to fit: {first}{start:,}{after} -> {report.final_bytes:,} bytes"
        f"{letter}, by these steps (each takes the change in its images' bytes off the size):"
    )


def iter_steps(report: CompressionReport) -> Iterator[str]:
    """Lines describing ``report`` for a summary: the size step by step, then each part.

    The size lines follow :meth:`CompressionReport.chain` (they end in ``A -> B bytes``,
    each ``A`` the ``B`` of the line before); then, if it is estimated, the lossless size
    (not a step); then each part's lowest settings.

    Args:
        report: What the ladder did.

    Yields:
        One line per change of size and per part.
    """
    for label, before, after in report.chain():
        yield f"{label}: {before:,} -> {after:,} bytes"
    if report.lossless_estimated:
        yield (
            f"a lossless file would be about {report.lossless_bytes:,} bytes (an estimate, "
            "not a step: the images re-encoded were not optimised losslessly first)"
        )
    for part in report.parts:
        q = f"JPEG q{part.lowest_quality}" if part.lowest_quality is not None else "lossless codec"
        if part.downsampled and part.lowest_dpi is not None:
            where = f"lowest {part.lowest_dpi:.0f} dpi, {q}"
        else:
            where = f"{q} at full resolution"
        yield f"{part.part}: {count(part.images_changed, 'image')} changed; {where}"


def settings_phrase(part: PartImages) -> str:
    """What was done to a part's changed images, group by group, for its warning.

    One setting reads ``as JPEG quality 85 at full resolution (no pixels removed)``; several
    ``13 as JPEG quality 75, 5 as JPEG quality 85, all at full resolution (no pixels
    removed)``, from the same counts as the summary's steps.

    Args:
        part: What the ladder did to one part's images.

    Returns:
        The phrase, to follow "N images re-encoded to fit the size limit".
    """

    def codec(quality: int | None) -> str:
        return f"JPEG quality {quality}" if quality is not None else "a lossless codec"

    def where(dpi: float | None) -> str:
        return "at full resolution (no pixels removed)" if dpi is None else f"down to {dpi:.0f} dpi"

    settings = part.settings
    if not settings:  # a report made without the groups: its lowest settings
        dpi = part.lowest_dpi if part.downsampled else None
        settings = ((part.lowest_quality, dpi, part.images_changed),)
    if len(settings) == 1:
        quality, dpi, _ = settings[0]
        return f", as {codec(quality)} {where(dpi)}"
    if len({dpi for _, dpi, _ in settings}) == 1:
        groups = ", ".join(f"{n} as {codec(q)}" for q, _, n in settings)
        every = "both" if len(settings) == 2 else "all"
        return f": {groups}, {every} {where(settings[0][1])}"
    return ": " + ", ".join(f"{n} as {codec(q)} {where(d)}" for q, d, n in settings)


__all__ = [
    "CompressionReport",
    "FitError",
    "LadderStep",
    "PartImages",
    "fit_images",
    "iter_steps",
    "settings_phrase",
    "summary_header",
]
