"""Face detectors as plug-ins: BlazeFace (near faces, ~2 ms) and CenterFace (small and
far faces). Both only report where faces are; face pixels stay on the device unless
the configuration explicitly asks for crops."""

from edge.vision.faces.blazeface import BlazeFaceDetector
from edge.vision.faces.centerface import CenterFaceDetector
from edge.vision.plugins import Detector, PluginRegistry

FACE_BACKENDS: tuple[type[Detector], ...] = (BlazeFaceDetector, CenterFaceDetector)


def register_face_backends(detectors: PluginRegistry[Detector]) -> None:
    """Add the face backends to a detector registry built by the pipeline's wiring."""
    for cls in FACE_BACKENDS:
        detectors.add(cls)


__all__ = ["BlazeFaceDetector", "CenterFaceDetector", "register_face_backends"]
