"""Vietnamese plate reading: detector and recogniser backends, plate grammar, reader."""

from __future__ import annotations

from edge.vision.plugins import Detector, PluginRegistry, TextRecognizer


def register_plate_backends(
    detectors: PluginRegistry[Detector], recognizers: PluginRegistry[TextRecognizer]
) -> None:
    """Add the plate detector and text recogniser plug-ins to the given registries."""
    from edge.vision.plates.ctc import CtcRecognizer
    from edge.vision.plates.ppocr_det import PpOcrDetector
    from edge.vision.plates.yolo import YoloDetector

    detectors.add(YoloDetector)
    detectors.add(PpOcrDetector)
    recognizers.add(CtcRecognizer)
